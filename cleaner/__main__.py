"""The ``cleaner`` command's entry: a Ctrl-C while it starts ends it as a run's does.

Importing the command (typer, rich) and typer building it take a few tenths of a second,
before any handler of the command's own is in place; a Ctrl-C then is a usage matter, not a
traceback. A run's own stops never get here: the command handles them and exits.
"""

import sys


def main() -> None:
    try:
        from cleaner.cli import main as command

        command()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
