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


def parse_size(text: str, smallest=(1, 1), largest=(10000, 10000), example: str = "1280x800") -> tuple:
    """(width, height) from a --size flag 'WxH', within `smallest` and `largest`; UsageError otherwise."""
    from arena.core.errors import UsageError

    try:
        w, h = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise UsageError(f"--size must look like {example}, got {text!r}") from None
    if not (smallest[0] <= w <= largest[0] and smallest[1] <= h <= largest[1]):
        raise UsageError(f"--size must be from {smallest[0]}x{smallest[1]} to {largest[0]}x{largest[1]}, got {text!r}")
    return w, h
