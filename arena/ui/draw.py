"""What an arena's `render.py` provides to the sandbox window, and drawing helpers they share.

The arenas' `render.py` files are window code that lives beside its arena; they alone below
`ui/` import pygame, and this module is the one part of `ui/` they may import.

A renderer draws one level and a batch of the arena's state arrays; it holds no simulation
state. The camera it is handed maps world points to the screen: `camera.to_screen(points)`
(float64[..., 2] -> float64[..., 2] pixels), `camera.scale` (pixels per world unit) and
`camera.size` (width, height). World coordinates are the arena's `positions` passed through
`to_world` (the identity, unless an arena stretches its axes for display).
"""

import colorsys
import importlib

import numpy as np
import pygame

GRASS = (34, 52, 38)
WHITE = (240, 240, 240)
HIGHLIGHT = (255, 255, 255)
SELECTED = (255, 214, 10)
HUMAN = (255, 90, 200)
DEAD = (90, 90, 96)
MAX_TRAIL_POINTS = 300  # a trail is drawn through at most about this many of its points

# A perceptual ramp from low to high score (dark blue, teal, green, yellow).
_RAMP = np.array([[48, 18, 130], [33, 110, 160], [40, 170, 120], [150, 210, 60], [253, 231, 37]], dtype=np.float64)


def ramp(values: np.ndarray) -> np.ndarray:
    """uint8[n, 3] colours of `values` in [0, 1] (clipped; NaN is the low end)."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0), 0.0, 1.0) * (len(_RAMP) - 1)
    low = np.minimum(v.astype(np.int64), len(_RAMP) - 2)
    t = (v - low)[:, None]
    return (_RAMP[low] * (1 - t) + _RAMP[low + 1] * t).astype(np.uint8)


def species_colours(species: np.ndarray) -> np.ndarray:
    """uint8[n, 3]: a distinct, stable colour per species id (golden-ratio hues)."""
    ids, inverse = np.unique(species, return_inverse=True)
    palette = np.array([colorsys.hsv_to_rgb((int(i) * 0.6180339887) % 1.0, 0.65, 0.95) for i in ids]) * 255
    return palette.astype(np.uint8)[inverse.reshape(-1)]


def renderer_class(arena):
    """The RENDERER class of an arena's `render.py`."""
    return importlib.import_module(f"arena.arenas.{arena.spec.name}.render").RENDERER


class Renderer:
    """Base class of the arenas' renderers; subclasses draw the level, agents and sensors."""

    trails = True  # whether runs leave paths worth drawing
    human_keys = "arrows"  # how a human drives, for the help overlay

    def __init__(self, arena, level):
        self.arena = arena
        self.level = level

    def bounds(self) -> tuple:
        """(xmin, ymin, xmax, ymax) of the level, world units."""
        raise NotImplementedError

    def to_world(self, points: np.ndarray) -> np.ndarray:
        return points

    def world_positions(self, state) -> np.ndarray:
        return self.to_world(self.arena.positions(state))

    def draw_level(self, surface, camera) -> None:
        raise NotImplementedError

    def draw_agents(self, surface, camera, state, colours, marks) -> None:
        """Every agent of `state`; colours uint8[n, 3]; marks {row: colour} of agents drawn
        larger with an outline (the leader, the selected one, the human's)."""
        raise NotImplementedError

    def draw_sensors(self, surface, camera, state, row: int, inputs: np.ndarray) -> None:
        """What agent `row` senses (its `inputs` float32[n_inputs]), drawn in the world."""

    def human_action(self, held) -> np.ndarray:
        """float32[n_outputs] from the set of pygame key codes held down."""
        raise NotImplementedError

    # -- shared helpers
    def draw_trails(self, surface, camera, trails) -> None:
        """Paths of the best runs, coloured by score from the lowest of them (blue) to the best (yellow)."""
        if not trails:
            return
        scores = np.array([t.fitness for t in trails])
        low, high = np.nanmin(scores), np.nanmax(scores)
        shades = ramp((scores - low) / (high - low) if high > low else np.ones_like(scores)).tolist()
        for trail, colour in sorted(zip(trails, shades), key=lambda tc: tc[0].fitness):
            stride = max(1, len(trail.points) // MAX_TRAIL_POINTS)  # the last point is kept below
            points = np.concatenate([trail.points[::stride], trail.points[-1:]]).astype(np.float64)
            points = camera.to_screen(self.to_world(points))
            if len(points) >= 2:
                pygame.draw.lines(surface, colour, False, points.tolist(), 2)


def draw_polygons(surface, corners: np.ndarray, colours) -> None:
    """One filled polygon per row of corners float64[n, k, 2] (pixels), colours uint8[n, 3]."""
    for poly, colour in zip(corners.tolist(), colours.tolist() if hasattr(colours, "tolist") else colours):
        pygame.draw.polygon(surface, colour, poly)


def rotated(shape: np.ndarray, centres: np.ndarray, headings: np.ndarray) -> np.ndarray:
    """float64[n, k, 2]: `shape` float64[k, 2] turned by each heading (rad) and moved to each centre."""
    c = np.cos(headings)[:, None]
    s = np.sin(headings)[:, None]
    x = shape[None, :, 0]
    y = shape[None, :, 1]
    return np.stack([centres[:, None, 0] + c * x - s * y, centres[:, None, 1] + s * x + c * y], axis=2)


def visible(camera, points: np.ndarray, margin: float = 20.0) -> np.ndarray:
    """bool[n]: which screen points (pixels) fall within the window, give or take `margin`."""
    w, h = camera.size
    return ((points[:, 0] > -margin) & (points[:, 0] < w + margin) & (points[:, 1] > -margin)
            & (points[:, 1] < h + margin))
