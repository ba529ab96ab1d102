"""Typed settings from plain data: for the frozen dataclasses of strategy settings."""

import math
from dataclasses import fields, replace

from arena.core.errors import UsageError

MAX_SETTING_INT = 2**31 - 1


def settings_from_dict(cls, data, what: str):
    """`cls(**data)` after checking every field name, type and range; UsageError naming the field.

    Field types are read from the defaults: bool, int (0 .. 2**31 - 1), float (finite),
    str, or tuple of str (given as a list).
    """
    if not isinstance(data, dict):
        raise UsageError(f"{what}: expected an object of settings")
    defaults = cls()
    names = {f.name for f in fields(cls)}
    unknown = sorted(str(key) for key in data if key not in names)
    if unknown:
        raise UsageError(f"{what}: unknown fields {', '.join(unknown)}")
    clean = {}
    for name, value in data.items():
        kind = type(getattr(defaults, name))
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SETTING_INT
        elif kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        elif kind is str:
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
            value = tuple(value) if ok else value
        if not ok:
            raise UsageError(f"{what}: field {name!r} is {value!r:.40}, expected {_kind_name(kind)}")
        clean[name] = value
    return cls(**clean)


def _kind_name(kind) -> str:
    return {bool: "true or false", int: f"an integer from 0 to {MAX_SETTING_INT}", float: "a finite number",
            str: "text"}.get(kind, "a list of names")


def preset_with_population(presets: dict, name: str, population_size: int, what: str):
    """Preset `name` of `presets` with `population_size`; UsageError listing the known ones."""
    try:
        base = presets[name]
    except KeyError:
        raise UsageError(f"unknown {what} preset {name!r} (known: {', '.join(presets)})") from None
    return replace(base, population_size=population_size)
