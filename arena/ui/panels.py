"""Text and bar panels drawn over the world: HUD, inspector, help overlay, messages."""

import time

import numpy as np
import pygame

TEXT = (230, 230, 235)
DIM = (150, 150, 160)
PANEL = (16, 18, 24, 215)
POSITIVE = (90, 200, 120)
NEGATIVE = (230, 90, 80)
MESSAGE_SECONDS = 4.0


class Text:
    """Renders lines of text, caching the surfaces of lines that repeat from frame to frame."""

    def __init__(self, size=15):
        self.font = pygame.font.Font(None, size + 4)
        self.line_height = self.font.get_linesize()
        self._cache = {}

    def render(self, line, colour=TEXT):
        key = (line, colour)
        surface = self._cache.get(key)
        if surface is None:
            if len(self._cache) > 2000:
                self._cache.clear()
            surface = self._cache[key] = self.font.render(line, True, colour)
        return surface

    def panel(self, screen, lines, topleft, width=None):
        """Lines (str or (str, colour)) on a translucent panel; returns its rect."""
        lines = [(l, TEXT) if isinstance(l, str) else l for l in lines]
        surfaces = [self.render(line, colour) for line, colour in lines]
        w = width or (max((s.get_width() for s in surfaces), default=0) + 16)
        h = len(surfaces) * self.line_height + 10
        rect = pygame.Rect(topleft, (w, h))
        backdrop(screen, rect)
        for k, surface in enumerate(surfaces):
            screen.blit(surface, (rect.left + 8, rect.top + 5 + k * self.line_height))
        return rect


_BACKDROPS = {}  # size -> translucent panel surface, made once


def backdrop(screen, rect):
    """A translucent dark panel over `rect`."""
    panel = _BACKDROPS.get(rect.size)
    if panel is None:
        if len(_BACKDROPS) > 64:
            _BACKDROPS.clear()
        panel = pygame.Surface(rect.size, pygame.SRCALPHA).convert_alpha()
        panel.fill(PANEL)
        _BACKDROPS[rect.size] = panel
    screen.blit(panel, rect.topleft)


def draw_bars(screen, text, rect, label, names, values, low, high):
    """Labelled horizontal bars of `values` within [low, high] (0 marked when low < 0)."""
    screen.blit(text.render(label, DIM), (rect.left, rect.top))
    y = rect.top + text.line_height
    bar_left = rect.left + 96
    bar_width = rect.width - 150
    zero = bar_left + bar_width * (0 - low) / (high - low) if low < 0 else bar_left
    for name, value in zip(names, np.asarray(values, dtype=np.float64).tolist()):
        screen.blit(text.render(name[:13], DIM), (rect.left, y))
        shown = min(max(value, low), high) if np.isfinite(value) else 0.0
        end = bar_left + bar_width * (shown - low) / (high - low)
        colour = POSITIVE if value >= 0 else NEGATIVE
        pygame.draw.rect(screen, (50, 52, 60), (bar_left, y + 3, bar_width, text.line_height - 6))
        pygame.draw.rect(screen, colour, (min(zero, end), y + 3, max(abs(end - zero), 1), text.line_height - 6))
        screen.blit(text.render(f"{value:+.2f}", TEXT), (bar_left + bar_width + 6, y))
        y += text.line_height
    return y


class Messages:
    """Short notices (saved, loaded, errors) that fade after a few seconds."""

    def __init__(self):
        self.items = []

    def add(self, line, colour=TEXT):
        self.items.append((time.monotonic(), line, colour))
        del self.items[:-4]

    def draw(self, screen, text):
        now = time.monotonic()
        self.items = [m for m in self.items if now - m[0] < MESSAGE_SECONDS]
        if self.items:
            w, h = screen.get_size()
            lines = [(line, colour) for _, line, colour in self.items]
            width = max(text.render(l).get_width() for l, _ in lines) + 16
            text.panel(screen, lines, ((w - width) // 2, h - 20 - len(lines) * text.line_height - 10), width)


def draw_help(screen, text, rows) -> None:
    """The key help: (key, what it does) rows in a panel in the middle of the screen."""
    key_width = max(text.render(k).get_width() for k, _ in rows) + 16
    width = key_width + max(text.render(what).get_width() for _, what in rows) + 24
    height = (len(rows) + 1) * text.line_height + 16
    w, h = screen.get_size()
    rect = pygame.Rect((w - width) // 2, max((h - height) // 2, 0), width, height)
    backdrop(screen, rect)
    screen.blit(text.render("keys", DIM), (rect.left + 12, rect.top + 8))
    for k, (key, what) in enumerate(rows, start=1):
        y = rect.top + 8 + k * text.line_height
        screen.blit(text.render(key, TEXT if what else DIM), (rect.left + 12, y))  # a row without text heads a group
        screen.blit(text.render(what), (rect.left + 12 + key_width, y))
