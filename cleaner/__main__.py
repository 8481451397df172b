"""The ``cleaner`` command's entry: a Ctrl-C while it starts ends it as a run's does.

Importing the command (typer, rich) and typer building it take a few tenths of a second,
before any handler of the command's own is in place; a Ctrl-C then is a usage matter, not a
traceback. Its KeyboardInterrupt is kept (:func:`cleaner.stops.raise_kept`): raised in the
middle of an import, it can be swallowed there, and the command would run to its end. A
run's own stops never get here: the command handles them and exits.
"""

import sys


def main() -> None:
    try:
        import signal  # inside: importing it runs Python code (its enums), where a Ctrl-C may land

        from cleaner.stops import raise_kept, raise_swallowed

        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, lambda signum, frame: raise_kept(KeyboardInterrupt))
        from cleaner.cli import main as command

        raise_swallowed()
        command()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
