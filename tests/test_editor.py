"""The level editor: levels built from nothing with posted mouse and keyboard events (undo and
redo included), saved, loaded back the same; saving that never overwrites silently; F5 plays.

The window tests run on a real X display (Xvfb), as the sandbox's do; the document tests need none.
"""

import json
import threading

import numpy as np
import pytest

from arena.arenas import get_arena
from arena.cli import main
from arena.core.errors import ArenaError
from arena.ui.editor.document import LevelDocument, blank_data, problem_position


# -- driving the window
@pytest.fixture
def editor(display, tmp_path):
    """A function opening the editor as `arena edit ARENA [LEVEL]` would; closed after the test."""
    from arena.ui.app import App
    from arena.ui.editor.view import EditorView

    opened = []

    def open_editor(arena, level=None, **options):
        app = App((960, 640), max_fps=0, gl=False)
        view = EditorView(LevelDocument.open(arena, level), app.screen.get_size(), tmp_path / "saves",
                          overlay_off="--no-gl", **options)
        app.view = view
        opened.append((app, view))
        app.frame()
        return app, view

    yield open_editor
    for app, view in opened:
        view.close()
        app.close()


def _event(kind, **fields):
    import pygame

    pygame.event.post(pygame.event.Event(getattr(pygame, kind), **fields))


def key(app, name, mod=0, text=""):
    import pygame

    code = getattr(pygame, f"K_{name}") if isinstance(name, str) else name
    _event("KEYDOWN", key=code, mod=mod, unicode=text, scancode=0)
    _event("KEYUP", key=code, mod=mod, unicode=text, scancode=0)
    app.frame()


def ctrl(app, name, shift=False):
    import pygame

    key(app, name, pygame.KMOD_CTRL | (pygame.KMOD_SHIFT if shift else 0))


def pixel(view, world):
    return tuple(int(round(v)) for v in view.camera.to_screen(np.array(world, dtype=np.float64)))


def drag(app, view, start, end, button=1, steps=4):
    """Press at world point `start`, move to `end` in `steps`, release there."""
    a, b = np.array(pixel(view, start)), np.array(pixel(view, end))
    _event("MOUSEBUTTONDOWN", pos=tuple(a), button=button)
    last = a
    for k in range(1, steps + 1):
        at = tuple(int(v) for v in np.round(a + (b - a) * k / steps))
        _event("MOUSEMOTION", pos=at, rel=(at[0] - last[0], at[1] - last[1]),
               buttons=(button == 1, button == 2, button == 3))
        last = at
    _event("MOUSEBUTTONUP", pos=tuple(b), button=button)
    app.frame()


def click(app, view, world, button=1):
    drag(app, view, world, world, button, steps=1)


def type_name(app, view, text):
    """Replace the save-as prompt's text with `text` and press Enter."""
    for _ in range(len(view.prompt.text)):
        key(app, "BACKSPACE")
    for ch in text:
        key(app, 0, text=ch)
    key(app, "RETURN")


def same_level(arena, level, path):
    module = get_arena(arena).level_module
    return module.to_data(module.load(path)) == module.to_data(level)


# -- racing
STAR = [(70 * np.cos(a), 50 * np.sin(a)) for a in np.arange(8) * 2 * np.pi / 8]


