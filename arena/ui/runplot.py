"""`arena runs plot`: a run's fitness curves (and its species, for NEAT) drawn into a PNG, headless.

Panels stacked over one generation axis: best, mean and median fitness (one panel per role of a
co-evolution run, with the champions' score against the scripted opponents); then species sizes
as stacked areas for NEAT, or how many genomes finished for other runs.
"""

import math

import numpy as np
import pygame

from arena.core.cli import parse_size
from arena.core.errors import RunError
from arena.persist.runinfo import RunInfo
from arena.ui.chart import AXIS, BEST, MEAN, draw_series, draw_stacked_areas, species_table
from arena.ui.draw import species_colours
from arena.ui.panels import DIM, TEXT
from arena.ui.pictures import save_png

BACKGROUND = (16, 18, 24)
GRID = (38, 40, 48)
MEDIAN = (120, 220, 140)
VS_SCRIPTED = (255, 150, 60)
FINISHED = (200, 160, 255)
MIN_SIZE = (320, 240)
MAX_SIZE = (10000, 10000)
TICKS = 6  # at most about this many ticks an axis


def plot_size(text: str) -> tuple:
    """(width, height) pixels from 'WxH'."""
    return parse_size(text, MIN_SIZE, MAX_SIZE, example="1200x800")


def save_run_plot(run: RunInfo, out, size: tuple) -> None:
    """Draw `run` and write it to `out` (.png) atomically: a reader sees the old file or the new one."""
    save_png(render_run_plot(run, size), out, RunError)


