"""Pac-Man mazes: character grids, their validation, and a seeded maze generator.

Text file (`.txt`, or Berkeley's `.lay`), one maze row a line:

    %  wall          .  pellet        o  power pellet       -  ghost-house door
    P  Pac-Man start G  ghost start   space  empty floor

Rows must all be equally long (a short row is refused rather than padded: padding with walls
or with floor would each silently change a maze), and a maze is at least 3 by 3: in a smaller
one the wrap round the border makes up and down (or left and right) the same cell. Lines may
end in CRLF, and a UTF-8 byte order mark at the start of a text file (Windows editors write
one) is skipped.
A row open at both borders is a tunnel: it wraps around, and so does a column open at the top
and the bottom. Ghosts start on the G cells in reading order (ghost 0 on the first, ...); with
fewer than four G cells they share them.

A door (`-`, an extension of the Berkeley format) is a wall to Pac-Man; ghosts cross it only
on their way out. The cells that Pac-Man cannot reach but ghosts can (through doors) are the
ghost house; its exit is the cell outside the first door (reading order). A ghost in the house
may go anywhere; once it stands outside, doors are walls to it too, until it is eaten and sent
home. Without doors every ghost starts outside. Floor that nobody can reach is wall to the game.

JSON file: `{"format": "arena.level", "version": 1, "arena": "pacman", "name": "...",
"maze": ["%%%%", ...]}`, the rows as strings.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from arena.arenas.levelfile import check_header, read_level_json, refuse_unknown_fields
from arena.arenas.pacman.params import PARAMS
from arena.arenas.pacman.state import DOT, NO_PELLET, N_GHOSTS, POWER
from arena.core.errors import LevelError
from arena.core.fileio import atomic_write_text, read_text, write_json
from arena.core.seeding import STREAM_LEVEL, rng

WALL, FLOOR, PELLET_CHAR, POWER_CHAR, PACMAN_CHAR, GHOST_CHAR, DOOR = "%", " ", ".", "o", "P", "G", "-"
CHARACTERS = WALL + FLOOR + PELLET_CHAR + POWER_CHAR + PACMAN_CHAR + GHOST_CHAR + DOOR
STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))  # (row, column) of up, down, left, right
FAR = np.iinfo(np.int16).max  # "no path" in distance tables
MIN_SIDE = 3  # fewer rows (or columns) and stepping up and down (left and right) lands on the same cell
BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True, eq=False)
class PacmanLevel:
    name: str
    maze: tuple  # the rows as text, as in the file
    rows: int
    cols: int
    cell_of: np.ndarray  # int32[rows, cols]: index of each cell in play, -1 for walls
    cell_row: np.ndarray  # int32[n_cells]: row of each cell in play (reading order)
    cell_col: np.ndarray  # int32[n_cells]
    neighbours: np.ndarray  # int32[n_cells, 4]: the cell up, down, left, right (tunnels wrap), -1 for a
    #                         wall; doors open (the ghosts' maze)
    pac_neighbours: np.ndarray  # int32[n_cells, 4]: the same with doors shut (Pac-Man's maze)
    inside: np.ndarray  # bool[n_cells]: house and door cells (those Pac-Man cannot reach)
    door: np.ndarray  # bool[n_cells]
    distance: np.ndarray  # int16[n_cells, n_cells]: shortest path lengths in the ghosts' maze, in moves
    pac_distance: np.ndarray  # int16[n_cells, n_cells]: the same in Pac-Man's maze (FAR into the house)
    pellets: np.ndarray  # uint8[n_cells]: NO_PELLET, DOT or POWER at the start
    power_cells: np.ndarray  # int32[k]: cells with a power pellet at the start
    pac_start: int  # cell
    ghost_starts: np.ndarray  # int64[4]: cell of each ghost
    exit_cell: int  # the cell outside the house's first door (where ghosts leaving home go), -1 if no door
    n_pellets: int  # dots and power pellets
    pellet_points: int  # what eating every pellet scores
    max_ticks: int  # time limit of a game

    @property
    def n_cells(self) -> int:
        return self.cell_row.shape[0]


def _at(r: int, c: int) -> str:
    return f"line {r + 1}, column {c + 1}"


@njit(cache=True)
def all_pairs_distances(neighbours):
    """int16[n, n] shortest path lengths over the cells of `neighbours` (int32[n, 4]), FAR if none."""
    n = neighbours.shape[0]
    table = np.full((n, n), FAR, dtype=np.int16)
    queue = np.empty(n, dtype=np.int64)
    for source in range(n):
        row = table[source]
        row[source] = 0
        queue[0] = source
        head, tail = 0, 1
        while head < tail:
            c = queue[head]
            head += 1
            nxt = row[c] + 1
            for d in range(4):
                m = neighbours[c, d]
                if m >= 0 and row[m] == FAR:
                    row[m] = nxt
                    queue[tail] = m
                    tail += 1
    return table


def _flood(open_cells, start):
    """bool[rows, cols]: the cells of `open_cells` reachable from `start` (tunnels wrap)."""
    reached = np.zeros_like(open_cells)
    reached[start] = True
    stack = [start]
    while stack:
        r, c = stack.pop()
        for d in range(4):
            nxt = _step(open_cells, r, c, d)
            if nxt is not None and not reached[nxt]:
                reached[nxt] = True
                stack.append(nxt)
    return reached


def _neighbour_table(open_cells, cell_of, cell_row, cell_col):
    table = np.full((cell_row.shape[0], 4), -1, dtype=np.int32)
    for k in range(cell_row.shape[0]):
        for d in range(4):
            nxt = _step(open_cells, cell_row[k], cell_col[k], d)
            if nxt is not None:
                table[k, d] = cell_of[nxt]
    return table


def _step(open_cells, r, c, d):
    """The grid cell one step from (r, c) in direction d, wrapping at the borders, or None."""
    rows, cols = open_cells.shape
    r2, c2 = (r + STEPS[d][0]) % rows, (c + STEPS[d][1]) % cols
    return (r2, c2) if open_cells[r2, c2] else None


def maze_rows(text: str) -> list:
    """The rows of a maze file's text, trailing blank lines dropped."""
    # Only line feeds (CRLF too) end a line: splitlines() would also split at form feeds and
    # other separators, silently making a different maze of a row that has one.
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()
    return lines