def test_a_racing_track_is_built_from_nothing_edited_undone_redone_and_saved(editor, tmp_path):
    app, view = editor("racing")
    doc = view.doc
    assert doc.level is None and "centreline" in doc.problem
    for point in STAR:
        click(app, view, point)
    assert len(doc.data["centreline"]) == 8 and doc.level is not None, doc.problem
    # clicks snap to the 5 m grid, and a click between two points goes between them
    assert all(x % 5 == 0 and y % 5 == 0 for x, y in doc.data["centreline"])
    click(app, view, (60, 25))
    assert doc.data["centreline"][1] == [60.0, 25.0]
    ctrl(app, "z")
    assert len(doc.data["centreline"]) == 8
    ctrl(app, "y")
    assert doc.data["centreline"][1] == [60.0, 25.0]
    # dragging a point moves it: one undo step, however many motion events
    before = [list(p) for p in doc.data["centreline"]]
    drag(app, view, before[3], (before[3][0] - 20, before[3][1] + 10), steps=6)
    assert doc.data["centreline"][3] == [before[3][0] - 20, before[3][1] + 10]
    ctrl(app, "z")
    assert doc.data["centreline"] == before
    ctrl(app, "z", shift=True)  # Ctrl+Shift+Z redoes too
    assert doc.data["centreline"][3] != before[3]
    # widths per point, the start, deleting
    picked = list(doc.data["centreline"][2])
    click(app, view, picked)
    key(app, "RIGHTBRACKET")
    key(app, "RIGHTBRACKET")
    assert doc.data["width"][2] == doc.data["width"][0] + 2
    key(app, "s")  # the race starts at the picked point
    assert doc.data["centreline"][0] == picked and doc.data["width"][0] == doc.data["width"][1] + 2
    assert doc.level.start[:2] == pytest.approx(picked)
    click(app, view, doc.data["centreline"][4], button=3)
    assert len(doc.data["centreline"]) == 8 and doc.level is not None
    # save: a new level has no file, so Ctrl+S asks for a name
    ctrl(app, "s")
    assert view.prompt is not None
    target = tmp_path / "star.json"
    type_name(app, view, str(target))
    assert view.prompt is None and doc.path == target and not doc.dirty
    assert same_level("racing", doc.level, target)
    assert json.loads(target.read_text())["name"] == "star"


def test_keys_wait_while_a_drag_is_under_way_and_undo_drops_the_pick(editor):
    import pygame

    app, view = editor("racing")
    for point in STAR[:3]:
        click(app, view, point)
    assert view.tools.picked == 2
    ctrl(app, "z")  # the picked point is gone: the pick goes with it (the status line drew it)
    assert len(view.doc.data["centreline"]) == 2 and view.tools.picked is None
    ctrl(app, "y")
    click(app, view, STAR[3])
    _event("MOUSEBUTTONDOWN", pos=pixel(view, (0, -80)), button=1)  # a new point, held
    app.frame()
    key(app, "z", mod=pygame.KMOD_CTRL)
    key(app, "DELETE")
    drag_to = pixel(view, (10, -90))
    _event("MOUSEMOTION", pos=drag_to, rel=(1, 1), buttons=(1, 0, 0))
    _event("MOUSEBUTTONUP", pos=drag_to, button=1)
    app.frame()
    assert len(view.doc.data["centreline"]) == 5 and [10.0, -90.0] in view.doc.data["centreline"]
    ctrl(app, "z")  # the whole press, drag and release is one step
    assert len(view.doc.data["centreline"]) == 4


def test_a_crossing_track_shows_the_problem_and_where_and_does_not_save(editor, tmp_path):
    app, view = editor("racing")
    for point in STAR:
        click(app, view, point)
    doc = view.doc
    a, b = doc.data["centreline"][1], doc.data["centreline"][5]
    drag(app, view, a, (b[0] - 10, b[1] + 5))  # pull point 1 across the loop: the track crosses itself
    assert doc.level is None and ("crosses" in doc.problem or "overlaps" in doc.problem or "bend" in doc.problem)
    assert doc.problem_at is not None
    ctrl(app, "s")
    type_name(app, view, str(tmp_path / "bad.json"))
    assert not (tmp_path / "bad.json").exists() and "not saved" in view.messages.items[-1][1]
    key(app, "ESCAPE")
    ctrl(app, "z")
    assert doc.level is not None


