"""What the level editor edits: a level as the JSON data of its file, with undo and redo,
checked by the arena's own loader, and saved so that no file is ever overwritten silently.

The data is exactly what the file holds (Pac-Man text grids too: as the `maze` rows), so the
game, the CLI and the editor share one loader and one validator: a level the editor calls
valid is one `arena play --level` plays. No pygame here: the view edits `data` through
`begin`/`end` (one undo step each) and draws what `level` and `problem` say.
"""

import copy
import os
import re
from pathlib import Path

from arena.arenas import get_arena
from arena.arenas.base import LEVELS_ROOT
from arena.arenas.levelfile import (
    LEVEL_FORMAT,
    LEVEL_VERSION,
    check_header,
    is_finite_number,
    read_level_json,
)
from arena.core.errors import LevelError, UsageError
from arena.persist.levelpaths import is_grid, suffix_problem

EDITABLE = ("racing", "tanks", "pacman")
BLANK_MAZE = (15, 19)  # rows, columns of a new Pac-Man maze: walled round, floor inside
BLANK_FIELD = (60, 40)  # metres, a new tank field
UNDO_DEPTH = 500

_POINT = re.compile(r"\((-?\d+(?:\.\d+)?), (-?\d+(?:\.\d+)?)\)")
_RECT = re.compile(r"\[(-?[\d.]+), (-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\]")
_CELL = re.compile(r"line (\d+), column (\d+)")


def blank_data(arena_name: str) -> dict:
    """A level with nothing in it yet (not valid: it is there to be built)."""
    head = {"format": LEVEL_FORMAT, "version": LEVEL_VERSION, "arena": arena_name}
    if arena_name == "racing":
        return {**head, "centreline": [], "width": [], "laps": 1}
    if arena_name == "tanks":
        width, height = BLANK_FIELD
        return {**head, "width": width, "height": height, "walls": [], "spawn_regions": [], "tank_spawns": []}
    rows, cols = BLANK_MAZE
    inside = "%" + " " * (cols - 2) + "%"
    return {**head, "maze": ["%" * cols] + [inside] * (rows - 2) + ["%" * cols]}


def problem_position(arena_name: str, message: str):
    """Where a loader's message says the problem is: (x, y) in the world, or (row, column) of a
    maze cell for Pac-Man; None when it names no place."""
    if arena_name == "pacman":
        found = _CELL.search(message)
        return (int(found[1]) - 1, int(found[2]) - 1) if found else None
    found = _POINT.search(message)
    if found:
        return float(found[1]), float(found[2])
    found = _RECT.search(message)
    if found:
        x0, y0, x1, y1 = (float(v) for v in found.groups())
        return (x0 + x1) / 2, (y0 + y1) / 2
    return None


def _numbers(value, width) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, list) and len(item) == width and all(is_finite_number(v) for v in item) for item in value)


def _editable_shape(arena_name: str, data: dict) -> bool:
    """Whether `data` has the shape the editor indexes into (its geometry may still be wrong)."""
    if arena_name == "racing":
        points, width = data.get("centreline"), data.get("width")
        widths_ok = is_finite_number(width) or (
            isinstance(width, list) and isinstance(points, list) and len(width) == len(points)
            and all(is_finite_number(w) for w in width))
        return _numbers(points, 2) and widths_ok
    if arena_name == "tanks":
        lines = data.get("wall_lines", [])
        return (is_finite_number(data.get("width")) and is_finite_number(data.get("height"))
                and _numbers(data.get("walls", []), 4) and _numbers(data.get("spawn_regions"), 4)
                and _numbers(data.get("tank_spawns"), 3) and isinstance(lines, list)
                and all(isinstance(line, dict) and _numbers(line.get("points"), 2)
                        and is_finite_number(line.get("thickness", 1.0)) for line in lines))
    maze = data.get("maze")
    from arena.arenas.pacman.level import CHARACTERS

    return (isinstance(maze, list) and len(maze) >= 3 and all(isinstance(row, str) for row in maze)
            and len({len(row) for row in maze}) == 1 and len(maze[0]) >= 3
            and all(ch in CHARACTERS for row in maze for ch in row))


