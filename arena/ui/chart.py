"""The live chart: best and mean fitness per generation over stacked species sizes; for
co-evolving populations, both, each on its own scale (their fitnesses measure different things).
Novelty runs add the size of the novelty archive, on a scale of its own."""

import numpy as np
import pygame

from arena.ui.draw import HUMAN, species_colours

BACKGROUND = (16, 18, 24, 215)
BEST = (255, 214, 10)
MEAN = (110, 200, 255)
SECOND_BEST = (255, 90, 90)  # the second population of a co-evolving pair
SECOND_MEAN = (255, 170, 200)
ARCHIVE = (170, 100, 255)  # the novelty archive's size
AXIS = (120, 120, 130)
SHOWN_GENERATIONS = 500  # the chart shows the latest ones


class Chart:
    """Redrawn only when a generation ends; blitted every frame."""

    def __init__(self, font):
        self.font = font
        self.surface = None
        self.drawn_for = None

    def draw(self, screen, history, rect):
        history = history[-SHOWN_GENERATIONS:]
        key = (len(history), history[-1]["generation"] if history else -1, rect.size)
        if key != self.drawn_for:
            self.surface = self._render(history, rect.size)
            self.drawn_for = key
        screen.blit(self.surface, rect.topleft)

    def _render(self, history, size):
        w, h = size
        surface = pygame.Surface(size, pygame.SRCALPHA)
        if pygame.display.get_surface():
            surface = surface.convert_alpha()  # the screen's format blits fastest
        surface.fill(BACKGROUND)
        title = self.font.render("fitness by generation" + (" / species" if _has_species(history) else ""), True,
                                 (220, 220, 220))
        surface.blit(title, (6, 4))
        if not history:
            surface.blit(self.font.render("(the first generation is running)", True, AXIS), (6, 24))
            return surface
        plot = pygame.Rect(34, 22, w - 42, h - 30)
        gens = np.array([s["generation"] for s in history], dtype=np.float64)
        if "roles" in history[-1]:
            self._archive(surface, history, plot, gens)
            return self._roles(surface, history, plot, gens)
        if _has_species(history):
            self._species(surface, history, plot, gens)
        self._archive(surface, history, plot, gens)
        best = np.array([s["best_fitness"] for s in history], dtype=np.float64)
        mean = np.array([s["mean_fitness"] for s in history], dtype=np.float64)
        series = [(best, BEST), (mean, MEAN)]
        if any("human_fitness" in s for s in history):
            series.append((np.array([s.get("human_fitness", np.nan) for s in history], dtype=np.float64), HUMAN))
        values = np.concatenate([v for v, _ in series])
        lo = min(0.0, float(np.nanmin(values))) if np.isfinite(values).any() else 0.0
        hi = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
        hi = hi if hi > lo else lo + 1.0
        for values, colour in series:
            draw_series(surface, colour, _points(gens, values, lo, hi, plot))
        pygame.draw.rect(surface, AXIS, plot, 1)
        surface.blit(self.font.render(f"{hi:.3g}", True, AXIS), (2, plot.top - 2))
        surface.blit(self.font.render(f"{lo:.3g}", True, AXIS), (2, plot.bottom - 12))
        surface.blit(self.font.render(f"best {best[-1]:.3f}", True, BEST), (plot.right - 190, 4))
        surface.blit(self.font.render(f"mean {mean[-1]:.3f}", True, MEAN), (plot.right - 95, 4))
        return surface

    def _roles(self, surface, history, plot, gens):
        """Best and mean of each co-evolving population, each scaled to its own range."""
        names = list(history[-1]["roles"])
        labels = []
        for name, (best_colour, mean_colour) in zip(names, ((BEST, MEAN), (SECOND_BEST, SECOND_MEAN))):
            rows = [s.get("roles", {}).get(name, {}) for s in history]
            best = np.array([r.get("best_fitness", np.nan) for r in rows], dtype=np.float64)
            mean = np.array([r.get("mean_fitness", np.nan) for r in rows], dtype=np.float64)
            both = np.concatenate([best, mean])
            finite = np.isfinite(both).any()
            lo = min(0.0, float(np.nanmin(both))) if finite else 0.0
            hi = float(np.nanmax(both)) if finite else 1.0
            hi = hi if hi > lo else lo + 1.0
            for values, colour in ((best, best_colour), (mean, mean_colour)):
                draw_series(surface, colour, _points(gens, values, lo, hi, plot))
            labels.append((f"{name} {best[-1]:.3g} / {mean[-1]:.3g}", best_colour))
        pygame.draw.rect(surface, AXIS, plot, 1)
        x = plot.left
        for text, colour in labels:
            image = self.font.render(text, True, colour)
            surface.blit(image, (x, plot.bottom + 1 - image.get_height()))
            x += image.get_width() + 12
        return surface

    def _archive(self, surface, history, plot, gens):
        """The novelty archive's size from 0 to its largest, labelled in the plot's lower right
        corner; nothing for a run that does not select by novelty."""
        sizes = archive_sizes(history)
        if sizes is None:
            return
        top = max(float(np.nanmax(sizes)), 1.0) if np.isfinite(sizes).any() else 1.0
        draw_series(surface, ARCHIVE, _points(gens, sizes, 0.0, top, plot))
        latest = sizes[np.isfinite(sizes)]
        label = self.font.render(f"archive {int(latest[-1]) if latest.size else 0}", True, ARCHIVE)
        surface.blit(label, (plot.right - 2 - label.get_width(), plot.bottom + 1 - label.get_height()))

    def _species(self, surface, history, plot, gens):
        """Stacked areas: each species' share of the population, generation by generation."""
        ids, sizes = species_table([s.get("species", {}) for s in history])
        shares = sizes / np.maximum(sizes.sum(axis=1, keepdims=True), 1.0)
        colours = [[c // 3 for c in colour] for colour in species_colours(np.array(ids)).tolist()]
        draw_stacked_areas(surface, _xs(gens, plot), np.cumsum(shares, axis=1), colours,
                           lambda share: plot.bottom - share * plot.height)


def draw_series(surface, colour, points, width=2):
    """A line through `points` (x, y pixels), or a dot if there is one point."""
    if len(points) >= 2:
        pygame.draw.lines(surface, colour, False, points, width)
    elif len(points) == 1:
        pygame.draw.circle(surface, colour, points[0], width + 1)


def archive_sizes(history):
    """float64[len(history)]: the novelty archive's size after each generation (NaN where not
    given), or None when no generation has novelty stats. Co-evolving populations: the first
    role that has them."""
    def novelty(stats, role):
        return (stats.get("roles", {}).get(role, {}) if role else stats).get("novelty")

    roles = list(history[-1].get("roles", {})) if history else []
    for role in roles or [None]:
        rows = [novelty(s, role) for s in history]
        if any(rows):
            return np.array([r["archive_size"] if r else np.nan for r in rows], dtype=np.float64)
    return None


def species_table(rows):
    """(species ids sorted, float64[len(rows), len(ids)] sizes) from metrics' {id: size} dicts."""
    ids = sorted({int(k) for row in rows for k in row})
    column = {str(i): k for k, i in enumerate(ids)}
    sizes = np.zeros((len(rows), len(ids)))
    for r, row in enumerate(rows):  # a long NEAT run has thousands of species, a few at a time
        for key, size in row.items():
            sizes[r, column[key]] = size
    return ids, sizes


def draw_stacked_areas(surface, xs, tops, colours, to_y):
    """Stacked bands: band k runs from `tops[:, k - 1]` (0 for the first) up to `tops[:, k]`.

    xs: pixel x per row; tops: float64[rows, bands], cumulative, in data units; to_y: data -> pixel y.
    """
    if len(xs) < 2:
        return
    xs = np.asarray(xs, dtype=np.float64)
    bottom = np.zeros(len(xs))
    for k, colour in enumerate(colours):
        top = tops[:, k]
        alive = np.flatnonzero(top > bottom)
        if alive.size:  # a band's polygon spans only the rows where it has members, and one either side
            rows = slice(max(alive[0] - 1, 0), alive[-1] + 2)
            upper = list(zip(xs[rows].tolist(), to_y(top[rows]).tolist()))
            lower = list(zip(xs[rows][::-1].tolist(), to_y(bottom[rows][::-1]).tolist()))
            pygame.draw.polygon(surface, colour, upper + lower)
        bottom = top


def _has_species(history):
    return any(len(s.get("species", {})) > 1 for s in history)


def _xs(gens, plot):
    span = max(gens[-1] - gens[0], 1.0)
    return (plot.left + (gens - gens[0]) / span * plot.width).tolist()


def _points(gens, values, lo, hi, plot):
    keep = np.isfinite(values)
    xs = np.array(_xs(gens, plot))[keep]
    ys = plot.bottom - (values[keep] - lo) / (hi - lo) * plot.height
    return list(zip(xs.tolist(), ys.tolist()))