# -- tanks
def test_a_tank_field_is_built_from_nothing_with_every_tool(editor, tmp_path):
    app, view = editor("tanks")
    doc = view.doc
    assert doc.level is None
    key(app, "w")
    drag(app, view, (10, 10), (20, 14))
    assert doc.data["walls"] == [[10.0, 10.0, 20.0, 14.0]]
    key(app, "l")
    for point in ((30, 5), (30, 25), (42, 25)):
        click(app, view, point)
    key(app, "RETURN")
    assert doc.data["wall_lines"] == [{"points": [[30.0, 5.0], [30.0, 25.0], [42.0, 25.0]], "thickness": 1.0}]
    key(app, "a")
    drag(app, view, (2, 2), (58, 38))
    assert doc.data["spawn_regions"] == [[2.0, 2.0, 58.0, 38.0]]
    assert doc.level is None and "tank_spawns" in doc.problem
    key(app, "t")
    drag(app, view, (5, 35), (5, 30))  # aimed down: -90 degrees
    assert doc.data["tank_spawns"] == [[5.0, 35.0, -90]]
    assert doc.level is not None, doc.problem
    ctrl(app, "z")
    assert doc.data["tank_spawns"] == [] and doc.level is None
    ctrl(app, "y")
    assert doc.level is not None
    # a spawn inside the wall is refused, and the problem names the spawn and its place
    key(app, "t")
    click(app, view, (15, 12))
    assert doc.level is None and "spawn 1 at (15, 12)" in doc.problem
    assert problem_position("tanks", doc.problem) == (15.0, 12.0)
    ctrl(app, "z")
    # pick and move the wall; delete the line with a right click; undo both
    key(app, "v")
    drag(app, view, (15, 12), (25, 32))
    assert doc.data["walls"] == [[20.0, 30.0, 30.0, 34.0]]
    click(app, view, (30, 15), button=3)
    assert doc.data.get("wall_lines") == []
    ctrl(app, "z")
    ctrl(app, "z")
    assert doc.data["walls"] == [[10.0, 10.0, 20.0, 14.0]] and len(doc.data["wall_lines"]) == 1
    # turn the spawn, resize the field
    click(app, view, (5, 35))
    key(app, "LEFTBRACKET")
    assert doc.data["tank_spawns"][0][2] == -75
    ctrl(app, "RIGHT")
    assert doc.data["width"] == 65
    key(app, "r")  # a rival needs a second tank spawn
    assert doc.data["rivals"] == 1 and "1 tank and 1 rival" in doc.problem
    key(app, "t")
    click(app, view, (55, 5))
    assert doc.level is not None and doc.level.n_tanks == 2, doc.problem
    target = tmp_path / "field.json"
    ctrl(app, "s", shift=True)
    type_name(app, view, str(target))
    assert same_level("tanks", doc.level, target) and not doc.dirty