def parse(text: str, source: str, name: str) -> PacmanLevel:
    """Validate a maze given as text; `LevelError` naming `source` and the place if it is unplayable."""
    lines = maze_rows(text)
    if not lines:
        raise LevelError(f"{source}: no maze (the file is empty)")
    if len(lines) > PARAMS.max_side or max(len(line) for line in lines) > PARAMS.max_side:
        raise LevelError(f"{source}: the maze is {len(lines)} rows by {max(len(line) for line in lines)} columns; "
                         f"at most {PARAMS.max_side} by {PARAMS.max_side}")
    cols = len(lines[0])
    for r, line in enumerate(lines):
        if len(line) != cols:
            raise LevelError(f"{source}: line {r + 1} has {len(line)} characters, line 1 has {cols} "
                             "(every row must be equally long; spaces are floor, trailing ones too)")
        for c, ch in enumerate(line):
            if ch not in CHARACTERS:
                raise LevelError(f"{source}: unknown character {ch!r} at {_at(r, c)} (known: % . o - P G and space)")
    if len(lines) < MIN_SIDE or cols < MIN_SIDE:
        raise LevelError(f"{source}: the maze is {len(lines)} by {cols} cells; at least {MIN_SIDE} by {MIN_SIDE} "
                         "(smaller, the wrap round the border makes up and down, or left and right, the same cell)")
    grid = np.array([list(line) for line in lines])
    rows = grid.shape[0]
    starts = np.argwhere(grid == PACMAN_CHAR)
    if len(starts) == 0:
        raise LevelError(f"{source}: no Pac-Man start (P)")
    if len(starts) > 1:
        raise LevelError(f"{source}: a second Pac-Man start (P) at {_at(*starts[1])}")
    ghosts = np.argwhere(grid == GHOST_CHAR)
    if len(ghosts) == 0:
        raise LevelError(f"{source}: no ghost start (G)")
    if len(ghosts) > N_GHOSTS:
        raise LevelError(f"{source}: a fifth ghost start (G) at {_at(*ghosts[N_GHOSTS])}; at most {N_GHOSTS}")

    start = tuple(int(v) for v in starts[0])
    for_ghosts = _flood(grid != WALL, start)
    for_pacman = _flood((grid != WALL) & (grid != DOOR), start)
    for r, c in ghosts:
        if not for_ghosts[r, c]:
            raise LevelError(f"{source}: the ghost start (G) at {_at(r, c)} has no way out to Pac-Man's start")
    for r, c in np.argwhere(np.isin(grid, [PELLET_CHAR, POWER_CHAR]) & ~for_pacman):
        raise LevelError(f"{source}: the pellet at {_at(r, c)} cannot be reached from Pac-Man's start")
    n_cells = int(for_ghosts.sum())
    if n_cells > PARAMS.max_cells:
        raise LevelError(f"{source}: {n_cells} cells in play; at most {PARAMS.max_cells}")
    cell_of = np.full((rows, cols), -1, dtype=np.int32)
    cell_row, cell_col = (a.astype(np.int32) for a in np.nonzero(for_ghosts))
    cell_of[cell_row, cell_col] = np.arange(n_cells, dtype=np.int32)
    neighbours = _neighbour_table(for_ghosts, cell_of, cell_row, cell_col)
    pac_neighbours = _neighbour_table(for_pacman, cell_of, cell_row, cell_col)
    pac_neighbours[~for_pacman[cell_row, cell_col]] = -1
    inside = ~for_pacman[cell_row, cell_col]
    door = grid[cell_row, cell_col] == DOOR
    exit_cell = -1
    for k in np.flatnonzero(door):
        outside = [m for m in neighbours[k] if m >= 0 and not inside[m]]
        if outside:
            exit_cell = int(outside[0])
            break
    kinds = grid[cell_row, cell_col]
    pellets = np.where(kinds == PELLET_CHAR, DOT, np.where(kinds == POWER_CHAR, POWER, NO_PELLET)).astype(np.uint8)
    n_pellets = int((pellets != NO_PELLET).sum())
    if n_pellets == 0:
        raise LevelError(f"{source}: no pellets (. or o) to eat")
    ghost_cells = cell_of[ghosts[:, 0], ghosts[:, 1]].astype(np.int64)
    n_dots, n_power = int((pellets == DOT).sum()), int((pellets == POWER).sum())
    return PacmanLevel(
        name=name, maze=tuple(lines), rows=rows, cols=cols, cell_of=cell_of, cell_row=cell_row, cell_col=cell_col,
        neighbours=neighbours, pac_neighbours=pac_neighbours, inside=inside, door=door,
        distance=all_pairs_distances(neighbours), pac_distance=all_pairs_distances(pac_neighbours), pellets=pellets,
        power_cells=np.flatnonzero(pellets == POWER).astype(np.int32), pac_start=int(cell_of[start]),
        ghost_starts=ghost_cells[np.arange(N_GHOSTS) % len(ghost_cells)], exit_cell=exit_cell,
        n_pellets=n_pellets, pellet_points=n_dots * PARAMS.pellet_points + n_power * PARAMS.power_points,
        max_ticks=PARAMS.base_ticks + PARAMS.ticks_per_pellet * n_pellets,
    )


