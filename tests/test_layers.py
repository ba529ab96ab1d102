"""Imports point down only (see DESIGN.md): checked by reading every module's imports."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "arena"
GUI = ("pygame", "OpenGL")
PARALLEL = ("multiprocess", "multiprocessing", "dask", "distributed")
PICKLE = ("pickle", "dill", "cloudpickle", "shelve")


def imports_of(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def relative(path):
    return path.relative_to(PACKAGE.parent).as_posix()


@pytest.mark.parametrize("path", modules(), ids=relative)
def test_layering(path):
    rel = relative(path)
    found = set(imports_of(path))
    top = {name.split(".")[0] for name in found}
    may_draw = rel.startswith("arena/ui/") or rel == "arena/cli.py" or rel.endswith("/render.py")
    if not may_draw:
        assert not top & set(GUI), f"{rel} imports a GUI library below ui/"
    if not (rel.startswith(("arena/evaluate/", "arena/ui/")) or rel == "arena/cli.py"):
        assert not top & set(PARALLEL), f"{rel} imports a process pool or dask outside evaluate/"
    assert not top & set(PICKLE), f"{rel} imports pickle"
    if rel.startswith("arena/core/"):
        assert not any(n.startswith("arena.") and not n.startswith("arena.core") for n in found), \
            f"{rel}: core/ must not import higher layers"
    if rel.startswith(("arena/brains/", "arena/arenas/")):
        # An arena's render.py is window code kept beside its arena: it may use the shared drawing module.
        allowed = {"arena.ui.draw"} if rel.endswith("/render.py") else set()
        assert not any(n.startswith(("arena.evolve", "arena.evaluate", "arena.session", "arena.ui", "arena.cli"))
                       for n in found - allowed), f"{rel} imports a higher layer"
