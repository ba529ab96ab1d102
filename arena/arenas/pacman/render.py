"""Drawing the pacman arena: the maze in arcade blue, one game in full, the other Pac-Men as dots.

Hundreds of games run at once on the same maze; drawing all their ghosts and pellets would be
noise. So one game is drawn in full (the human's, else the selected one, else the leader, as
`marks` say): its pellets, its four ghosts (red, pink, cyan, orange; blue while frightened,
flashing white near the end; eyes looking where they go) and its Pac-Man (a mouth facing his
way). Every other running game shows only its Pac-Man, as a small dot in its colour.

With skins, the shown game's Pac-Man wears his skin, outlined in his game's colour, and its
ghosts their team's skin (one genome plays all four), outlined in their own colours; a
frightened ghost is blue (or flashing) as ever, since that colour is the game's.

World coordinates: one unit a cell, x = column, y = -row (y up, the maze's top edge on y = 0).
"""

import numpy as np
import pygame

from arena.arenas.pacman.state import (
    G_CELL, G_DIR, G_FRIGHT, G_STATUS, N_GHOSTS, OUT, PAC_COL, PAC_DIR, PAC_ROW, POWER, POWER_LEFT, TICK,
)
from arena.ui.draw import DEAD, HIGHLIGHT, HUMAN, SELECTED, Renderer, blit_turned, visible

BACKGROUND = (0, 0, 0)
WALL_FILL = (10, 10, 60)
WALL_EDGE = (33, 33, 222)
DOOR = (255, 184, 222)
PELLET = (255, 184, 151)
PACMAN = (255, 255, 0)
GHOST_COLOURS = ((255, 0, 0), (255, 184, 255), (0, 255, 255), (255, 184, 82))  # Blinky, Pinky, Inky, Clyde
FRIGHTENED = (33, 33, 255)
FLASH = (222, 222, 255)
EYE_WHITE = (240, 240, 255)
PUPIL = (20, 20, 160)
FLASH_TICKS = 15  # frightened ghosts flash in their last ticks
MAX_CACHED_PIXELS = 4096  # the pre-drawn maze is at most this wide or tall
DIRECTIONS = np.array([[0.0, 1.0], [0.0, -1.0], [-1.0, 0.0], [1.0, 0.0]])  # up, down, left, right in the world
ARROWS = (pygame.K_UP, pygame.K_DOWN, pygame.K_LEFT, pygame.K_RIGHT)
# A wall cell's sides: (row, column) step to the neighbour, then the side's ends in cell units.
EDGES = ((-1, 0, 0, 0, 1, 0), (1, 0, 0, 1, 1, 1), (0, -1, 0, 0, 0, 1), (0, 1, 1, 0, 1, 1))
MOUTH_OPEN, MOUTH_SHUT = 0.7, 0.25  # half-angles of Pac-Man's mouth, radians: he chomps between them


def _pacman_shape(mouth: float) -> tuple:
    """Pac-Man facing right, as a sprite shape (fractions of the sprite's width and height)."""
    arc = np.linspace(mouth, 2 * np.pi - mouth, 16)
    return ((0.5, 0.5),) + tuple((0.5 + 0.5 * float(np.cos(a)), 0.5 - 0.5 * float(np.sin(a))) for a in arc)


def _ghost_outline() -> np.ndarray:
    """float64[k, 2]: a ghost's outline in units of its radius, from the point its body circle
    is drawn around (y down): the dome, then the wavy hem from right to left."""
    dome = [(np.cos(t), -0.1 - np.sin(t)) for t in np.linspace(np.pi, 0.0, 14)]
    hem = [(-1 + k / 3, 0.65 if k % 2 else 1.0) for k in range(6, -1, -1)]
    return np.array(dome + hem)


_PACMAN_SHAPES = {mouth: _pacman_shape(mouth) for mouth in (MOUTH_OPEN, MOUTH_SHUT)}
_GHOST = _ghost_outline()
# the ghost's box: x from -1 to 1 radius, y from -1.1 (top of the dome) to 1 (hem)
_GHOST_SHAPE = tuple(((x + 1.0) / 2.0, (y + 1.1) / 2.1) for x, y in _GHOST.tolist())


