"""Safe file I/O: atomic writes and JSON reads that fail with `ArenaError`s naming the file."""

import json
import os
import tempfile
from pathlib import Path

from arena.core.errors import ArenaError


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import, while one thread runs: os.umask can only be read by setting it.
_FILE_MODE = 0o666 & ~_read_umask()


def atomic_write_text(path, text: str) -> None:
    """Write `text` (UTF-8) to `path` so that readers see the old file or the new one, never a torn one."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a torn one.

    Writes a temporary file in the same folder, fsyncs it, renames it over `path`, then fsyncs
    the folder so the rename itself survives a crash.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600 files; saved files get the usual mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def write_json(path, data, error_class=ArenaError) -> None:
    """Atomically write `data` as JSON; an OS failure becomes `error_class` naming the file."""
    text = json.dumps(data, indent=1, allow_nan=False) + "\n"
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise error_class(f"{path}: cannot write: {exc.strerror or exc}") from None


def _reject_constant(name):
    raise ValueError(f"non-finite number {name}")


def read_text(path, what: str, error_class=ArenaError) -> str:
    """The UTF-8 text of the file `path`; every failure raises `error_class` naming the file.

    `what` says what the file should be ("level", "brain"), for the message.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error_class(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise error_class(f"{path}: is a folder, not a {what} file") from None
    except OSError as exc:
        raise error_class(f"{path}: cannot read {what} file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error_class(f"{path}: not a {what} file (not UTF-8 text)") from None


def read_json(path, what: str, error_class=ArenaError):
    """Parse the JSON file `path`; every failure raises `error_class` naming the file.

    NaN and Infinity are rejected: they are not JSON and no saved file of ours contains them.
    """
    text = read_text(path, what, error_class)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error_class(f"{path}: not a valid {what} file (bad JSON: {detail})") from None
