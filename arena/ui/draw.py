"""What an arena's `render.py` provides to the sandbox window, and drawing helpers they share.

The arenas' `render.py` files are window code that lives beside its arena; they alone below
`ui/` import pygame, and this module is the one part of `ui/` they may import.

A renderer draws one level and a batch of the arena's state arrays; it holds no simulation
state. The camera it is handed maps world points to the screen: `camera.to_screen(points)`
(float64[..., 2] -> float64[..., 2] pixels), `camera.scale` (pixels per world unit) and
`camera.size` (width, height). World coordinates are the arena's `positions` passed through
`to_world` (the identity, unless an arena stretches its axes for display).

Agents wear their CPPN skins (`arena.evolve.skins`): a renderer's `skin_sprites` renders the
skins of the agents on screen once, when they change (a new generation), at the small size
`skin_size`; each sprite shape and size then cuts them once (`SkinSprites.sprite`), and a
frame only turns and blits them. Agents without a skin keep their plain colours.
"""

import colorsys
import importlib
import math

import numba
import numpy as np
import pygame

from arena.brains.cppn import render, render_numpy
from arena.brains.neat.compile import compile_neat
from arena.ui.pictures import surface_of

GRASS = (34, 52, 38)
WHITE = (240, 240, 240)
HIGHLIGHT = (255, 255, 255)
SELECTED = (255, 214, 10)
HUMAN = (255, 90, 200)
DEAD = (90, 90, 96)
MAX_TRAIL_POINTS = 300  # a trail is drawn through at most about this many of its points
# Pixels of cut sprites kept (each skin at each shape and size asked for; 64 MB): beyond, they are
# cut afresh. Zoomed far in, a few sprites are large; zoomed out, thousands are tiny.
MAX_SPRITE_PIXELS = 2**24
THREADSAFE_LAYERS = ("omp", "tbb")  # numba layers that let the window launch kernels beside a worker thread

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
    skin_size = (32, 32)  # pixels skins are rendered at: the proportions of the sprites they dress

    def __init__(self, arena, level):
        self.arena = arena
        self.level = level
        self._skin_sprites = {}  # {role: SkinSprites}

    def skin_sprites(self, skins, role: str):
        """The SkinSprites of `role` in `skins` ({role: AgentSkins}, or None when skins are off),
        or None when that role wears none."""
        worn = (skins or {}).get(role)
        if worn is None:
            return None
        sprites = self._skin_sprites.get(role)
        if sprites is None:
            sprites = self._skin_sprites[role] = SkinSprites(self.skin_size)
        sprites.use(worn)
        return sprites

    def bounds(self) -> tuple:
        """(xmin, ymin, xmax, ymax) of the level, world units."""
        raise NotImplementedError

    def to_world(self, points: np.ndarray) -> np.ndarray:
        return points

    def world_positions(self, state) -> np.ndarray:
        return self.to_world(self.arena.positions(state))

    def draw_level(self, surface, camera) -> None:
        raise NotImplementedError

    def draw_agents(self, surface, camera, state, colours, marks, skins=None) -> None:
        """Every agent of `state`; colours uint8[n, 3]; marks {row: colour} of agents drawn
        larger with an outline (the leader, the selected one, the human's); skins {role:
        AgentSkins} the agents wear (None: plain colours), with their colour as an outline."""
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