# -- pacman
def test_a_maze_is_painted_from_nothing_with_mirror_symmetry_and_saved_as_a_lay_grid(editor, tmp_path):
    app, view = editor("pacman")
    doc = view.doc
    rows, cols = len(doc.data["maze"]), len(doc.data["maze"][0])

    def at(r, c):
        return (c + 0.5, rows - r - 0.5)

    assert doc.level is None
    key(app, "PERIOD")
    drag(app, view, at(1, 1), at(1, cols - 2), steps=3)  # fast: the stroke fills the cells it skipped
    assert doc.data["maze"][1] == "%" + "." * (cols - 2) + "%"
    key(app, "p")
    click(app, view, at(rows - 2, cols // 2))
    key(app, "g")
    click(app, view, at(rows // 2, cols // 2))
    assert doc.level is not None, doc.problem
    key(app, "p")
    click(app, view, at(rows - 3, 3))  # one Pac-Man: painting the start moves it
    assert sum(row.count("P") for row in doc.data["maze"]) == 1 and doc.data["maze"][rows - 3][3] == "P"
    key(app, "m")
    key(app, "w")
    drag(app, view, at(4, 2), at(8, 2))
    assert all(doc.data["maze"][r][2] == "%" == doc.data["maze"][r][cols - 3] for r in range(4, 9))
    ctrl(app, "z")
    assert all(doc.data["maze"][r][2] == " " == doc.data["maze"][r][cols - 3] for r in range(4, 9))
    ctrl(app, "y")
    key(app, "o")
    click(app, view, at(2, 1))
    assert doc.data["maze"][2][1] == "o" == doc.data["maze"][2][cols - 2]
    click(app, view, at(2, 1), button=3)  # the right button paints floor, mirrored too
    assert doc.data["maze"][2][1] == " " == doc.data["maze"][2][cols - 2]
    ctrl(app, "RIGHT")
    assert len(doc.data["maze"][0]) == cols + 1
    ctrl(app, "z")
    # walling a pellet in is refused with its place
    key(app, "m")
    key(app, "w")
    for r, c in ((1, 4), (2, 5), (1, 6)):
        click(app, view, at(r, c))
    assert doc.level is None and "line 2, column 6" in doc.problem
    ctrl(app, "z")
    assert doc.level is not None
    target = tmp_path / "painted.lay"
    ctrl(app, "s")
    type_name(app, view, str(target))
    assert target.read_text().splitlines() == doc.data["maze"] and same_level("pacman", doc.level, target)


# -- saving never overwrites silently
def test_save_as_onto_an_existing_file_asks_first(editor, tmp_path):
    existing = tmp_path / "taken.json"
    existing.write_text("precious")
    app, view = editor("racing", get_arena("racing").default_level_path())
    assert view.doc.builtin
    ctrl(app, "s")  # a built-in level is not saved over: save as instead
    assert view.prompt is not None
    type_name(app, view, str(existing))
    assert existing.read_text() == "precious" and view.prompt is not None
    key(app, "RETURN")  # the same name again: replace it
    assert view.prompt is None and same_level("racing", view.doc.level, existing)


def test_ctrl_s_asks_before_replacing_a_file_changed_on_disk(editor, tmp_path):
    path = tmp_path / "maze.txt"
    get_arena("pacman").level_module.save(get_arena("pacman").generate_level(1), path)
    app, view = editor("pacman", path)
    key(app, "w")
    click(app, view, (1.5, len(view.doc.data["maze"]) - 1.5))
    path.write_text(path.read_text() + "\n")  # someone else edits the file meanwhile
    changed = path.read_text()
    ctrl(app, "s")
    assert path.read_text() == changed and view.doc.dirty
    ctrl(app, "s")
    assert not view.doc.dirty and path.read_text().splitlines() == view.doc.data["maze"]


def test_quitting_with_unsaved_changes_warns_once(editor):
    app, view = editor("tanks")
    key(app, "w")
    drag(app, view, (10, 10), (20, 20))
    key(app, "q")
    assert app.running and "unsaved" in view.messages.items[-1][1]
    _event("QUIT")
    app.frame()
    assert not app.running


def test_typing_a_name_with_q_in_it_does_not_quit(editor, tmp_path):
    app, view = editor("racing")
    ctrl(app, "s", shift=True)
    type_name(app, view, str(tmp_path / "quick.json"))
    assert app.running


# -- playing the level being edited
def test_f5_evolves_a_population_on_the_edited_level_and_comes_back(editor, tmp_path):
    app, view = editor("racing", get_arena("racing").default_level_path(), population=12)
    drag(app, view, view.doc.data["centreline"][2], np.add(view.doc.data["centreline"][2], (5, 5)))
    key(app, "F5")
    view._starting[0].join(timeout=1200)  # a cold numba cache compiles the racing kernels first
    app.frame()
    assert view.sandbox is not None, view.messages.items
    played = view.sandbox.live.session.level
    assert played.control_points.tolist() == view.doc.data["centreline"]  # the edited level, unsaved
    key(app, "n")  # next generation: progress that must be kept
    key(app, "F5")
    assert view.sandbox is None
    for thread in threading.enumerate():  # what F5 compiles in the background ends with this test
        if thread.name == "warm-the-rest":
            thread.join(timeout=1200)
    saved = list((tmp_path / "saves").glob("racing-gen-*.checkpoint.json"))
    assert len(saved) == 1
    assert list((tmp_path / "saves").glob("racing-edited*.json"))


# -- the document, without a window
def test_a_level_failing_only_its_geometry_opens_to_be_mended(tmp_path):
    data = get_arena("racing").level_module.to_data(get_arena("racing").generate_level(3))
    data["centreline"][2], data["centreline"][6] = data["centreline"][6], data["centreline"][2]
    path = tmp_path / "knot.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ArenaError, match="knot.json"):
        get_arena("racing").load_level(path)
    doc = LevelDocument.open("racing", path)
    assert doc.level is None and "knot.json" in doc.problem and doc.problem_at is not None
    with pytest.raises(ArenaError, match="not saved"):
        doc.save(confirmed=True)
    assert json.loads(path.read_text()) == data


@pytest.mark.parametrize("content, message", [
    ("{", "knot.json"), ('{"format": "arena.level", "version": 1, "arena": "tanks"}', "not 'racing'"),
    ('{"format": "arena.level", "version": 1, "arena": "racing", "centreline": 3, "width": 9}', "centreline"),
])
def test_a_file_the_editor_cannot_show_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "knot.json"
    path.write_text(content)
    with pytest.raises(ArenaError, match=message) as caught:
        LevelDocument.open("racing", path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("argv, message", [
    (["edit", "tunnel"], "not 'tunnel'"),
    (["edit", "racing", "track.lay"], "is a .json file"),
    (["edit", "pacman", "no-such-folder/maze.txt"], "does not exist"),
    (["edit", "racing", "--size", "10x10"], "size"),
])
def test_arena_edit_refuses_bad_arguments_before_opening_a_window(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("arena", ["racing", "tanks", "pacman"])
def test_generated_levels_round_trip_through_the_editor(arena, tmp_path):
    level = get_arena(arena).generate_level(7)
    path = tmp_path / "generated.json"
    get_arena(arena).level_module.save(level, path)
    doc = LevelDocument.open(arena, path)
    assert doc.level is not None and not doc.dirty
    copy = tmp_path / "copy.json"
    doc.save(copy)
    assert same_level(arena, level, copy)
    with pytest.raises(ArenaError, match="already exists"):
        LevelDocument.open(arena, path).save(copy)


def test_undo_and_redo_walk_the_history_and_a_new_edit_drops_the_redo(tmp_path):
    doc = LevelDocument("tanks", blank_data("tanks"))
    for x in (5, 10, 15):
        doc.change(lambda d, x=x: d["walls"].append([x, 1, x + 2, 3]))
    assert doc.undo() and doc.undo()
    assert doc.data["walls"] == [[5, 1, 7, 3]]
    assert doc.redo()
    doc.change(lambda d: d["walls"].append([30, 1, 32, 3]))
    assert not doc.redo() and [w[0] for w in doc.data["walls"]] == [5, 10, 30]
    assert not doc.change(lambda d: None)  # no change, no undo step
    while doc.undo():
        pass
    assert doc.data == blank_data("tanks") and not doc.dirty


def test_edits_interrupted_by_ctrl_c_are_kept_in_a_new_file_that_reopens(tmp_path, capsys):
    from arena.ui.editor.view import _keep_interrupted_edits

    doc = LevelDocument("racing", blank_data("racing"))
    for x, y in ((0, 0), (40, 0), (40, 30)):  # three points: not a valid track yet, kept all the same
        doc.change(lambda d, x=x, y=y: (d["centreline"].append([x, y]), d["width"].append(10.0)))
    _keep_interrupted_edits(doc, tmp_path / "saves")
    _keep_interrupted_edits(doc, tmp_path / "saves")
    kept = sorted((tmp_path / "saves").glob("racing-unsaved*.json"))
    assert [p.name for p in kept] == ["racing-unsaved-2.json", "racing-unsaved.json"]
    assert str(kept[1]) in capsys.readouterr().err
    reopened = LevelDocument.open("racing", kept[1])
    assert reopened.data == doc.data and reopened.level is None and "centreline" in reopened.problem
