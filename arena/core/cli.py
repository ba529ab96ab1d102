"""The command-line error convention: bad input is one line on stderr and exit status 2."""

import argparse
import sys

from arena.core.errors import ArenaError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (plus exit 2), not a usage dump."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def run_guarded(command, prog: str) -> int:
    """Run `command()`; an ArenaError becomes one line and exit 2, Ctrl-C exit 130."""
    try:
        return command() or 0
    except ArenaError as exc:
        message = " ".join(str(exc).split("\n"))
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