class SkinSprites:
    """The skins one role of the agents on screen wears (an AgentSkins), as pygame sprites.

    Each skin is rendered once, at `size` (width, height) pixels, when first shown after the
    skins change (only the shown game of many, say, is rendered); for each shape and size a
    frame asks for, it is scaled and cut to the shape once and kept.
    """

    def __init__(self, size):
        self.size = size
        self.skins = None
        self._nets = None  # NetBatch of `skins.genomes`
        self._textures = []  # Surface per skin of `skins.genomes`, None until shown
        self._masks = {}  # (shape, size) -> white Surface, opaque inside the shape
        self._sprites = {}  # (texture, shape, size) -> Surface
        self._sprite_pixels = 0  # in `_sprites`

    def use(self, skins) -> None:
        """Dress the agents in `skins` (an AgentSkins) from now on."""
        if skins is self.skins:
            return
        self._nets = compile_neat(skins.genomes)
        self._textures = [None] * skins.genomes.size
        self._sprites.clear()
        self._sprite_pixels = 0
        self.skins = skins

    def texture(self, k: int) -> pygame.Surface:
        """Skin k of `skins.genomes`, as rendered at `size`."""
        if self._textures[k] is None:
            # With a layer that is not thread-safe, a kernel launched here beside turbo's worker aborts.
            paint = render if kernels_thread_safe() else render_numpy
            self._textures[k] = _texture(paint(self._nets.rows(k, k + 1), *self.size))
        return self._textures[k]

    def worn(self, rows) -> np.ndarray:
        """int64[k]: the skin each environment of `rows` wears; -1 for none (a human's, say)."""
        of = self.skins.of
        rows = np.asarray(rows, dtype=np.int64)
        inside = rows < of.shape[0]
        return np.where(inside, of[np.where(inside, rows, 0)], -1)

    def sprite(self, texture: int, shape: tuple, size: tuple) -> pygame.Surface:
        """Skin `texture` scaled to `size` (width, height pixels) and cut to `shape`: a polygon
        ((u, v), ...) in fractions of the width and the height (v downwards), or () for an ellipse."""
        key = (texture, shape, size)
        sprite = self._sprites.get(key)
        if sprite is None:
            if self._sprite_pixels + size[0] * size[1] > MAX_SPRITE_PIXELS:
                self._sprites.clear()
                self._sprite_pixels = 0
            sprite = pygame.transform.smoothscale(self.texture(texture), size)
            sprite.fill((0, 0, 0, 255), special_flags=pygame.BLEND_RGBA_MAX)  # smoothing leaves alpha below 255
            sprite.blit(self._mask(shape, size), (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
            self._sprites[key] = sprite
            self._sprite_pixels += size[0] * size[1]
        return sprite

    def _mask(self, shape, size):
        mask = self._masks.get((shape, size))
        if mask is None:
            mask = pygame.Surface(size, pygame.SRCALPHA)
            if shape:
                pygame.draw.polygon(mask, (255, 255, 255, 255), [(u * size[0], v * size[1]) for u, v in shape])
            else:
                pygame.draw.ellipse(mask, (255, 255, 255, 255), mask.get_rect())
            self._masks[(shape, size)] = mask
        return mask


def warm_skin_painting(skins: dict) -> None:
    """Compile (or load from numba's cache) what dressing agents in `skins` ({role: AgentSkins})
    runs, so that the first frame does not wait for numba's compiler, which a background warm-up
    may hold for minutes when the cache is cold."""
    for worn in skins.values():
        render(compile_neat(worn.genomes.take([0])), 2, 2)


def kernels_thread_safe() -> bool:
    """Whether numba's threading layer lets two threads launch parallel kernels at once."""
    try:
        return numba.threading_layer() in THREADSAFE_LAYERS
    except ValueError:  # no parallel kernel has run yet: the layer is not chosen
        return False


def _texture(pixels: np.ndarray) -> pygame.Surface:
    """A Surface of a skin's uint8[h, w, 4] pixels, made opaque (sprites take their shape from masks)."""
    opaque = pixels.copy()
    opaque[..., 3] = 255
    surface = surface_of(opaque)
    return surface.convert_alpha() if pygame.display.get_surface() else surface


def body_shape(shape: np.ndarray) -> tuple:
    """A sprite shape (see `SkinSprites.sprite`) of a polygon in unit body coordinates
    float64[k, 2] (x forward, y to the left, both from -0.5 to 0.5)."""
    return tuple((float(x) + 0.5, 0.5 - float(y)) for x, y in shape)


def blit_turned(surface, sprites: list, centres: np.ndarray, angles: np.ndarray) -> None:
    """Blit each sprite centred on its screen point (float64[k, 2] pixels), turned anticlockwise
    on screen by its angle (float64[k], radians): a sprite drawn facing right faces that way."""
    placed = []
    for sprite, (x, y), angle in zip(sprites, centres.tolist(), angles.tolist()):
        turned = pygame.transform.rotate(sprite, math.degrees(angle))
        placed.append((turned, (round(x - turned.get_width() / 2), round(y - turned.get_height() / 2))))
    surface.fblits(placed)


def outline_polygons(surface, corners: np.ndarray, colours, width: int) -> None:
    """One polygon outline per row of corners float64[n, k, 2] (pixels), colours uint8[n, 3]."""
    for poly, colour in zip(corners.tolist(), colours.tolist()):
        pygame.draw.polygon(surface, colour, poly, width)


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
