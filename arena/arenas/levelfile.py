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
        raise LevelError(f"{source}: not a level file (field 'format' is {short_repr(data.get('format'))})")
    version = data.get("version")
    if version != LEVEL_VERSION:
        raise LevelError(f"{source}: level version {short_repr(version)} is not supported (this program reads "
                         f"{LEVEL_VERSION})")
    if data.get("arena") != arena_name:
        raise LevelError(f"{source}: a level for arena {short_repr(data.get('arena'))}, not {arena_name!r}")


def is_finite_number(value) -> bool:
    """An int or float (not a bool) that converts to a finite float (JSON integers can be huge)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= 1e300
    return math.isfinite(value)


def short_repr(value, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters, so a huge bad value still gives a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def require_number(data: dict, key: str, source: str, minimum=None, exclusive=False, maximum=None, default=None):
    """`data[key]` as a finite float within bounds; `default` when absent (if given)."""
    if key not in data and default is not None:
        return float(default)
    value = data.get(key)
    if not is_finite_number(value):
        raise LevelError(f"{source}: field {key!r} must be a finite number, got {short_repr(value)}")
    if minimum is not None and (value < minimum or (exclusive and value == minimum)):
        raise LevelError(f"{source}: field {key!r} must be {'>' if exclusive else '>='} {minimum}, got {short_repr(value)}")
    if maximum is not None and value > maximum:
        raise LevelError(f"{source}: field {key!r} must be <= {maximum}, got {short_repr(value)}")
    return float(value)


def require_int(data: dict, key: str, source: str, minimum=None, maximum=None, default=None) -> int:
    """`data[key]` as an integer within bounds (2.0 is refused: a count is written as a count)."""
    if key not in data and default is not None:
        return int(default)
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise LevelError(f"{source}: field {key!r} must be a whole number, got {short_repr(value)}")
    if minimum is not None and value < minimum:
        raise LevelError(f"{source}: field {key!r} must be >= {minimum}, got {short_repr(value)}")
    if maximum is not None and value > maximum:
        raise LevelError(f"{source}: field {key!r} must be <= {maximum}, got {short_repr(value)}")
    return value


def require_bool(data: dict, key: str, source: str, default=None) -> bool:
    """`data[key]` as true or false."""
    if key not in data and default is not None:
        return bool(default)
    value = data.get(key)
    if not isinstance(value, bool):
        raise LevelError(f"{source}: field {key!r} must be true or false, got {short_repr(value)}")
    return value


def require_choice(data: dict, key: str, source: str, choices: tuple, default=None) -> str:
    """`data[key]`, one of the strings `choices`."""
    if key not in data and default is not None:
        return default
    value = data.get(key)
    if not isinstance(value, str) or value not in choices:
        raise LevelError(f"{source}: field {key!r} must be one of {', '.join(map(repr, choices))}, got {short_repr(value)}")
    return value


def require_numbers(data: dict, key: str, source: str, length: int, default=None) -> tuple:
    """`data[key]` as a tuple of `length` finite floats."""
    if key not in data and default is not None:
        return tuple(float(v) for v in default)
    value = data.get(key)
    if not isinstance(value, list) or len(value) != length or not all(is_finite_number(v) for v in value):
        raise LevelError(f"{source}: field {key!r} must be a list of {length} finite numbers, got {short_repr(value)}")
    return tuple(float(v) for v in value)


def refuse_unknown_fields(data: dict, known, source: str) -> None:
    """A misspelt field would silently take its default: name it instead."""
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise LevelError(f"{source}: unknown field {short_repr(unknown[0])} (known: {', '.join(sorted(known))})")