def from_data(data, source: str) -> PacmanLevel:
    """A level from parsed JSON `data`; `source` names the file in messages."""
    check_header(data, "pacman", source)
    refuse_unknown_fields(data, ("format", "version", "arena", "name", "maze"), source)
    maze = data.get("maze")
    if not isinstance(maze, list) or not all(isinstance(row, str) for row in maze):
        raise LevelError(f"{source}: field 'maze' must be a list of text rows")
    if any("\n" in row or "\r" in row for row in maze):
        raise LevelError(f"{source}: field 'maze' has a row with a line break in it")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise LevelError(f"{source}: field 'name' must be text")
    return parse("\n".join(maze), source, name)


def load(path) -> PacmanLevel:
    """A maze from a `.json` level file, or from a text grid (any other name: `.txt`, `.lay`)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return from_data(read_level_json(path), str(path))
    return parse(read_maze_text(path), str(path), path.stem)


def read_maze_text(path) -> str:
    """A maze file's text, without the byte order mark Windows editors put first."""
    return read_text(path, "level", LevelError).removeprefix(BYTE_ORDER_MARK)


def to_data(level: PacmanLevel) -> dict:
    return {"format": "arena.level", "version": 1, "arena": "pacman", "name": level.name, "maze": list(level.maze)}


