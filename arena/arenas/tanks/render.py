"""Drawing the tanks arena: the field from above, tanks as rotated hulls with a barrel (hulls in
the tanks' skins, outlined in their colour), the points.

Every environment's network tank is drawn; the points (and, in shared mode, the greedy
rivals) of an environment only for the marked ones (the leader, the selected tank, the
human's), or environment 0 when none is marked: hundreds of environments' points at once
would hide the field.
"""

import numpy as np
import pygame

from arena.arenas.tanks.params import PARAMS
from arena.arenas.tanks.sim import IN_POINTS, IN_TANK, N_RAYS, N_SENSED, RAY_COS, RAY_SIN
from arena.arenas.tanks.state import COS, HEADING, SIN, X, Y
from arena.ui.draw import DEAD, Renderer, blit_turned, body_shape, draw_polygons, outline_polygons, rotated, visible

FLOOR = (52, 58, 50)
OUTSIDE = (24, 28, 24)
WALL = (120, 112, 100)
WALL_EDGE = (170, 160, 145)
REGION = (64, 74, 62)
POINT = (255, 236, 90)
RIVAL = (235, 80, 70)
RAY = (255, 120, 60)
SIGHT = (120, 220, 255)
TANK_LENGTH = 2.6  # metres: a little more than the 2 m the walls keep clear of a tank's centre
TANK_WIDTH = 2.0
MIN_TANK_PIXELS = 7.0  # zoomed far out, tanks keep this length so they stay visible
_HULL = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]])  # unit square, front first
_SKINNED_HULL = body_shape(_HULL)
_BARREL = np.array([[0.0, 0.0], [0.85, 0.0]])  # from the centre forward, in hull lengths
_RAY_ANGLES = np.arctan2(RAY_SIN, RAY_COS)


