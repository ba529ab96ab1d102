"""Novelty in the sandbox: agents coloured by novelty (C) and the archive's size on the chart.

The sandbox tests open a window on a real X display (Xvfb; they skip outside CI without one);
the chart draws on plain surfaces and needs none.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from arena.session import TrainConfig, TrainSession
from arena.ui.live import LiveRun


def session_of(objective, arena="racing", population=12):
    return TrainSession(TrainConfig(arena, population=population, seed=4, objective=objective))


@pytest.fixture
def sandbox(display, tmp_path):
    """A function opening the sandbox on a new session of `objective`; closed after the test."""
    from arena.ui.app import App
    from arena.ui.draw import renderer_class
    from arena.ui.sandbox import SandboxView

    opened = []

    def open_sandbox(objective):
        session = session_of(objective)
        app = App((960, 640), max_fps=0)
        live = LiveRun(session.arena, session.level, session=session, trails=renderer_class(session.arena).trails)
        app.view = view = SandboxView(live, app.screen.get_size(), tmp_path / "saves")
        opened.append((app, live))
        return app, view, live

    yield open_sandbox
    for app, live in opened:
        live.close()
        app.close()


def press_c(app):
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_c, mod=0, unicode="c", scancode=0))
    app.frame()


def hud_lines(app, view, monkeypatch):
    """The lines the HUD draws in the next frame."""
    drawn = []
    panel = view.text.panel
    monkeypatch.setattr(view.text, "panel", lambda screen, lines, *a, **k: drawn.append(lines) or panel(
        screen, lines, *a, **k))
    app.frame()
    monkeypatch.undo()
    return [line if isinstance(line, str) else line[0] for line in drawn[0]]


def test_c_offers_novelty_colours_in_novelty_runs(sandbox, monkeypatch):
    app, view, _ = sandbox("novelty")
    seen = []
    for _ in range(3):
        press_c(app)
        seen.append(view.colour_by)
    assert sorted(seen) == ["fitness", "novelty", "species"]
    while view.colour_by != "novelty":
        press_c(app)
    assert any("colour: novelty" in line for line in hud_lines(app, view, monkeypatch))
    assert "novelty" in dict(view.help_lines())["C"]


def test_c_never_offers_novelty_colours_in_fitness_runs(sandbox):
    app, view, _ = sandbox("fitness")
    seen = set()
    for _ in range(4):
        press_c(app)
        seen.add(view.colour_by)
    assert seen == {"species", "fitness"}
    assert "novelty" not in dict(view.help_lines())["C"]


def test_novelty_colours_run_from_the_least_to_the_most_novel_agent(sandbox):
    from arena.ui.draw import HUMAN, ramp

    _, view, live = sandbox("novelty")
    live.tick(90)  # the cars spread out along the track
    state, n = live.view_state()
    novelty = live.novelty()
    assert novelty.shape == (n,) and novelty.max() > novelty.min()
    view.colour_by = "novelty"
    colours = view._colours(state, n)
    expected = ramp((novelty - novelty.min()) / (novelty.max() - novelty.min()))
    assert np.array_equal(colours, expected)
    most, least = int(np.argmax(novelty)), int(np.argmin(novelty))
    assert tuple(colours[most]) == tuple(ramp(np.array([1.0]))[0]) != tuple(colours[least])
    assert tuple(colours[least]) == tuple(ramp(np.array([0.0]))[0])

    live.set_human(True)
    state, n = live.view_state()
    colours = view._colours(state, n)
    assert len(colours) == n + 1 and tuple(colours[n]) == HUMAN


def test_agents_alike_in_novelty_take_the_middle_colour():
    from arena.ui.draw import ramp
    from arena.ui.sandbox import novelty_colours

    assert np.array_equal(novelty_colours(np.full(5, 0.3)), ramp(np.full(5, 0.5)))
    assert np.array_equal(novelty_colours(np.array([2.0, 4.0, 3.0])), ramp(np.array([0.0, 1.0, 0.5])))


def test_novelty_is_searched_at_most_every_quarter_second_and_afresh_each_generation(sandbox, monkeypatch):
    from arena.ui import sandbox as sandbox_module
    from arena.ui.sandbox import NOVELTY_SECONDS

    app, view, live = sandbox("novelty")
    view.colour_by = "novelty"
    now = [100.0]
    monkeypatch.setattr(sandbox_module, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    searches = []
    novelty = live.novelty
    live.novelty = lambda: searches.append(live.generation) or novelty()
    live.tick(30)
    state, n = live.view_state()
    first = view._colours(state, n)
    live.tick(60)  # the agents move on; their colours stay until the quarter second is up
    now[0] += NOVELTY_SECONDS * 0.9
    assert np.array_equal(view._colours(state, n), first)
    assert searches == [0]
    now[0] += NOVELTY_SECONDS * 0.2
    view._colours(state, n)
    assert searches == [0, 0]
    live.next_generation()
    state, n = live.view_state()
    view._colours(state, n)
    assert searches == [0, 0, 1], "a new generation is searched at once"
    for _ in range(3):
        app.frame()  # frames drawn within the quarter second reuse the values
    assert searches == [0, 0, 1]


class RecordingFont:
    """A font that notes what the chart writes."""

    def __init__(self):
        import pygame

        pygame.font.init()
        self.font = pygame.font.Font(None, 17)
        self.texts = []

    def render(self, text, *args):
        self.texts.append(text)
        return self.font.render(text, *args)


def chart_of(history):
    """(rgb pixels uint8[w, h, 3], texts) of the chart of `history`."""
    import pygame

    from arena.ui.chart import Chart

    font = RecordingFont()
    surface = Chart(font)._render(history, (420, 170))
    return pygame.surfarray.array3d(surface), font.texts


def violet_pixels(pixels) -> int:
    from arena.ui.chart import ARCHIVE

    return int((pixels == np.array(ARCHIVE, dtype=np.uint8)).all(axis=-1).sum())


def test_the_chart_draws_the_archive_size_of_novelty_runs_only():
    novelty = session_of("novelty")
    history = [novelty.step() for _ in range(3)]
    sizes = [s["novelty"]["archive_size"] for s in history]
    assert sizes[-1] > sizes[0]
    pixels, texts = chart_of(history)
    assert violet_pixels(pixels) > 50  # a line across the plot
    assert f"archive {sizes[-1]}" in texts

    fitness = session_of("fitness")
    pixels, texts = chart_of([fitness.step() for _ in range(3)])
    assert violet_pixels(pixels) == 0
    assert not any(t.startswith("archive") for t in texts)


def test_the_chart_of_coevolving_populations_draws_the_first_role_with_an_archive():
    session = session_of("novelty", arena="pacman", population=4)
    history = [session.step() for _ in range(2)]
    roles = [r for r in history[-1]["roles"] if "novelty" in history[-1]["roles"][r]]
    assert roles
    pixels, texts = chart_of(history)
    assert violet_pixels(pixels) > 50
    assert f"archive {history[-1]['roles'][roles[0]]['novelty']['archive_size']}" in texts
