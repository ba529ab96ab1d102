"""Drawing the racing arena: the track from above, cars as rotated bodies (in their skins,
outlined in their colour), the sensor rays."""

import numpy as np
import pygame

from arena.arenas.racing.params import PARAMS
from arena.arenas.racing.state import HEADING, X, Y
from arena.arenas.racing.track import sample_polyline
from arena.ui.draw import (
    DEAD, GRASS, Renderer, blit_turned, body_shape, draw_polygons, outline_polygons, rotated, visible,
)

ROAD = (70, 72, 78)
KERB = (225, 225, 225)
RAY = (255, 120, 60)
GOAL_SQUARES = 8  # black and white squares across the goal line
CAR_LENGTH = 2.6  # metres: a little more than the collision circle, which is 2 m across
CAR_WIDTH = 1.5
MIN_CAR_PIXELS = 7.0  # zoomed far out, cars keep this length so they stay visible
MAX_CACHED_PIXELS = 4096  # the pre-drawn track surface is at most this wide or tall
RAY_OFFSETS = np.linspace(-PARAMS.ray_spread / 2, PARAMS.ray_spread / 2, PARAMS.n_rays)
_BODY = np.array([[0.5, 0.0], [0.3, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.3, -0.5]])  # nose first, unit size
_SKINNED_BODY = body_shape(_BODY)