class PacmanRenderer(Renderer):
    human_keys = "arrows: Pac-Man turns at the next opening that way (the last arrow pressed counts)"

    def __init__(self, arena, level):
        super().__init__(arena, level)
        self._cache_scale = None
        self._cache = None
        self._last_arrow = 2  # Pac-Man starts going left
        centres = np.stack([level.cell_col + 0.5, -(level.cell_row + 0.5)], axis=1).astype(np.float64)
        self.cell_centres = centres  # float64[n_cells, 2], world

    def bounds(self):
        return (0.0, -float(self.level.rows), float(self.level.cols), 0.0)

    # -- the maze
    def draw_level(self, surface, camera):
        surface.fill(BACKGROUND)
        level = self.level
        width, height = level.cols * camera.scale, level.rows * camera.scale
        if max(width, height) <= MAX_CACHED_PIXELS:
            if self._cache_scale != camera.scale:
                self._cache = self._render_maze(camera.scale)
                self._cache_scale = camera.scale
            corner = camera.to_screen(np.array([[0.0, 0.0]]))[0]
            surface.blit(self._cache, (int(round(corner[0])), int(round(corner[1]))))
        else:  # zoomed far in: draw straight onto the screen
            origin = camera.to_screen(np.array([[0.0, 0.0]]))[0]
            self._draw_maze(surface, camera.scale, origin[0], origin[1])

    def _render_maze(self, scale):
        level = self.level
        surface = pygame.Surface((int(np.ceil(level.cols * scale)) + 1, int(np.ceil(level.rows * scale)) + 1))
        surface = surface.convert() if pygame.display.get_surface() else surface  # the screen's format blits fastest
        surface.fill(BACKGROUND)
        self._draw_maze(surface, scale, 0.0, 0.0)
        return surface

    def _draw_maze(self, surface, scale, left, top):
        """Walls as dark blocks with bright edges where they face a corridor; doors as pink bars."""
        level = self.level
        open_cell = level.cell_of >= 0  # floor nobody can reach is drawn as wall, as the game treats it
        size = max(int(np.ceil(scale)), 1)
        edge = max(1, int(round(scale / 8)))
        w, h = surface.get_size()
        for r, c in np.argwhere(~open_cell):
            x, y = left + c * scale, top + r * scale
            if x > w or y > h or x + size < 0 or y + size < 0:
                continue
            pygame.draw.rect(surface, WALL_FILL, (int(x), int(y), size, size))
            for dr, dc, x0, y0, x1, y1 in EDGES:
                rr, cc = r + dr, c + dc
                if 0 <= rr < level.rows and 0 <= cc < level.cols and open_cell[rr, cc]:
                    start, end = (x + x0 * scale, y + y0 * scale), (x + x1 * scale, y + y1 * scale)
                    pygame.draw.line(surface, WALL_EDGE, start, end, edge)
        for k in np.flatnonzero(level.door):
            x, y = left + level.cell_col[k] * scale, top + (level.cell_row[k] + 0.4) * scale
            pygame.draw.rect(surface, DOOR, (int(x), int(y), size, max(2, int(scale * 0.2))))

    # -- the games
    @staticmethod
    def shown_game(marks, n_rows):
        """The row drawn in full: the human's, else the selected one, else the leader, else the first."""
        for colour in (HUMAN, SELECTED, HIGHLIGHT):
            for row, mark in marks.items():
                if tuple(mark) == tuple(colour) and 0 <= row < n_rows:
                    return row
        return next((row for row in marks if 0 <= row < n_rows), 0 if n_rows else None)

    def draw_agents(self, surface, camera, state, colours, marks, skins=None):
        alive = state.alive
        positions = np.stack([state.count[:, PAC_COL] + 0.5, -(state.count[:, PAC_ROW] + 0.5)], axis=1)
        screen = camera.to_screen(positions)
        shown = self.shown_game(marks, alive.shape[0])
        dot = max(1.5, camera.scale * 0.18)
        others = np.flatnonzero(alive & visible(camera, screen))
        for row, (x, y) in zip(others.tolist(), screen[others].tolist()):
            if row != shown:
                pygame.draw.circle(surface, colours[row].tolist(), (x, y), dot)
        if shown is not None:
            self._draw_game(surface, camera, state, shown, marks.get(shown), colours[shown].tolist(),
                            self.skin_sprites(skins, "pacman"), self.skin_sprites(skins, "ghost"))

    def _draw_game(self, surface, camera, state, row, mark, colour, pacman_skins, ghost_skins):
        """Game `row` in full; `colour` its colour (the outline of a skinned Pac-Man), the skins
        SkinSprites (or None) of its Pac-Man and its ghosts."""
        scale = camera.scale
        pellets = state.pellet[row]
        cells = np.flatnonzero(pellets)
        if cells.size:
            points = camera.to_screen(self.cell_centres[cells])
            power = pellets[cells] == POWER
            blink = (state.count[row, TICK] // 8) % 2 == 0
            for (x, y), big in zip(points.tolist(), power.tolist()):
                if big:
                    if blink:
                        pygame.draw.circle(surface, PELLET, (x, y), max(2.0, scale * 0.35))
                else:
                    pygame.draw.circle(surface, PELLET, (x, y), max(1.0, scale * 0.1))
        power_left = state.count[row, POWER_LEFT]
        team_skin = ghost_skins.worn([row])[0] if ghost_skins is not None else -1
        for g in range(N_GHOSTS):
            if state.ghost[row, g, G_STATUS] == OUT:
                continue
            skin = None
            if state.ghost[row, g, G_FRIGHT]:
                body = FLASH if power_left < FLASH_TICKS and (power_left // 4) % 2 else FRIGHTENED
            else:
                body = GHOST_COLOURS[g]
                if team_skin >= 0:
                    skin = ghost_skins.sprite(team_skin, _GHOST_SHAPE, _ghost_size(scale))
            centre = camera.to_screen(self.cell_centres[state.ghost[row, g, G_CELL]][None])[0]
            self._draw_ghost(surface, centre, scale, body, state.ghost[row, g, G_DIR], skin)
        centre = camera.to_screen(np.array([[state.count[row, PAC_COL] + 0.5, -(state.count[row, PAC_ROW] + 0.5)]]))[0]
        radius = max(3.0, scale * 0.45)
        direction = state.count[row, PAC_DIR]
        mouth = MOUTH_OPEN if state.count[row, TICK] % 2 == 0 else MOUTH_SHUT
        angle = np.arctan2(*DIRECTIONS[direction][::-1]) if direction >= 0 else 0.0
        arc = np.linspace(angle + mouth, angle + 2 * np.pi - mouth, 16)
        # The screen's y axis points down: world angle a is drawn at -a.
        body = [tuple(centre)] + [(centre[0] + radius * np.cos(a), centre[1] - radius * np.sin(a)) for a in arc]
        skin = pacman_skins.worn([row])[0] if pacman_skins is not None and state.alive[row] else -1
        if skin >= 0:
            side = max(1, round(2 * radius))
            blit_turned(surface, [pacman_skins.sprite(skin, _PACMAN_SHAPES[mouth], (side, side))], centre[None],
                        np.array([angle]))
            pygame.draw.polygon(surface, colour, body, 1 if radius < 12 else 2)
        else:
            pygame.draw.polygon(surface, PACMAN if state.alive[row] else DEAD, body)
        if mark is not None:
            pygame.draw.circle(surface, mark, centre.tolist(), radius + 2, 2)

    @staticmethod
    def _draw_ghost(surface, centre, scale, colour, direction, skin=None):
        """A ghost around `centre` (pixels) in `colour`, or in `skin` (a sprite of `_ghost_size`)
        outlined in `colour`."""
        x, y = centre
        r = max(3.0, scale * 0.45)
        if skin is None:
            pygame.draw.circle(surface, colour, (x, y - r * 0.1), r)
            skirt = [(x - r, y - r * 0.1), (x - r, y + r)]
            for k in range(1, 7):  # a wavy hem
                skirt.append((x - r + k * r / 3, y + (r * 0.65 if k % 2 else r)))
            skirt.append((x + r, y - r * 0.1))
            pygame.draw.polygon(surface, colour, skirt)
        else:
            surface.blit(skin, (round(x - r), round(y - 1.1 * r)))
            pygame.draw.polygon(surface, colour, (_GHOST * r + np.array([x, y])).tolist(), 1 if r < 12 else 2)
        look = DIRECTIONS[direction] if direction >= 0 else np.zeros(2)
        for side in (-1, 1):
            ex, ey = x + side * r * 0.38, y - r * 0.25
            pygame.draw.circle(surface, EYE_WHITE, (ex, ey), r * 0.28)
            pygame.draw.circle(surface, PUPIL, (ex + look[0] * r * 0.13, ey - look[1] * r * 0.13), r * 0.14)

    def draw_sensors(self, surface, camera, state, row, inputs):
        """Pac-Man's four moves: green as near a pellet, red as near a dangerous ghost, ringed blue
        when a frightened ghost is near (only a Pac-Man's inputs are drawn)."""
        if inputs.shape[0] != 5 * 4 + 1:
            return
        origin = np.array([state.count[row, PAC_COL] + 0.5, -(state.count[row, PAC_ROW] + 0.5)])
        for d in range(4):
            if inputs[d] < 0.5:
                continue
            tip = camera.to_screen((origin + DIRECTIONS[d])[None])[0]
            near = float(1.0 - inputs[4 + d])
            danger = float(inputs[8 + d])
            colour = (int(255 * danger), int(255 * near * (1.0 - danger)), 60)
            pygame.draw.line(surface, colour, camera.to_screen(origin[None])[0].tolist(), tip.tolist(), 2)
            pygame.draw.circle(surface, colour, tip.tolist(), max(3.0, camera.scale * 0.2))
            if inputs[12 + d] > 0.0:
                pygame.draw.circle(surface, FRIGHTENED, tip.tolist(), max(5.0, camera.scale * 0.3), 2)

    def human_action(self, held):
        for d, key in enumerate(ARROWS):
            if key in held:
                self._last_arrow = d
        action = np.zeros(4, dtype=np.float32)
        action[self._last_arrow] = 1.0
        return action


def _ghost_size(scale: float) -> tuple:
    """(width, height) pixels of a ghost sprite at `scale` pixels a cell (see `_draw_ghost`)."""
    r = max(3.0, scale * 0.45)
    return max(1, round(2 * r)), max(1, round(2.1 * r))


RENDERER = PacmanRenderer
