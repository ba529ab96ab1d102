"""The error hierarchy. Every failure caused by user input is an `ArenaError`.

The CLI prints `str(error)` on one line and exits with status 2, so messages name the
thing (file, flag, field) and what is wrong with it, without a traceback.
"""


class ArenaError(Exception):
    """Base class for every error caused by bad input rather than a bug."""


class UsageError(ArenaError):
    """A command-line flag or argument that makes no sense."""


class UnknownArenaError(ArenaError):
    """An arena name that is not in the registry."""


class LevelError(ArenaError):
    """A level file that is missing, corrupt or unplayable."""


class BrainError(ArenaError):
    """A brain file that is missing, corrupt, or made for another arena or role."""


class RunError(ArenaError):
    """A run folder or checkpoint that cannot be read or written."""


class BackendError(ArenaError):
    """An evaluation backend that cannot start, or whose workers keep failing (killed, over the
    time limit, an unreachable cluster)."""