class RacingRenderer(Renderer):
    human_keys = "arrows: up throttle, down brake, left and right steer"
    skin_size = (32, round(32 * CAR_WIDTH / CAR_LENGTH))

    def __init__(self, arena, level):
        super().__init__(arena, level)
        centre = level.centre
        tangent = np.roll(centre, -1, axis=0) - np.roll(centre, 1, axis=0)
        tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
        normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
        half = (level.width / 2)[:, None]
        self.left = centre + normal * half
        self.right = centre - normal * half
        self.start_line = np.array([self.left[0], self.right[0]])
        self.dead_ends = [_corridor(points, width, level.width.min() / 2) for points, width in level.dead_ends]
        goal = level.goal_index
        self.goal_line = None if level.goal is None else np.array([self.left[goal], self.right[goal]])
        self._cache_scale = None
        self._cache = None

    def bounds(self):
        xy = np.vstack([self.left, self.right] + [edges for quads, _, _ in self.dead_ends for edges in quads])
        lo, hi = xy.min(axis=0) - 5.0, xy.max(axis=0) + 5.0
        return (lo[0], lo[1], hi[0], hi[1])

    def draw_level(self, surface, camera):
        surface.fill(GRASS)
        xmin, ymin, xmax, ymax = self.bounds()
        width, height = (xmax - xmin) * camera.scale, (ymax - ymin) * camera.scale
        if max(width, height) <= MAX_CACHED_PIXELS:
            if self._cache_scale != camera.scale:
                self._cache = self._render_whole(camera.scale)
                self._cache_scale = camera.scale
            corner = camera.to_screen(np.array([[xmin, ymax]]))[0]
            surface.blit(self._cache, (int(round(corner[0])), int(round(corner[1]))))
        else:  # zoomed far in: draw only the quads in view
            self._draw_road(surface, camera.to_screen(self.left), camera.to_screen(self.right), camera)
            self._draw_extras(surface, camera.to_screen, 3 if camera.scale >= 6 else 2)

    def _render_whole(self, scale):
        xmin, ymin, xmax, ymax = self.bounds()
        surface = pygame.Surface((int(np.ceil((xmax - xmin) * scale)) + 1, int(np.ceil((ymax - ymin) * scale)) + 1))
        surface = surface.convert() if pygame.display.get_surface() else surface  # the screen's format blits fastest
        surface.fill(GRASS)

        def to_surface(points):
            return np.stack([(points[:, 0] - xmin) * scale, (ymax - points[:, 1]) * scale], axis=1)

        self._draw_road(surface, to_surface(self.left), to_surface(self.right), None)
        self._draw_extras(surface, to_surface, 2)
        return surface

    def _draw_extras(self, surface, to_pixels, width):
        """The dead ends (road over the track's kerb where they leave it) and the goal line."""
        for quads, left, right in self.dead_ends:
            for quad in quads:
                pygame.draw.polygon(surface, ROAD, to_pixels(quad).tolist())
            for edge in (left, right):
                if len(edge) > 1:
                    pygame.draw.lines(surface, KERB, False, to_pixels(edge).tolist(), width)
            pygame.draw.line(surface, KERB, to_pixels(left[-1:])[0].tolist(), to_pixels(right[-1:])[0].tolist(), width)
        if self.goal_line is not None:
            a, b = to_pixels(self.goal_line)
            for k in range(GOAL_SQUARES):
                start, end = a + (b - a) * k / GOAL_SQUARES, a + (b - a) * (k + 1) / GOAL_SQUARES
                pygame.draw.line(surface, (0, 0, 0) if k % 2 else KERB, start.tolist(), end.tolist(), width + 2)

    def _draw_road(self, surface, left, right, camera):
        quads = np.stack([left, np.roll(left, -1, axis=0), np.roll(right, -1, axis=0), right], axis=1)
        if camera is not None:
            quads = quads[visible(camera, quads.reshape(-1, 2), 200.0).reshape(-1, 4).any(axis=1)]
        for quad in quads.tolist():
            pygame.draw.polygon(surface, ROAD, quad)
        width = 2 if camera is None or camera.scale < 6 else 3
        pygame.draw.lines(surface, KERB, True, left.tolist(), width)
        pygame.draw.lines(surface, KERB, True, right.tolist(), width)
        start = np.array([left[0], right[0]])
        pygame.draw.line(surface, KERB, start[0].tolist(), start[1].tolist(), width + 1)

    def draw_agents(self, surface, camera, state, colours, marks, skins=None):
        real = state.real
        alive = state.alive
        centres = camera.to_screen(real[:, [X, Y]])
        on_screen = visible(camera, centres)
        length = max(CAR_LENGTH * camera.scale, MIN_CAR_PIXELS)
        shape = _BODY * np.array([length, length * CAR_WIDTH / CAR_LENGTH])
        dead = np.flatnonzero(~alive & on_screen)
        for x, y in centres[dead].tolist():
            pygame.draw.circle(surface, DEAD, (x, y), max(1.5, length * 0.18))
        running = np.flatnonzero(alive & on_screen)
        sprites = self.skin_sprites(skins, self.arena.spec.roles[0].name)
        worn = sprites.worn(running) if sprites is not None else np.full(running.shape, -1)
        # The screen's y axis points down, so headings turn the other way there.
        plain = running[worn < 0]
        draw_polygons(surface, rotated(shape, centres[plain], -real[plain, HEADING]), colours[plain])
        dressed = running[worn >= 0]
        if dressed.size:
            size = _sprite_size(length)
            blit_turned(surface, [sprites.sprite(t, _SKINNED_BODY, size) for t in worn[worn >= 0].tolist()],
                        centres[dressed], real[dressed, HEADING])
            outline_polygons(surface, rotated(shape, centres[dressed], -real[dressed, HEADING]), colours[dressed],
                             1 if length < 24 else 2)
        for row, colour in marks.items():
            body = rotated(shape * 1.5, centres[row:row + 1], -real[row:row + 1, HEADING])[0]
            skin = sprites.worn([row])[0] if sprites is not None and alive[row] else -1
            if skin >= 0:
                blit_turned(surface, [sprites.sprite(skin, _SKINNED_BODY, _sprite_size(length * 1.5))],
                            centres[row:row + 1], real[row:row + 1, HEADING])
            else:
                pygame.draw.polygon(surface, colours[row].tolist() if alive[row] else DEAD, body.tolist())
            pygame.draw.polygon(surface, colour, body.tolist(), 2)

    def draw_sensors(self, surface, camera, state, row, inputs):
        x, y, heading = state.real[row, X], state.real[row, Y], state.real[row, HEADING]
        reach = inputs[: PARAMS.n_rays].astype(np.float64) * PARAMS.ray_range
        angles = heading + RAY_OFFSETS
        ends = np.stack([x + np.cos(angles) * reach, y + np.sin(angles) * reach], axis=1)
        origin = camera.to_screen(np.array([[x, y]]))[0].tolist()
        for end, value in zip(camera.to_screen(ends).tolist(), inputs[: PARAMS.n_rays].tolist()):
            pygame.draw.line(surface, RAY, origin, end, 1)
            pygame.draw.circle(surface, RAY if value < 1.0 else (120, 120, 120), end, 3)

    def human_action(self, held):
        steer = float(pygame.K_LEFT in held) - float(pygame.K_RIGHT in held)  # left turns anticlockwise
        throttle = float(pygame.K_UP in held) - float(pygame.K_DOWN in held)
        return np.array([steer, throttle], dtype=np.float32)


def _corridor(points, width: float, track_half_width: float):
    """(road quads float64[k, 4, 2], left kerb, right kerb) of a dead end; the kerbs start where
    it leaves the track (about the track's half width in), so they do not cross its road."""
    half = width / 2
    direction = np.diff(points, axis=0)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1) * half
    quads = np.stack([points[:-1] + normal, points[1:] + normal, points[1:] - normal, points[:-1] - normal], axis=1)
    samples, along = sample_polyline(points, 1.0)
    segment = np.minimum(np.searchsorted(np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1)), along),
                         len(normal) - 1)
    outside = along >= track_half_width
    return quads, samples[outside] + normal[segment[outside]], samples[outside] - normal[segment[outside]]


def _sprite_size(length: float) -> tuple:
    """(width, height) pixels of a car sprite `length` pixels long."""
    return max(1, round(length)), max(1, round(length * CAR_WIDTH / CAR_LENGTH))


RENDERER = RacingRenderer
