"""Drawing the tunnel arena: seed 001's side view of the track, points flying right (discs in
their skins, ringed in their colour)."""

import numpy as np
import pygame

from arena.ui.draw import DEAD, Renderer, visible
from arena.arenas.tunnel.params import PARAMS

WALL = (96, 72, 56)
AIR = (26, 30, 44)
SENSOR = (255, 120, 60)
STRETCH = 25.0  # the gap is drawn this many columns high: heights are tiny beside the length
MAX_DRAWN_COLUMNS = 2000  # wider views sample the walls


class TunnelRenderer(Renderer):
    human_keys = "up and down arrows: push up or down"

    def __init__(self, arena, level):
        super().__init__(arena, level)
        self.stretch = STRETCH / level.gap

    def bounds(self):
        top = self.level.top * self.stretch
        return (0.0, float(top.min() - STRETCH * 1.5), float(self.level.top.shape[0]), float(top.max() + STRETCH * 0.5))

    def to_world(self, points):
        return points * np.array([1.0, self.stretch])

    def draw_level(self, surface, camera):
        surface.fill(AIR)
        w, _ = camera.size
        left = camera.to_world(np.array([[0.0, 0.0]]))[0, 0]
        right = camera.to_world(np.array([[float(w), 0.0]]))[0, 0]
        n = self.level.top.shape[0]
        c0, c1 = max(int(np.floor(left)) - 1, 0), min(int(np.ceil(right)) + 2, n)
        if c1 - c0 < 2:
            return
        cols = np.unique(np.linspace(c0, c1 - 1, min(c1 - c0, MAX_DRAWN_COLUMNS)).astype(np.int64))
        top = self.level.top[cols] * self.stretch
        bottom = top - STRETCH
        x = cols.astype(np.float64)
        sky = camera.to_world(np.array([[0.0, -10.0]]))[0, 1]
        ground = camera.to_world(np.array([[0.0, camera.size[1] + 10.0]]))[0, 1]
        for edge, far in ((top, sky), (bottom, ground)):
            points = np.concatenate([np.stack([x, edge], axis=1), [[x[-1], far], [x[0], far]]])
            pygame.draw.polygon(surface, WALL, camera.to_screen(points).tolist())

    def draw_agents(self, surface, camera, state, colours, marks, skins=None):
        centres = camera.to_screen(self.world_positions(state))
        radius = max(3.0, 0.12 * STRETCH * camera.scale)
        on_screen = visible(camera, centres)
        shown = np.flatnonzero(on_screen)
        sprites = self.skin_sprites(skins, self.arena.spec.roles[0].name)
        worn = sprites.worn(shown) if sprites is not None else np.full(shown.shape, -1)
        side = max(1, round(2 * radius))
        ring = 1 if radius < 12 else 2
        for row, skin in zip(shown.tolist(), worn.tolist()):
            if skin >= 0 and state.alive[row]:
                x, y = centres[row]
                surface.blit(sprites.sprite(skin, (), (side, side)), (round(x - side / 2), round(y - side / 2)))
                pygame.draw.circle(surface, colours[row].tolist(), centres[row].tolist(), radius, ring)
                continue
            colour = colours[row].tolist() if state.alive[row] else DEAD
            pygame.draw.circle(surface, colour, centres[row].tolist(), radius if state.alive[row] else radius * 0.5)
        for row, colour in marks.items():
            pygame.draw.circle(surface, colour, centres[row].tolist(), radius * 1.8, 2)

    def draw_sensors(self, surface, camera, state, row, inputs):
        col, p = int(state.col[row]), float(state.p[row])
        n = self.level.top.shape[0]
        origin = camera.to_screen(self.to_world(np.array([[col, p]], dtype=np.float64)))[0].tolist()
        for offset in PARAMS.sensor_offsets:
            c = min(col + offset, n - 1)
            ends = self.to_world(np.array([[c, self.level.top[c]], [c, self.level.top[c] - self.level.gap]]))
            for end in camera.to_screen(ends).tolist():
                pygame.draw.line(surface, SENSOR, origin, end, 1)
                pygame.draw.circle(surface, SENSOR, end, 3)

    def human_action(self, held):
        push = float(pygame.K_UP in held) - float(pygame.K_DOWN in held)
        return np.array([PARAMS.force_offset + 0.5 * push], dtype=np.float32)


RENDERER = TunnelRenderer
