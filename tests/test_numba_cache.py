"""numba's cache must not outlive an edit to any module a kernel depends on, and only such edits renew it."""

import os
from pathlib import Path

import arena


def test_cache_folder_is_keyed_to_this_source_tree():
    assert os.environ["NUMBA_CACHE_DIR"].endswith(arena.source_digest(Path(arena.__file__).parent))


def test_any_source_edit_changes_the_key(tmp_path):
    (tmp_path / "brains").mkdir()
    forward = tmp_path / "brains" / "netbatch.py"
    forward.write_text("BLOCK = 64\n")
    (tmp_path / "sim.py").write_text("def kernel(): pass\n")
    before = arena.source_digest(tmp_path)
    assert arena.source_digest(tmp_path) == before
    forward.write_text("BLOCK = 128\n")
    assert arena.source_digest(tmp_path) != before
    forward.write_text("BLOCK = 64\n")
    assert arena.source_digest(tmp_path) == before
    (tmp_path / "brains" / "extra.py").write_text("")
    assert arena.source_digest(tmp_path) != before


def test_window_and_file_modules_do_not_change_the_key(tmp_path):
    (tmp_path / "sim.py").write_text("def kernel(): pass\n")
    before = arena.source_digest(tmp_path)
    for name in ("ui/app.py", "persist/brainfile.py", "matches/duel.py", "cli.py", "session.py",
                 "arenas/racing/render.py", "arenas/racing/behaviour.py", "arenas/behaviour.py", "evolve/novelty.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    assert arena.source_digest(tmp_path) == before
    (tmp_path / "arenas" / "racing" / "sim.py").write_text("")
    assert arena.source_digest(tmp_path) != before
