"""The ``cleaner`` command's entry: a Ctrl-C while it starts ends it as a run's does.

Importing the command (typer, rich) takes a few tenths of a second, before any handler of
the command's own is in place; a Ctrl-C then is a usage matter, not a traceback.
"""

import sys


def main() -> None:
    try:
        from cleaner.cli import main as command
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None
    command()


if __name__ == "__main__":
    main()