def _disk_stamp(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class LevelDocument:
    """A level being edited: `data` (the file's JSON), `path` (where Ctrl+S saves; None until
    named), `level` (the loaded level when `data` is valid, else None) and `problem` (the
    loader's one-line message when it is not), with undo and redo."""

    def __init__(self, arena_name: str, data: dict, path=None, on_disk=False):
        if arena_name not in EDITABLE:
            raise UsageError(f"the editor edits {', '.join(EDITABLE)} levels, not {arena_name!r}")
        self.arena = get_arena(arena_name)
        self.arena_name = arena_name
        self.data = data
        self.path = Path(path) if path is not None else None
        # a file opened from the program's own levels is saved elsewhere (save as), not over it
        self.builtin = self.path is not None and self.path.resolve().parent == (LEVELS_ROOT / arena_name).resolve()
        self.saved_data = copy.deepcopy(data) if on_disk else None
        self._stamp = _disk_stamp(self.path) if on_disk else None
        self.undo_stack, self.redo_stack = [], []
        self._before = None
        self.level = self.problem = self.problem_at = None
        self.validate()

    # -- opening
    @classmethod
    def open(cls, arena_name: str, path=None):
        """The level at `path`, or a blank one (to be saved at `path` when given and not there yet).
        A file the editor cannot show (not a level, another arena's, broken structure) is refused
        with the loader's message; a level that only fails its geometry checks opens, to be mended."""
        if arena_name not in EDITABLE:
            raise UsageError(f"the editor edits {', '.join(EDITABLE)} levels, not {arena_name!r}")
        if path is None:
            return cls(arena_name, blank_data(arena_name))
        path = Path(path)
        if suffix_problem(arena_name, path):
            raise UsageError(f"{path}: {suffix_problem(arena_name, path)}")
        if not path.exists():
            if not path.parent.is_dir():
                raise UsageError(f"{path}: folder {path.parent} does not exist")
            return cls(arena_name, blank_data(arena_name), path)
        if is_grid(path):
            from arena.arenas.pacman.level import maze_rows, read_maze_text

            data = {**blank_data(arena_name), "maze": maze_rows(read_maze_text(path))}
        else:
            data = read_level_json(path)
            check_header(data, arena_name, str(path))
        try:
            get_arena(arena_name).level_module.from_data(copy.deepcopy(data), str(path))
        except LevelError:
            if not _editable_shape(arena_name, data):
                raise
        if arena_name == "racing" and not isinstance(data["width"], list):
            data["width"] = [data["width"]] * len(data["centreline"])  # the editor sets widths point by point
        return cls(arena_name, data, path, on_disk=True)

    # -- state
    @property
    def source(self) -> str:
        return str(self.path) if self.path is not None else f"new {self.arena_name} level"

    @property
    def dirty(self) -> bool:
        """Whether the data differs from what was last saved (a new level: from nothing)."""
        if self.saved_data is None:
            return self.data != blank_data(self.arena_name)
        return self.data != self.saved_data

    def validate(self) -> None:
        try:
            self.level = self.arena.level_module.from_data(copy.deepcopy(self.data), self.source)
            self.problem = self.problem_at = None
        except LevelError as exc:
            self.level = None
            self.problem = str(exc)
            self.problem_at = problem_position(self.arena_name, self.problem)

    # -- editing: every change between begin() and end() is one undo step
    def begin(self) -> None:
        if self._before is None:
            self._before = copy.deepcopy(self.data)

    def end(self) -> bool:
        """Close the open change; whether it changed anything."""
        before, self._before = self._before, None
        if before is None or before == self.data:
            return False
        self.undo_stack.append(before)
        del self.undo_stack[:-UNDO_DEPTH]
        self.redo_stack.clear()
        self.validate()
        return True

    def change(self, edit) -> bool:
        """Apply `edit(data)` as one undo step."""
        self.begin()
        edit(self.data)
        return self.end()

    def undo(self) -> bool:
        return self._swap(self.undo_stack, self.redo_stack)

    def redo(self) -> bool:
        return self._swap(self.redo_stack, self.undo_stack)

    def _swap(self, source: list, target: list) -> bool:
        self.end()
        if not source:
            return False
        target.append(self.data)
        self.data = source.pop()
        self.validate()
        return True

    # -- saving
    def needs_confirmation(self, path) -> str:
        """Why saving to `path` would replace something (to be confirmed first), or ''."""
        path = Path(path)
        if path == self.path and self._stamp is not None:
            if _disk_stamp(path) != self._stamp:
                return f"{path} changed on disk since it was opened or saved here"
            return ""
        if os.path.lexists(path):
            return f"{path} already exists"
        return ""

    def check_target(self, path) -> Path:
        path = Path(path)
        if suffix_problem(self.arena_name, path):
            raise UsageError(f"{path}: {suffix_problem(self.arena_name, path)}")
        if not path.parent.is_dir():
            raise UsageError(f"{path}: folder {path.parent} does not exist")
        if path.is_dir():
            raise UsageError(f"{path}: is a folder")
        return path

    def save(self, path=None, confirmed: bool = False) -> Path:
        """Write the level to `path` (default: its own file) atomically, then load it back.

        Refuses (ArenaError, nothing written) an invalid level, a built-in level's own file, or
        replacing a file it did not write itself unless `confirmed` (see `needs_confirmation`)."""
        if path is None:
            if self.path is None:
                raise UsageError("the level has no file yet: save it as (Ctrl+Shift+S)")
            if self.builtin:
                raise UsageError(f"{self.path} is a built-in level: save a copy as (Ctrl+Shift+S)")
        path = self.check_target(path if path is not None else self.path)
        reason = self.needs_confirmation(path)
        if reason and not confirmed:
            raise UsageError(f"not saved: {reason}")
        data = copy.deepcopy(self.data)
        if self.arena_name != "pacman" or path.suffix.lower() == ".json":
            data.setdefault("name", path.stem)
        module = self.arena.level_module
        try:
            level = module.from_data(copy.deepcopy(data), str(path))
        except LevelError as exc:
            raise LevelError(f"not saved: {exc}") from None
        module.save(level, path)
        module.load(path)  # what was written loads back, or this says why
        self.end()
        self.data = data
        self.path = path
        self.builtin = False
        self.saved_data = copy.deepcopy(data)
        self._stamp = _disk_stamp(path)
        self.validate()
        return path
