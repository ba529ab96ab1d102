"""Checks shared by every arena's level loader."""

import math

from arena.core.errors import LevelError
from arena.core.fileio import read_json

LEVEL_FORMAT = "arena.level"
LEVEL_VERSION = 1


def read_level_json(path):
    return read_json(path, "level", LevelError)


def check_header(data, arena_name: str, source: str) -> None:
    """The format, version and arena fields of a level file."""
    if not isinstance(data, dict):
        raise LevelError(f"{source}: not a level file (expected a JSON object)")
    if data.get("format") != LEVEL_FORMAT:
        raise LevelError(f"{source}: not a level file (field 'format' is {data.get('format')!r})")
    version = data.get("version")
    if version != LEVEL_VERSION:
        raise LevelError(f"{source}: level version {version!r} is not supported (this program reads {LEVEL_VERSION})")
    if data.get("arena") != arena_name:
        raise LevelError(f"{source}: a level for arena {data.get('arena')!r}, not {arena_name!r}")


def require_number(data: dict, key: str, source: str, minimum=None, exclusive=False, maximum=None, default=None):
    """`data[key]` as a finite float within bounds; `default` when absent (if given)."""
    if key not in data and default is not None:
        return float(default)
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LevelError(f"{source}: field {key!r} must be a finite number, got {value!r}")
    if minimum is not None and (value < minimum or (exclusive and value == minimum)):
        raise LevelError(f"{source}: field {key!r} must be {'>' if exclusive else '>='} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise LevelError(f"{source}: field {key!r} must be <= {maximum}, got {value}")
    return float(value)