def save(level: PacmanLevel, path) -> None:
    """Write `level` as JSON (a `.json` name) or as a text grid (any other name)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        write_json(path, to_data(level), LevelError)
        return
    try:
        atomic_write_text(path, "\n".join(level.maze) + "\n")
    except OSError as exc:
        raise LevelError(f"{path}: cannot write: {exc.strerror or exc}") from None


def generate(seed: int, attempts: int = 20) -> PacmanLevel:
    """A random maze, mirror-symmetric left to right, with loops (no dead ends), power pellets in
    the four corners, ghosts in the middle, Pac-Man below them and sometimes a tunnel.

    Corridors run between the odd rows and columns of a lattice; a random spanning tree of the
    left half (the middle lattice column included) is mirrored, so the maze is connected, and
    then every dead end is opened into a neighbour. It goes through `parse`, so it is valid.
    """
    for attempt in range(attempts):
        r = rng(seed, STREAM_LEVEL, attempt)
        lattice_rows = int(r.integers(5, 10))
        half = int(r.integers(3, 7))  # lattice columns 0 .. 2 * half, the middle one is `half`
        lattice_cols = 2 * half + 1
        rows, cols = 2 * lattice_rows + 1, 2 * lattice_cols + 1
        grid = np.full((rows, cols), WALL)
        grid[1::2, 1::2] = PELLET_CHAR

        def carve(i, j, i2, j2):
            """Open the wall between lattice cells (i, j) and (i2, j2), and its mirror image."""
            for a, b, a2, b2 in ((i, j, i2, j2), (i, 2 * half - j, i2, 2 * half - j2)):
                grid[a + a2 + 1, b + b2 + 1] = PELLET_CHAR

        # Random depth-first spanning tree over the left half and the middle column.
        seen = np.zeros((lattice_rows, half + 1), dtype=bool)
        stack = [(int(r.integers(lattice_rows)), int(r.integers(half + 1)))]
        seen[stack[0]] = True
        while stack:
            i, j = stack[-1]
            options = [(i + di, j + dj) for di, dj in STEPS
                       if 0 <= i + di < lattice_rows and 0 <= j + dj <= half and not seen[i + di, j + dj]]
            if not options:
                stack.pop()
                continue
            i2, j2 = options[int(r.integers(len(options)))]
            carve(i, j, i2, j2)
            seen[i2, j2] = True
            stack.append((i2, j2))
        # Braid: open each dead end of the left half into one more neighbour.
        for i in range(lattice_rows):
            for j in range(half + 1):
                exits = [(di, dj) for di, dj in STEPS if grid[2 * i + 1 + di, 2 * j + 1 + dj] != WALL]
                if len(exits) == 1:
                    walls = [(di, dj) for di, dj in STEPS if (di, dj) not in exits
                             and 0 <= i + di < lattice_rows and 0 <= j + dj < lattice_cols]
                    di, dj = walls[int(r.integers(len(walls)))]
                    carve(i, j, i + di, j + dj)  # past the middle: the mirror of a wall on the left
        middle_row = 2 * (lattice_rows // 2) + 1
        centre = 2 * half + 1
        for c in (centre - 2, centre, centre + 2):
            grid[middle_row, c - 1:c + 2] = FLOOR
            grid[middle_row, c] = GHOST_CHAR
        grid[rows - 2, centre] = PACMAN_CHAR
        for i, j in ((1, 1), (1, cols - 2), (rows - 2, 1), (rows - 2, cols - 2)):
            grid[i, j] = POWER_CHAR
        if r.random() < 0.5:
            tunnel_row = 2 * int(r.integers(1, lattice_rows - 1)) + 1
            if tunnel_row != middle_row:
                grid[tunnel_row, 0] = grid[tunnel_row, cols - 1] = PELLET_CHAR  # no trailing space to lose
        text = "\n".join("".join(row) for row in grid)
        try:
            return parse(text, f"generated maze {seed}", f"generated-{seed}")
        except LevelError:
            continue
    raise LevelError(f"generated maze {seed}: no valid maze in {attempts} attempts")
