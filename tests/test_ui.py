"""The sandbox window, driven by posted pygame events on a real X display (Xvfb).

Outside CI these tests skip when there is neither a display nor Xvfb; in CI they must run.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from arena.arenas import get_arena
from arena.core.errors import UsageError
from arena.session import TrainConfig, TrainSession
from arena.ui.live import SPEEDS, LiveRun


def play_args(**given):
    args = dict(arena="racing", level=None, brain=None, population=24, seed=3, load=None, human=False,
                speed="1x", save_dir="saves", size="960x640", max_fps=0, frames=None, screenshot=None, json=False,
                no_autosave=False, no_gl=False, objective=None, novelty_k=None)
    args.update(given)
    return SimpleNamespace(**args)


@pytest.fixture
def window(display, tmp_path):
    """A function opening the sandbox as `arena play` would; the app closes after the test."""
    from arena.ui.app import App
    from arena.ui.play import build_live
    from arena.ui.sandbox import SandboxView

    opened = []

    def open_window(**given):
        args = play_args(save_dir=str(tmp_path / "saves"), **given)
        app = App((960, 640), max_fps=0, gl=not args.no_gl)
        live = build_live(args)
        app.view = SandboxView(live, app.screen.get_size(), tmp_path / "saves",
                               TrainSession.from_checkpoint if live.session else None, overlay_off=app.gl_off)
        opened.append((app, live))
        return app, app.view, live

    yield open_window
    for app, live in opened:
        live.close()
        live.backend.close()
        app.close()


def post_key(key, mod=0):
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode="", scancode=0))


def release_key(key):
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=0, unicode="", scancode=0))


def frames(app, n):
    for _ in range(n):
        app.frame()


def test_speed_keys_and_pause_and_single_tick(window):
    import pygame

    app, view, live = window()
    frames(app, 2)
    for key, speed in ((pygame.K_3, "4x"), (pygame.K_5, "max"), (pygame.K_MINUS, "16x"), (pygame.K_1, "1x")):
        post_key(key)
        frames(app, 1)
        assert live.speed == speed
    post_key(pygame.K_SPACE)
    frames(app, 1)
    assert live.paused
    ticks = live.run.ticks
    time.sleep(0.05)
    frames(app, 3)
    assert live.run.ticks == ticks, "a paused run must not move"
    post_key(pygame.K_PERIOD)
    frames(app, 1)
    assert live.run.ticks == ticks + 1


def test_fixed_timestep_runs_sixty_ticks_a_second_whatever_the_frame_rate(window):
    _, _, live = window()
    live.update(0.0, 0.0)
    start = live.run.ticks
    frames = [0.007, 0.0263, 0.0041, 0.0457, 0.0169] * 6  # 0.597 s in uneven frames
    for seconds in frames:
        live.update(seconds, 0.0)
    assert live.run.ticks - start == int(sum(frames) * 60)
    live.set_speed("4x")
    start = live.run.ticks
    live.update(0.1, 0.0)
    assert live.run.ticks - start == 24
    live.set_speed("1x")
    start = live.run.ticks
    live.update(1.0, 0.0)  # a stalled frame catches up a quarter of a second, not a whole one
    assert live.run.ticks - start == 15


def spread_out(app, live, ticks=90):
    deadline = time.monotonic() + 30
    while live.run.ticks < ticks and live.generation == 0:
        assert time.monotonic() < deadline, "the cars never got going"
        app.frame()


def test_click_selects_the_car_under_the_cursor_and_inspects_it(window):
    import pygame

    app, view, live = window(population=24)
    spread_out(app, live)
    live.paused = True
    frames(app, 1)
    screen = view.camera.to_screen(view.renderer.world_positions(live.run.state))
    alive = np.flatnonzero(live.run.state.alive)
    gaps = [np.min(np.delete(np.hypot(*(screen - screen[r]).T), r)) for r in alive]
    row = int(alive[int(np.argmax(gaps))])
    assert max(gaps) > 3, "the cars never spread apart"
    pixel = tuple(int(round(v)) for v in screen[row])
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pixel, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pixel, button=1))
    frames(app, 1)
    assert view.selected == row
    info = live.inspect(row)
    role = live.role
    assert info["inputs"].shape == (role.n_inputs,) and info["outputs"].shape == (role.n_outputs,)
    observed = live.arena.observe(live.level, live.run.state)[role.name][row]
    assert np.array_equal(info["inputs"], observed)
    assert info["parents"] == [-1, -1] and info["species"] == 0
    post_key(pygame.K_ESCAPE)
    frames(app, 1)
    assert view.selected is None
    far = (5, app.screen.get_height() - 5)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=far, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=far, button=1))
    frames(app, 1)
    assert view.selected is None


def test_human_takeover_drives_the_car_with_the_arrow_keys(window):
    import pygame

    app, view, live = window(population=12)
    frames(app, 2)
    post_key(pygame.K_h)
    frames(app, 1)
    assert live.human and len(live.run.state.alive) == live.run.n + 1
    human = live.run.n
    start = live.arena.positions(live.run.state)[human].copy()
    post_key(pygame.K_UP)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and np.hypot(*(live.arena.positions(live.run.state)[human] - start)) < 1.0:
        app.frame()
    assert live.run.state.real[human, 3] > 2.0, "throttle held, yet the car has no speed"
    assert np.hypot(*(live.arena.positions(live.run.state)[human] - start)) >= 1.0
    release_key(pygame.K_UP)
    frames(app, 1)
    assert live.human_action[1] == 0.0
    post_key(pygame.K_h)
    frames(app, 1)
    assert not live.human and len(live.run.state.alive) == live.run.n


def test_save_then_load_restores_the_generation(window, tmp_path):
    import pygame

    app, view, live = window(population=16)
    post_key(pygame.K_n)
    frames(app, 1)
    assert live.generation == 1
    saved_genomes = live.run.batch.genomes.copy()
    post_key(pygame.K_s, pygame.KMOD_CTRL)
    post_key(pygame.K_b)
    frames(app, 1)
    live.writer.wait()  # written in the background
    assert sorted(p.name for p in (tmp_path / "saves").iterdir()) == [
        "racing-champion-gen-000001.brain.json", "racing-gen-000001.checkpoint.json"]
    for _ in range(2):
        post_key(pygame.K_n)
        frames(app, 1)
    assert live.generation == 3
    post_key(pygame.K_l, pygame.KMOD_CTRL)
    frames(app, 1)
    assert live.generation == 1
    assert np.array_equal(live.run.batch.genomes, saved_genomes)
    post_key(pygame.K_s, pygame.KMOD_CTRL)  # saving again never overwrites
    frames(app, 1)
    live.writer.wait()
    assert (tmp_path / "saves" / "racing-gen-000001-2.checkpoint.json").exists()


def test_saving_goes_on_beside_the_frame_loop(window, tmp_path, monkeypatch):
    """A save the disk takes its time over never stalls a frame; two saves in a row get two
    names; the message comes when the file is whole."""
    import pygame

    from arena.persist import checkpoint

    release = threading.Event()
    real_save = checkpoint.save_checkpoint

    def slow_save(path, data):
        assert release.wait(60), "the frame loop waited for the save"
        real_save(path, data)

    monkeypatch.setattr("arena.ui.live.save_checkpoint", slow_save)
    app, view, live = window(population=16)
    post_key(pygame.K_n)
    frames(app, 1)
    post_key(pygame.K_s, pygame.KMOD_CTRL)
    post_key(pygame.K_s, pygame.KMOD_CTRL)
    frames(app, 5)  # the frames go on while both saves wait
    saves = tmp_path / "saves"
    assert not list(saves.glob("*.checkpoint.json"))
    assert any("saving generation 1" in line for _, line, _ in view.messages.items)
    release.set()
    live.writer.wait()
    frames(app, 1)
    assert sorted(p.name for p in saves.glob("*.checkpoint.json")) == [
        "racing-gen-000001-2.checkpoint.json", "racing-gen-000001.checkpoint.json"]
    assert any(line.startswith("saved generation 1 to") for _, line, _ in view.messages.items)


@pytest.mark.parametrize("backend", ["serial", "pool"])
def test_watching_live_evolves_exactly_as_headless_training(window, backend):
    """Generations stepped in the window, skipped with N, or run in turbo (on the serial backend,
    or a pool of worker processes) equal `arena train`."""
    import pygame

    app, view, live = window(population=20, seed=5, backend=backend, workers=2 if backend == "pool" else None)
    assert live.backend.name == backend
    live.set_speed("max")
    while len(live.history) < 2:
        app.frame()
    post_key(pygame.K_n)
    frames(app, 1)
    live.set_speed("turbo")
    deadline = time.monotonic() + 60
    while len(live.history) < 6 and time.monotonic() < deadline:
        app.frame()
    assert len(live.history) >= 6, "turbo ran no generations"
    live.set_speed("1x")
    headless = TrainSession(TrainConfig("racing", population=20, seed=5))
    expected = [headless.step() for _ in range(len(live.history))]
    for got, want in zip(live.history, expected):
        assert got["generation"] == want["generation"]
        assert got["best_fitness"] == want["best_fitness"] and got["mean_fitness"] == want["mean_fitness"]
    assert np.array_equal(live.session.champion.genome, headless.champion.genome)


def test_drag_pans_and_wheel_zooms(window):
    import pygame

    app, view, live = window(population=10)
    frames(app, 1)
    centre, scale = view.camera.centre.copy(), view.camera.scale
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(300, 300), button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(340, 280), rel=(40, -20), buttons=(1, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(340, 280), button=1))
    frames(app, 1)
    assert not view.camera.follow and view.selected is None
    assert np.allclose(view.camera.centre - centre, np.array([-40, -20]) / scale)
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=2, flipped=False, precise_x=0.0, precise_y=2.0))
    frames(app, 1)
    assert np.isclose(view.camera.scale, scale * 1.2**2)
    post_key(pygame.K_HOME)
    frames(app, 1)
    assert np.isclose(view.camera.scale, scale)


def test_pausing_turbo_pauses_evolution(window):
    app, view, live = window(population=10)
    live.set_speed("turbo")
    deadline = time.monotonic() + 60
    while not live.history and time.monotonic() < deadline:
        app.frame()
    assert live.history, "turbo ran no generations"
    live.paused = True
    settled = time.monotonic() + 20
    while live._turbo is not None and time.monotonic() < settled:
        app.frame()
    paused_at = live.generation
    time.sleep(0.3)
    frames(app, 5)
    assert not live.turbo_running and live.generation == paused_at
    live.paused = False
    while live.generation == paused_at and time.monotonic() < deadline:
        app.frame()
    assert live.generation > paused_at


def test_help_overlay_resize_and_trails(window):
    import pygame

    app, view, live = window(population=10)
    post_key(pygame.K_F1)
    frames(app, 1)
    assert view.show_help
    keys = " ".join(k for k, _ in view.help_lines())
    for key in ("Space", "N", "H", "Ctrl+S", "Ctrl+L", "B", "F1"):
        assert key in keys
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(700, 500), w=700, h=500))
    frames(app, 1)
    assert view.camera.size == (700, 500)
    live.set_speed("max")
    while not live.history:
        app.frame()
    assert len(live.trails) == 10
    best = live.trails[0]
    assert best.fitness == live.history[-1]["best_fitness"]
    assert best.points.shape[1] == 2 and len(best.points) >= 2
    assert np.allclose(best.points[0], live.level.start[:2], atol=1e-4)


@pytest.mark.parametrize("arena", ["tunnel", "cartpole", "tanks", "pacman"])
def test_other_arenas_play_and_draw(window, arena):
    app, view, live = window(arena=arena, population=12)
    frames(app, 20)
    assert live.run.ticks > 0
    row = int(np.flatnonzero(live.run.state.alive)[0]) if live.run.state.alive.any() else 0
    view.selected = row
    frames(app, 2)  # the inspector and sensors draw


def test_pacman_coevolves_on_screen_and_a_human_plays_against_the_champion_ghosts(window):
    import pygame

    from arena.arenas.base import SCRIPTED

    app, view, live = window(arena="pacman", population=6, speed="max")
    assert live.session.coevolving and live.run.n == (6 + 6) * 4  # every genome against 4 opponents
    post_key(pygame.K_n)
    frames(app, 2)
    assert live.generation == 1 and set(live.history[-1]["roles"]) == {"pacman", "ghost"}
    view.show_chart = True
    frames(app, 1)  # the chart draws both populations
    post_key(pygame.K_1)
    post_key(pygame.K_h)
    frames(app, 1)
    human = live.run.n
    ghosts = live.run.human_nets["ghost"]
    assert ghosts is not SCRIPTED and ghosts.size == 4  # the ghost champion, four times
    start = live.arena.positions(live.run.state)[human].copy()
    post_key(pygame.K_LEFT)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and live.arena.positions(live.run.state)[human][0] > start[0] - 1.5:
        app.frame()
    assert live.arena.positions(live.run.state)[human][0] <= start[0] - 1.5, "left held, yet Pac-Man did not go left"
    release_key(pygame.K_LEFT)
    post_key(pygame.K_6)  # turbo replays both champions in one game
    frames(app, 1)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and live.view_state()[0] is None:  # 10 ticks a second: wait for one
        app.frame()
    assert live.turbo and live.view_state()[0] is not None
    post_key(pygame.K_1)
    frames(app, 1)


def test_a_loaded_brain_races_a_human(window, tmp_path):
    from arena.ui.play import build_live

    session = TrainSession(TrainConfig("racing", population=10, seed=1))
    session.step()
    from arena.persist.brainfile import save_brain

    path = tmp_path / "champion.brain.json"
    save_brain(session.champion_brain(), path)
    app, view, live = window(arena=None, load=str(path), human=True, population=None, seed=None)
    assert live.brains is not None and live.run.n == 1 and live.human
    frames(app, 5)
    with pytest.raises(UsageError, match="nothing to evolve"):
        live.set_speed("turbo")
    with pytest.raises(UsageError, match="apply to evolving runs only"):
        build_live(play_args(arena=None, load=str(path), population=5, seed=None))


def run_cli(*argv, display=None, timeout=300):
    env = {**os.environ, "DISPLAY": display or os.environ.get("DISPLAY", "")}
    return subprocess.run([sys.executable, "-m", "arena", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_play_command_json_and_screenshot_show_track_and_cars(display, tmp_path):
    from arena.arenas.racing.render import ROAD
    from arena.ui.draw import GRASS

    shot = tmp_path / "shot.png"
    done = run_cli("play", "racing", "--population", "60", "--frames", "90", "--json", "--screenshot", str(shot),
                   "--save-dir", str(tmp_path), display=display)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) >= {"frames", "fps_median", "fps_p5", "agents", "generation"}
    assert result["frames"] == 90 and result["agents"] == 60 and result["fps_median"] > 0
    saved = list(tmp_path.glob("racing-gen-*.checkpoint.json"))
    assert len(saved) == (1 if result["generation"] > 0 else 0), "quitting saves what evolved, and only that"
    import pygame

    image = pygame.surfarray.array3d(pygame.image.load(str(shot)))  # [x, y, rgb]
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    assert tuple(ROAD) in colours and tuple(GRASS) in colours


def test_screenshot_shows_the_cars_where_they_are(window, tmp_path):
    """Pixels at the cars' positions in the saved frame have the cars' colours, not the track's."""
    import pygame

    from arena.arenas.racing.render import ROAD
    from arena.ui.draw import GRASS

    app, view, live = window(population=40)
    view.show_skins = False  # cars in their plain colours, so a pixel tells whose it is
    spread_out(app, live, 60)
    live.paused = True
    frames(app, 1)
    shot = tmp_path / "frame.png"
    app.screenshot(shot)
    image = pygame.image.load(str(shot))
    state = live.run.state
    alive = np.flatnonzero(state.alive)
    assert alive.size > 5
    car_colours = {tuple(c) for c in view._colours(state, live.run.n)[alive].tolist()} | {(255, 255, 255)}
    screen = view.camera.to_screen(view.renderer.world_positions(state))
    w, h = image.get_size()
    checked = 0
    for row in alive:
        x, y = (int(round(v)) for v in screen[row])
        if 0 <= x < w and 0 <= y < h:
            pixel = tuple(image.get_at((x, y)))[:3]
            assert pixel not in (tuple(ROAD), tuple(GRASS)), f"car {row} at {(x, y)} is not drawn"
            checked += pixel in car_colours
    assert checked >= alive.size // 2
    road = view.camera.to_screen(live.level.centre[len(live.level.centre) // 2][None])[0]
    if 0 <= road[0] < w and 0 <= road[1] < h:
        assert tuple(image.get_at((int(road[0]), int(road[1]))))[:3] == tuple(ROAD)


def test_play_rejects_bad_input_in_one_line(display, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    cases = [
        (["play", "nosucharena", "--frames", "1"], "nosucharena"),
        (["play", "racing", "--load", str(bad), "--frames", "1"], "bad.json"),
        (["play", "racing", "--screenshot", str(tmp_path / "missing" / "x.png"), "--frames", "1"], "missing"),
        (["play", "racing", "--size", "10x10", "--frames", "1"], "--size"),
        (["play", "racing", "--speed", "warp"], "warp"),
        (["play", "racing", "--level", str(tmp_path / "none.json"), "--frames", "1"], "none.json"),
        (["play", "racing", "--screenshot", str(bad), "--frames", "1"], "already exists"),
        (["play", "racing", "--human", "--speed", "turbo", "--frames", "1"], "--human"),
    ]
    before = bad.read_text()
    for argv, named in cases:
        done = run_cli(*argv, display=display)
        assert done.returncode == 2, (argv, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and named in lines[0] and "Traceback" not in done.stderr, (argv, done.stderr)
    assert bad.read_text() == before

def test_no_screen_is_a_one_line_error():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "arena", "play", "racing", "--frames", "1"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arena: error: cannot open a window"), done.stderr


def test_ctrl_c_closes_the_window_cleanly_and_keeps_what_evolved(display, tmp_path):
    env = {**os.environ, "DISPLAY": display}
    process = subprocess.Popen([sys.executable, "-m", "arena", "play", "racing", "--population", "20", "--speed", "max",
                                "--save-dir", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Ctrl-C once generations are closing: after the window opened (its GL driver is loaded), which
    # can take long on a busy machine, plus a few seconds of warming up and evolving.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None and not _gl_driver_loaded(process.pid):
        time.sleep(0.2)
    time.sleep(6)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    saved = list(tmp_path.glob("racing-gen-*.checkpoint.json"))
    assert len(saved) == 1 and str(saved[0]) in err
    resumed = TrainSession.from_checkpoint(saved[0])
    assert resumed.generation > 0 and resumed.config.population == 20


def _gl_driver_loaded(pid) -> bool:
    try:
        return "_dri.so" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_a_ctrl_c_pygame_drops_while_the_window_opens_still_stops_it(display, monkeypatch):
    """pygame's set_mode calls back into Python for the window icon and drops whatever that raises:
    a Ctrl-C arriving there was lost, and `arena play` ran on until killed."""
    import pygame.pkgdata

    from arena.ui.app import App

    load_icon = pygame.pkgdata.getResource

    def ctrl_c_while_loading_the_icon(name, *args, **kwargs):
        if name == "pygame_icon.bmp":  # the default font comes this way too, and there it is raised
            os.kill(os.getpid(), signal.SIGINT)
        return load_icon(name, *args, **kwargs)

    monkeypatch.setattr(pygame.pkgdata, "getResource", ctrl_c_while_loading_the_icon)
    app = App((320, 240), max_fps=0)
    app.view = SimpleNamespace(handle=lambda event: None, update=lambda seconds, budget: None,
                               draw=lambda screen: screen.fill((0, 0, 0)))
    try:
        with pytest.raises(KeyboardInterrupt):
            app.wait_for(lambda: time.sleep(0.5), "warming up")
        assert app.run(frames=20) == 130 and app.frames == 0
        assert app.run(frames=3) == 0 and app.frames == 3  # handled once
    finally:
        app.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_cli_speed_names_match_the_live_run():
    from arena import cli

    assert cli.SPEEDS == SPEEDS


def test_live_run_steps_without_a_window():
    """The live run (what the window shows) needs no display: a generation to its end."""
    arena = get_arena("tunnel")
    session = TrainSession(TrainConfig("tunnel", population=8, seed=2))
    live = LiveRun(arena, session.level, session=session)
    live.set_speed("max")
    while not live.history:
        live.update(0.0, 0.05)
    assert live.history[0]["best_fitness"] == TrainSession(TrainConfig("tunnel", population=8, seed=2)).step()[
        "best_fitness"]


def test_load_tells_runs_checkpoints_and_brains_apart(tmp_path):
    from arena.core.errors import ArenaError
    from arena.persist.brainfile import save_brain
    from arena.persist.checkpoint import save_checkpoint
    from arena.ui.play import build_live, load_kind

    session = TrainSession(TrainConfig("tunnel", population=6, seed=1))
    session.step()
    save_brain(session.champion_brain(), tmp_path / "a.brain.json")
    save_checkpoint(tmp_path / "a.checkpoint.json", session.checkpoint_data())
    assert load_kind(tmp_path) == "run"
    assert load_kind(tmp_path / "a.brain.json") == "brain"
    assert load_kind(tmp_path / "a.checkpoint.json") == "checkpoint"
    (tmp_path / "level.json").write_text('{"format": "arena.level"}')
    for bad in ("level.json", "missing.json"):
        with pytest.raises(ArenaError, match=bad):
            load_kind(tmp_path / bad)
    live = build_live(play_args(arena=None, load=str(tmp_path / "a.checkpoint.json"), population=None, seed=None))
    assert live.generation == 1 and live.session.config.population == 6
    with pytest.raises(ArenaError, match="own settings"):
        build_live(play_args(arena=None, load=str(tmp_path / "a.checkpoint.json"), population=9, seed=None))
    with pytest.raises(ArenaError, match="not 'racing'"):
        build_live(play_args(arena="racing", load=str(tmp_path / "a.brain.json"), population=None, seed=None))
    elsewhere = json.loads((tmp_path / "a.brain.json").read_text())
    elsewhere["arena"] = "chess"
    (tmp_path / "chess.brain.json").write_text(json.dumps(elsewhere))
    with pytest.raises(ArenaError, match=r"chess\.brain\.json: .*chess"):
        build_live(play_args(arena=None, load=str(tmp_path / "chess.brain.json"), population=None, seed=None))
    with pytest.raises(ArenaError, match="a loaded brain has none to evaluate"):
        build_live(play_args(arena=None, load=str(tmp_path / "a.brain.json"), population=None, seed=None,
                             backend="pool"))


def test_a_loaded_ghost_brain_hunts_the_greedy_pacman_and_cannot_be_played_by_hand(tmp_path):
    from arena.arenas.base import SCRIPTED
    from arena.persist.brainfile import save_brain
    from arena.ui.play import build_live

    session = TrainSession(TrainConfig("pacman", level="levels/pacman/1-small.txt", population=4, seed=1,
                                       opponents=1))
    session.step()
    path = tmp_path / "ghost.brain.json"
    save_brain(session.champion_brain("ghost"), path)
    live = build_live(play_args(arena=None, load=str(path), population=None, seed=None))
    assert live.role.name == "ghost" and live.run.nets["pacman"] is SCRIPTED and live.run.nets["ghost"].size == 4
    live.tick(20)
    assert live.run.ticks == 20 or not live.run.state.alive.any()
    info = live.inspect(0)  # ghost 0 of game 0
    assert np.array_equal(info["inputs"], live.arena.observe(live.level, live.run.state)["ghost"][0])
    assert info["inputs"][:4].tolist() == [1, 0, 0, 0] and info["outputs"].shape == (4,)
    with pytest.raises(UsageError, match="plays 4"):
        build_live(play_args(arena=None, load=str(path), human=True, population=None, seed=None))


def test_the_network_view_shows_every_node_of_the_agents_neat_genome(window, tmp_path, monkeypatch):
    """V shows the inspected agent's network in the OpenGL overlay: the screenshot has one node disc
    (filled magenta here, a colour nothing else uses) for every node of its compiled genome."""
    import pygame
    from test_netview import MAGENTA, count_blobs

    from arena.brains.neat.compile import compile_neat
    from arena.ui import netview

    monkeypatch.setattr(netview, "node_fills", lambda values: np.tile(np.array(MAGENTA, np.float32), (len(values), 1)))
    app, view, live = window(brain="neat", population=30)
    assert app.gl is not None and view.overlay_off is None
    for _ in range(30):  # until NEAT has grown a hidden node somewhere
        genomes = live.session.state.genomes
        sizes = [compile_neat(genomes.take(g)).node_offset[1] for g in range(genomes.size)]
        if max(sizes) > genomes.n_inputs + genomes.n_outputs:
            break
        live.next_generation()
    row = int(np.argmax(sizes))
    assert sizes[row] > genomes.n_inputs + genomes.n_outputs, "no hidden node evolved"
    post_key(pygame.K_v)
    frames(app, 2)
    view.selected = row
    live.paused = True
    frames(app, 2)
    shown_row, picture = view.network_shown()
    assert shown_row == row and len(picture.centres) == sizes[row]
    shot = tmp_path / "network.png"
    app.screenshot(shot)
    image = pygame.surfarray.array3d(pygame.image.load(str(shot))).transpose(1, 0, 2)
    x, y, w, h = (int(v) for v in picture.panel)
    assert count_blobs((image[y:y + h, x:x + w] == (255, 0, 255)).all(axis=-1)) == sizes[row]
    post_key(pygame.K_v)  # and off again: the scene is all there is
    frames(app, 1)
    assert view.overlays() == []


def test_without_the_overlay_the_network_key_says_why(window):
    import pygame

    app, view, live = window(no_gl=True)
    assert app.gl is None and view.overlay_off == "--no-gl"
    post_key(pygame.K_v)
    frames(app, 1)
    assert not view.show_network and "--no-gl" in view.messages.items[-1][1]
