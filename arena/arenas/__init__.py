"""Arenas: one subpackage each, registered by name in `REGISTRY`."""

import importlib

from arena.core.errors import UnknownArenaError
from arena.core.registry import Registry

REGISTRY = Registry("arena", UnknownArenaError)
_BUILTIN = (
    "tunnel",
    "racing",
    "cartpole",
    "tanks",
    "pacman",
)


def load_all() -> Registry:
    """Import every built-in arena (each registers itself) and return the registry."""
    for name in _BUILTIN:
        importlib.import_module(f"arena.arenas.{name}")
    return REGISTRY


def get_arena(name: str):
    """The arena registered as `name`; `UnknownArenaError` listing the known ones otherwise."""
    if name in _BUILTIN:
        importlib.import_module(f"arena.arenas.{name}")
    return load_all().get_spec(name) if name not in REGISTRY else REGISTRY[name]