def render_run_plot(run: RunInfo, size: tuple) -> pygame.Surface:
    """The plot of `run` on a new Surface of `size` (width, height) pixels."""
    if not run.history:
        raise RunError(f"{run.metrics_path}: no generation has ended yet; nothing to plot")
    pygame.font.init()
    w, h = size
    font = pygame.font.Font(None, max(14, min(30, round(min(w, h) / 36))))
    surface = pygame.Surface(size)
    surface.fill(BACKGROUND)
    history, config = run.history, run.config
    title = (f"{config['arena']}  ·  {config['brain']}  ·  population {config['population']}  ·  "
             f"seed {config['seed']}  ·  {len(history)} generation{'s' * (len(history) > 1)}  ·  {run.path}")
    surface.blit(_fit(font, title, TEXT, w - 16), (8, 6))
    gens = np.array([row["generation"] for row in history], dtype=np.float64)
    panels = _panels(run)
    line = font.get_linesize()
    gap = 2 * line + 4  # a panel's tick values and the next one's title
    room = h - (12 + line) - (2 * line + 8) - gap * (len(panels) - 1) - line * len(panels)
    heights = [max(20, int(room * panel.weight / sum(p.weight for p in panels))) for panel in panels]
    y_axes = [_Axis(*panel.y_range, ticks=height // (2 * line)) for panel, height in zip(panels, heights)]
    # one left margin for all, so that the panels' generation axes line up
    margin = max(font.size(axis.label(t))[0] for axis in y_axes for t in axis.ticks) + 16
    x_axis = _Axis(gens[0], max(gens[-1], gens[0] + 1), integer=True, ticks=(w - margin) // (6 * line))
    y = 12 + line
    for panel, height, y_axis in zip(panels, heights, y_axes):
        plot = pygame.Rect(margin, y + line, w - margin - 24, height)
        _frame(surface, font, plot, panel, x_axis, y_axis)
        clip = surface.get_clip()
        surface.set_clip(plot.inflate(4, 4))
        panel.draw(surface, plot, x_axis, y_axis, gens)
        surface.set_clip(clip)
        y = plot.bottom + gap
    label = font.render("generation", True, DIM)
    surface.blit(label, ((w - label.get_width()) // 2, h - line - 4))
    return surface


def _panels(run: RunInfo) -> list:
    """The panels, top to bottom."""
    history = run.history
    if run.roles:
        panels = []
        for role in run.roles:
            series = _fitness_series([row["roles"][role] for row in history])
            scripted = [(row.get("vs_scripted") or {}).get(role, {}).get("fitness") for row in history]
            if any(value is not None for value in scripted):
                # drawn first and wider, so a champion that scores the same still shows its best line on top
                series.insert(0, ("vs scripted", _values(scripted), VS_SCRIPTED, 5))
            panels.append(LinePanel(f"{role} fitness", series))
        for role in run.roles:
            species = [row["roles"][role].get("species", {}) for row in history]
            if any(species):
                panels.append(SpeciesPanel(f"{role} species", species))
        return panels
    panels = [LinePanel("fitness", _fitness_series(history))]
    species = [row.get("species", {}) for row in history]
    if any(species):
        panels.append(SpeciesPanel("species", species))
    else:
        finished = _values([row["finished"] for row in history])
        panels.append(LinePanel("finished", [("genomes that finished", finished, FINISHED, 2)], weight=1,
                                integer=True, low=0.0, high=float(run.config["population"])))
    return panels


def _fitness_series(rows: list) -> list:
    return [(name, _values([row[f"{name}_fitness"] for row in rows]), colour, 2)
            for name, colour in (("best", BEST), ("mean", MEAN), ("median", MEDIAN))]


def _values(items) -> np.ndarray:
    """float64 array; None (a value a generation lacks) becomes NaN, a gap in the line."""
    return np.array([np.nan if v is None else v for v in items], dtype=np.float64)


class LinePanel:
    """Lines over generations: `series` is [(name, float64[generations], colour, width)]."""

    def __init__(self, title, series, weight=2, integer=False, low=None, high=None):
        self.title, self.series, self.weight = title, series, weight
        values = np.concatenate([v for _, v, _, _ in series])
        finite = values[np.isfinite(values)]
        low = low if low is not None else float(finite.min()) if finite.size else 0.0
        if high is None:  # headroom, so that the best line does not run along the frame
            high = float(finite.max()) + 0.03 * float(np.ptp(finite)) if finite.size else 1.0
        self.y_range = (low, high, integer)
        self.legend = [(name, colour) for name, _, colour, _ in series]

    def draw(self, surface, plot, x_axis, y_axis, gens):
        for _, values, colour, width in self.series:
            keep = np.isfinite(values)
            points = list(zip(x_axis.to_pixels(gens[keep], plot.left, plot.right).tolist(),
                              y_axis.to_pixels(values[keep], plot.bottom, plot.top).tolist()))
            draw_series(surface, colour, points, width)


class SpeciesPanel:
    """Species sizes stacked over generations (NEAT's speciation plot); `rows` are metrics' {id: size}."""

    weight = 1

    def __init__(self, title, rows):
        self.title = title
        self.ids, sizes = species_table(rows)
        self.tops = np.cumsum(sizes, axis=1)
        self.y_range = (0.0, float(self.tops[:, -1].max()), True)
        alive = int(np.count_nonzero(sizes[-1]))
        self.legend = [(f"{len(self.ids)} species in all, {alive} in the last generation", DIM)]

    def draw(self, surface, plot, x_axis, y_axis, gens):
        xs = x_axis.to_pixels(gens, plot.left, plot.right).tolist()
        colours = species_colours(np.array(self.ids)).tolist()
        draw_stacked_areas(surface, xs, self.tops, colours, lambda v: y_axis.to_pixels(v, plot.bottom, plot.top))
        if len(xs) == 1:  # one generation: a stacked bar, as an area needs two
            tops = y_axis.to_pixels(self.tops[0], plot.bottom, plot.top)
            for k in range(len(self.ids) - 1, -1, -1):
                pygame.draw.rect(surface, colours[k], pygame.Rect(xs[0] - 3, tops[k], 7, plot.bottom - tops[k]))


def _frame(surface, font, plot, panel, x_axis, y_axis) -> None:
    """A panel's title, legend, frame, grid, and ticks with their values; drawn before its data."""
    line = font.get_linesize()
    surface.blit(font.render(panel.title, True, TEXT), (plot.left, plot.top - line))
    for tick in y_axis.ticks:
        y = round(float(y_axis.to_pixels(tick, plot.bottom, plot.top)))
        pygame.draw.line(surface, GRID, (plot.left, y), (plot.right, y))
        pygame.draw.line(surface, AXIS, (plot.left - 4, y), (plot.left, y))
        label = font.render(y_axis.label(tick), True, DIM)
        surface.blit(label, (plot.left - label.get_width() - 8, y - label.get_height() // 2))
    for tick in x_axis.ticks:
        x = round(float(x_axis.to_pixels(tick, plot.left, plot.right)))
        pygame.draw.line(surface, GRID, (x, plot.top), (x, plot.bottom))
        pygame.draw.line(surface, AXIS, (x, plot.bottom), (x, plot.bottom + 4))
        label = font.render(x_axis.label(tick), True, DIM)
        surface.blit(label, (x - label.get_width() // 2, plot.bottom + 6))
    pygame.draw.rect(surface, AXIS, plot, 1)  # under the data, so that lines along an edge show
    # the legend: colour swatches and names, right-aligned on the title line, if there is room
    swatch = font.get_height() // 2
    width = sum(font.size(name)[0] + swatch + 22 for name, _ in panel.legend)
    if plot.left + font.size(panel.title)[0] + width > plot.right:
        return
    x, y = plot.right, plot.top - line
    for name, colour in reversed(panel.legend):
        label = font.render(name, True, TEXT)
        x -= label.get_width()
        surface.blit(label, (x, y))
        x -= swatch + 6
        pygame.draw.rect(surface, colour, pygame.Rect(x, y + (label.get_height() - swatch) // 2, swatch, swatch))
        x -= 16


def _fit(font, text, colour, width) -> pygame.Surface:
    """`text` rendered, cut short with '…' to fit `width` pixels."""
    while len(text) > 1 and font.size(text)[0] > width:
        text = text[:-2] + "…"
    return font.render(text, True, colour)


class _Axis:
    """A value range widened to round tick values, and the ticks: 1, 2 or 5 times a power of ten apart."""

    def __init__(self, low: float, high: float, integer: bool = False, ticks: int = TICKS):
        if not high > low:
            low, high = (low - 1.0, high + 1.0) if not integer else (low, low + 1.0)
        raw = (high - low) / min(max(ticks, 2), TICKS)
        step = 10.0 ** math.floor(math.log10(raw))
        step = next(m * step for m in (1, 2, 5, 10) if m * step >= raw)
        if integer:
            step = max(step, 1.0)
        self.step = step
        self.low = math.floor(low / step + 1e-9) * step
        self.high = math.ceil(high / step - 1e-9) * step
        self.ticks = list(np.arange(self.low, self.high + step / 2, step))
        self.decimals = max(0, -math.floor(math.log10(step) + 1e-9))

    def to_pixels(self, values, start: float, end: float):
        """Map values in [low, high] to pixels from `start` to `end` (end < start for a y axis)."""
        return start + (np.asarray(values, dtype=np.float64) - self.low) / (self.high - self.low) * (end - start)

    def label(self, value: float) -> str:
        if abs(value) >= 1e6:
            return f"{value:.3g}"
        return f"{value:.{self.decimals}f}"