class TanksRenderer(Renderer):
    human_keys = "arrows: up both tracks forward, down both back, left and right turn"
    skin_size = (32, round(32 * TANK_WIDTH / TANK_LENGTH))

    def bounds(self):
        margin = 2.0
        return (-margin, -margin, self.level.width + margin, self.level.height + margin)

    def _rect(self, camera, rect):
        """pygame.Rect of the world rectangle (x0, y0, x1, y1)."""
        (left, top), (right, bottom) = camera.to_screen(np.array([[rect[0], rect[3]], [rect[2], rect[1]]])).tolist()
        return pygame.Rect(int(round(left)), int(round(top)), max(1, int(round(right - left))),
                           max(1, int(round(bottom - top))))

    def draw_level(self, surface, camera):
        level = self.level
        surface.fill(OUTSIDE)
        pygame.draw.rect(surface, FLOOR, self._rect(camera, (0.0, 0.0, level.width, level.height)))
        for region in level.spawn_regions:
            pygame.draw.rect(surface, REGION, self._rect(camera, region), 1)
        for wall in level.walls:
            rect = self._rect(camera, wall)
            pygame.draw.rect(surface, WALL, rect)
            pygame.draw.rect(surface, WALL_EDGE, rect, 1)
        for points, thickness in level.wall_lines:
            self._wall_line(surface, camera, points, thickness)
        pygame.draw.rect(surface, WALL_EDGE, self._rect(camera, (0.0, 0.0, level.width, level.height)), 2)

    def _wall_line(self, surface, camera, points, thickness):
        """A wall line as thick segments with a disc at every point (round ends and joins), edged
        like the rectangle walls: drawn a pixel wider in the edge colour first."""
        screen = camera.to_screen(points).tolist()
        radius = max(0.5, 0.5 * thickness * camera.scale)
        for colour, extra in ((WALL_EDGE, 1.0), (WALL, 0.0)):
            for start, end in zip(screen[:-1], screen[1:]):
                pygame.draw.line(surface, colour, start, end, max(1, int(round(2.0 * (radius + extra)))))
            for centre in screen:
                pygame.draw.circle(surface, colour, centre, radius + extra)

    def _tanks(self, surface, camera, tanks, colours, length, outline=None, sprites=None, worn=None):
        """Hulls and barrels of tanks float64[m, N_TANK] (their rows), colours uint8[m, 3]; hulls
        in the skins `worn` (int64[m], -1 for none) of `sprites`, outlined in their colours."""
        centres = camera.to_screen(tanks[:, [X, Y]])
        headings = -tanks[:, HEADING]  # the screen's y axis points down, so headings turn the other way
        hulls = rotated(_HULL * np.array([length, length * TANK_WIDTH / TANK_LENGTH]), centres, headings)
        if sprites is None:
            draw_polygons(surface, hulls, colours)
        else:
            plain, dressed = worn < 0, worn >= 0
            draw_polygons(surface, hulls[plain], colours[plain])
            size = (max(1, round(length)), max(1, round(length * TANK_WIDTH / TANK_LENGTH)))
            blit_turned(surface, [sprites.sprite(t, _SKINNED_HULL, size) for t in worn[dressed].tolist()],
                        centres[dressed], tanks[dressed, HEADING])
            outline_polygons(surface, hulls[dressed], colours[dressed], 1 if length < 24 else 2)
        barrels = rotated(_BARREL * length, centres, headings)
        width = max(1, int(length * 0.12))
        for (start, end), colour in zip(barrels.tolist(), colours.tolist()):
            pygame.draw.line(surface, [min(255, c + 60) for c in colour], start, end, width)
        if outline is not None:
            for hull in hulls.tolist():
                pygame.draw.polygon(surface, outline, hull, 2)

    def draw_agents(self, surface, camera, state, colours, marks, skins=None):
        tank = state.tank
        alive = state.alive
        length = max(TANK_LENGTH * camera.scale, MIN_TANK_PIXELS)
        centres = camera.to_screen(tank[:, 0, [X, Y]])
        on_screen = visible(camera, centres)
        for x, y in centres[np.flatnonzero(~alive & on_screen)].tolist():
            pygame.draw.circle(surface, DEAD, (x, y), max(1.5, length * 0.18))
        running = np.flatnonzero(alive & on_screen)
        sprites = self.skin_sprites(skins, self.arena.spec.roles[0].name)
        worn = sprites.worn(running) if sprites is not None else None
        self._tanks(surface, camera, tank[running, 0], colours[running], length, None, sprites, worn)
        shown = list(marks.items()) or [(0, None)]
        dot = max(2.5, PARAMS.catch_radius * 0.45 * camera.scale)
        for row, colour in shown:
            if row >= tank.shape[0]:
                continue
            for x, y in camera.to_screen(state.point[row]).tolist():
                pygame.draw.circle(surface, POINT, (x, y), dot)
                if colour is not None:
                    pygame.draw.circle(surface, colour, (x, y), dot + 2, 1)
            if tank.shape[1] > 1:
                rivals = tank[row, 1:]
                self._tanks(surface, camera, rivals, np.tile(np.array([RIVAL], dtype=np.uint8), (len(rivals), 1)),
                            length, colour)
            if colour is not None:
                own = colours[row:row + 1] if alive[row] else np.array([DEAD], dtype=np.uint8)
                dressed = sprites is not None and alive[row]
                self._tanks(surface, camera, tank[row:row + 1, 0], own, length * 1.3, colour,
                            sprites if dressed else None, sprites.worn([row]) if dressed else None)

    def draw_sensors(self, surface, camera, state, row, inputs):
        me = state.tank[row, 0]
        x, y, c, s = me[X], me[Y], me[COS], me[SIN]
        origin = camera.to_screen(np.array([[x, y]]))[0].tolist()
        reach = inputs[:N_RAYS].astype(np.float64) * PARAMS.ray_range
        angles = me[HEADING] + _RAY_ANGLES
        ends = np.stack([x + np.cos(angles) * reach, y + np.sin(angles) * reach], axis=1)
        for end, value in zip(camera.to_screen(ends).tolist(), inputs[:N_RAYS].tolist()):
            pygame.draw.line(surface, RAY, origin, end, 1)
            pygame.draw.circle(surface, RAY if value < 1.0 else (120, 120, 120), end, 3)
        # The sensed points and tank, from the inputs: bearing (cos, sin) from the heading and distance.
        for first, colour in [(IN_POINTS + 3 * k, SIGHT) for k in range(N_SENSED)] + [(IN_TANK, RIVAL)]:
            bc, bs, distance = (float(v) for v in inputs[first:first + 3])
            if bc == 0.0 and bs == 0.0:
                continue  # nothing sensed (no other tank)
            d = distance * PARAMS.point_range
            end = np.array([[x + d * (bc * c - bs * s), y + d * (bs * c + bc * s)]])
            pygame.draw.line(surface, colour, origin, camera.to_screen(end)[0].tolist(), 1)

    def human_action(self, held):
        forward = float(pygame.K_UP in held) - float(pygame.K_DOWN in held)
        turn = float(pygame.K_LEFT in held) - float(pygame.K_RIGHT in held)  # left turns anticlockwise
        return np.clip(np.array([forward - turn, forward + turn], dtype=np.float32), -1.0, 1.0)


RENDERER = TanksRenderer
