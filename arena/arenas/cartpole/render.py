"""Drawing the cart-pole arena: every cart on one track, their poles fanning out as they fall."""

import numpy as np
import pygame

from arena.arenas.cartpole.params import PARAMS
from arena.ui.draw import Renderer, visible

TRACK = (150, 150, 150)
FLOOR = (30, 34, 40)
CART_WIDTH = 0.5  # metres
CART_HEIGHT = 0.25
SENSOR = (255, 120, 60)


class CartpoleRenderer(Renderer):
    trails = False  # a cart only slides left and right
    human_keys = "left and right arrows: push the cart"

    def bounds(self):
        tallest = 2 * max(self.level.half_lengths)
        return (-PARAMS.track_limit - 0.6, -0.6, PARAMS.track_limit + 0.6, CART_HEIGHT + tallest + 0.3)

    def draw_level(self, surface, camera):
        surface.fill(FLOOR)
        ends = camera.to_screen(np.array([[-PARAMS.track_limit, 0.0], [PARAMS.track_limit, 0.0]]))
        pygame.draw.line(surface, TRACK, ends[0].tolist(), ends[1].tolist(), 3)
        for end in ends.tolist():
            pygame.draw.line(surface, TRACK, end, (end[0], end[1] - 0.3 * camera.scale), 3)

    def _poles(self, physical):
        """[(hinge float64[n, 2], tip float64[n, 2])] per pole, world metres."""
        x = physical[:, 0]
        hinge = np.stack([x, np.full_like(x, CART_HEIGHT)], axis=1)
        poles = []
        for k, half in enumerate(self.level.half_lengths):
            theta = physical[:, 2 + 2 * k]  # positive leans towards +x
            tip = hinge + 2 * half * np.stack([np.sin(theta), np.cos(theta)], axis=1)
            poles.append((hinge, tip))
        return poles

    def draw_agents(self, surface, camera, state, colours, marks, skins=None):
        # Carts are outlines and poles lines: nothing to dress, so skins are not drawn here.
        physical = state.physical
        shown = np.flatnonzero(state.alive | np.isin(np.arange(len(state.alive)), list(marks)))
        if shown.size == 0:
            return
        base = camera.to_screen(physical[shown][:, :1] * np.array([[1.0, 0.0]]))
        poles = [(camera.to_screen(h), camera.to_screen(t)) for h, t in self._poles(physical[shown])]
        cart = np.array([CART_WIDTH, CART_HEIGHT]) * camera.scale
        on_screen = visible(camera, base)
        for i in np.flatnonzero(on_screen).tolist():
            colour = colours[shown[i]].tolist()
            pygame.draw.rect(surface, colour, (base[i, 0] - cart[0] / 2, base[i, 1] - cart[1], cart[0], cart[1]), 1)
            for hinge, tip in poles:
                pygame.draw.line(surface, colour, hinge[i].tolist(), tip[i].tolist(), 2)
        index = {row: i for i, row in enumerate(shown.tolist())}
        for row, colour in marks.items():
            i = index.get(row)
            if i is None:
                continue
            pygame.draw.rect(surface, colour, (base[i, 0] - cart[0] / 2, base[i, 1] - cart[1], cart[0], cart[1]), 3)
            for hinge, tip in poles:
                pygame.draw.line(surface, colour, hinge[i].tolist(), tip[i].tolist(), 5)

    def draw_sensors(self, surface, camera, state, row, inputs):
        """The cart's position and the poles' angles as the network reads them, as arcs."""
        x = float(state.physical[row, 0])
        centre = camera.to_screen(np.array([[x, CART_HEIGHT]]))[0].tolist()
        radius = 0.6 * camera.scale
        for k in range(self.level.poles):
            angle = float(inputs[2 + 2 * k]) * PARAMS.observation_scale[2 + 2 * k]
            rect = pygame.Rect(centre[0] - radius, centre[1] - radius, 2 * radius, 2 * radius)
            start, stop = sorted((np.pi / 2, np.pi / 2 - angle))
            pygame.draw.arc(surface, SENSOR, rect, start, stop, 2)
            radius *= 0.6

    def human_action(self, held):
        push = float(pygame.K_RIGHT in held) - float(pygame.K_LEFT in held)
        return np.array([0.5 + 0.5 * push], dtype=np.float32)


RENDERER = CartpoleRenderer
