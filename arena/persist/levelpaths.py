"""Which files hold levels: JSON for every arena, and Pac-Man mazes also as character grids."""

from pathlib import Path

PACMAN_GRIDS = (".txt", ".lay")  # Pac-Man mazes as character grids; every other level is JSON


def level_suffixes(arena_name: str) -> tuple:
    """The file name endings a level of `arena_name` may have."""
    return (".json",) + (PACMAN_GRIDS if arena_name == "pacman" else ())


def is_grid(path) -> bool:
    """Whether `path` names a Pac-Man character grid (by its ending)."""
    return Path(path).suffix.lower() in PACMAN_GRIDS


def suffix_problem(arena_name: str, path) -> str:
    """Why `path` cannot be a level of `arena_name` by its name ("a racing level is a .json
    file"), or '' if it can."""
    kinds = level_suffixes(arena_name)
    if Path(path).suffix.lower() in kinds:
        return ""
    listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"
    return f"a {arena_name} level is a {listed} file"
