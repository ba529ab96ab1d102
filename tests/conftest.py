import os

import pytest

from arena.arenas import load_all

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def registry():
    return load_all()


@pytest.fixture(scope="session")
def levels(registry):
    """{arena name: [levels]}: every built-in level plus one generated level per arena."""
    out = {}
    for name, arena in registry.items():
        out[name] = [arena.load_level(p) for p in arena.builtin_levels()] + [arena.generate_level(7)]
    return out
