"""The skin lab (seed 000): choosing CPPN pictures in order breeds the next generation from them;
the whole state saves and loads exactly; exports run beside the window's frame loop.

The model tests need no display; the window tests post mouse clicks and keys on Xvfb (they skip
outside CI when there is neither a display nor Xvfb).
"""

import copy
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.cli import build_parser, main, skins_lab_by_default
from arena.core.errors import ArenaError, RunError, UsageError
from arena.persist.skinfile import load_skin
from arena.persist.pictures import encode_gif, encode_png, gif_supported
from arena.skinlab import SUFFIX, SkinLab


def evolve(lab, rng, generations, choices=4):
    """Choose `choices` random genomes in a random order, then breed, `generations` times."""
    for _ in range(generations):
        for index in rng.choice(lab.population, choices, replace=False):
            lab.choose(index)
        lab.next_generation()


def png_pixels(path):
    """uint8[h, w, 4] RGBA of a PNG file, as pygame reads it."""
    import pygame

    image = pygame.image.load(str(path))
    rgb = pygame.surfarray.array3d(image).transpose(1, 0, 2)
    return np.dstack([rgb, pygame.surfarray.array_alpha(image).T])


def run_cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- the model

def test_choosing_in_order_gives_ranks_and_choosing_again_unchooses():
    lab = SkinLab(seed=1, population=20)
    for index in (5, 17, 3):
        assert lab.choose(index)
    assert lab.selection == [5, 17, 3] and [lab.rank(i) for i in (5, 17, 3, 0)] == [1, 2, 3, None]
    fitness = lab.fitness()
    assert fitness[5] > fitness[17] > fitness[3] > 0 and np.count_nonzero(fitness) == 3
    assert not lab.choose(17)  # clicked again: un-chosen, the later ones move up
    assert lab.selection == [5, 3] and lab.rank(3) == 2
    with pytest.raises(UsageError, match="not in the population"):
        lab.choose(20)


def test_the_next_generation_is_bred_from_the_chosen_only():
    lab = SkinLab(seed=2, population=40)
    rng = np.random.default_rng(0)
    for _ in range(6):
        chosen = [int(i) for i in rng.choice(lab.population, rng.integers(1, 7), replace=False)]
        for index in chosen:
            lab.choose(index)
        chosen_ids = set(lab.state.genome_ids[chosen].tolist())
        best = lab.genome(chosen[0])
        lab.next_generation()
        parents = set(lab.state.parent_ids.ravel().tolist()) - {-1}
        assert parents <= chosen_ids, "a genome nobody chose became a parent"
        assert lab.selection == [] and lab.population == 40
        # the first chosen is the best of its species, which keeps it unchanged
        assert any(lab.genome(i).same_as(best) for i in range(lab.population))
    lab.choose(7)
    only = int(lab.state.genome_ids[7])
    lab.next_generation()
    assert set(lab.state.parent_ids[:, 0].tolist()) == {only}


def test_an_empty_choice_still_breeds_a_generation():
    lab = SkinLab(seed=3, population=24)
    lab.next_generation()
    assert lab.generation == 1 and lab.population == 24 and not lab.fitness().any()
    again = SkinLab(seed=3, population=24)
    again.next_generation()
    assert again.to_data() == lab.to_data()


def test_same_seed_and_choices_give_the_same_lab_and_another_seed_does_not():
    runs = []
    for seed in (4, 4, 5):
        lab = SkinLab(seed=seed, population=30)
        evolve(lab, np.random.default_rng(9), 4)
        runs.append((lab.to_data(), lab.thumbnails(32)))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][0]["state"] != runs[2][0]["state"]


def test_thumbnails_are_the_pictures_of_the_genomes():
    lab = SkinLab(seed=6, population=12)
    evolve(lab, np.random.default_rng(1), 3)
    thumbnails = lab.thumbnails(40)
    assert thumbnails.shape == (12, 40, 40, 4) and thumbnails.dtype == np.uint8
    for index in (0, 5, 11):
        assert np.array_equal(thumbnails[index], lab.picture(index, 40, 40))
    assert lab.thumbnails(40) is thumbnails  # painted once a generation
    assert len({thumbnails[i].tobytes() for i in range(12)}) > 6


def test_save_and_load_round_trip_exactly(tmp_path):
    lab = SkinLab(seed=7, population=30)
    evolve(lab, np.random.default_rng(2), 5)
    for index in (4, 0, 22):
        lab.choose(index)
    path = tmp_path / f"lab{SUFFIX}"
    lab.save(path)
    loaded = SkinLab.load(path)
    assert loaded.to_data() == lab.to_data()
    assert loaded.selection == [4, 0, 22] and loaded.generation == 5 and loaded.seed == 7
    assert loaded.state.genomes.same_as(lab.state.genomes)
    assert loaded.state.species.representatives.same_as(lab.state.species.representatives)
    for name in ("link_keys", "link_innovations", "species_of", "genome_ids", "parent_ids"):
        assert np.array_equal(getattr(loaded.state, name), getattr(lab.state, name)), name
    assert np.array_equal(loaded.state.species.ids, lab.state.species.ids)
    assert np.array_equal(loaded.thumbnails(32), lab.thumbnails(32))
    with pytest.raises(RunError, match="already exists"):
        lab.save(path)


def test_continuing_after_a_load_equals_never_saving(tmp_path):
    lab = SkinLab(seed=8, population=30)
    evolve(lab, np.random.default_rng(3), 4)
    lab.choose(9)
    lab.choose(1)
    lab.save(tmp_path / f"a{SUFFIX}")
    resumed = SkinLab.load(tmp_path / f"a{SUFFIX}")
    for one in (lab, resumed):
        one.next_generation()  # from the choice that was saved
        evolve(one, np.random.default_rng(4), 5)
    assert resumed.to_data() == lab.to_data()


@pytest.mark.parametrize("change,field", [
    (lambda d: d.update(format="arena.checkpoint"), "format"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(seed=-1), "seed"),
    (lambda d: d.update(selection=[0, 0]), "selection"),
    (lambda d: d.update(selection=[99]), "selection"),
    (lambda d: d["params"].update(output_activation="relu"), "output_activation"),
    (lambda d: d["params"].update(population_size=7), "genomes"),
    (lambda d: d["state"]["genomes"]["node_act"]["data"].__setitem__(0, 3), "node_act"),  # relu
    (lambda d: d["state"].pop("link_keys"), "link_keys"),
    (lambda d: d["state"]["species"]["ids"]["data"].append(5), "species"),
])
def test_bad_fields_are_one_error_naming_the_file_and_the_field(tmp_path, change, field):
    lab = SkinLab(seed=1, population=6)
    evolve(lab, np.random.default_rng(0), 2, choices=2)
    data = lab.to_data()
    change(data)
    path = tmp_path / f"bad{SUFFIX}"
    path.write_text(json.dumps(data))
    with pytest.raises(RunError) as caught:
        SkinLab.load(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and field in message and "\n" not in message, message


@pytest.fixture(scope="module")
def saved_lab():
    lab = SkinLab(seed=11, population=6)
    evolve(lab, np.random.default_rng(5), 3, choices=2)
    lab.choose(2)
    lab.choose(4)
    return lab.to_data()


REPLACEMENTS = [None, True, -1, 0, 7, 2**40, 1e300, -1e-300, 0.5, "x", "sin", [], [1, 2], {}, {"dtype": "int64"}]


def _places(value, path=()):
    """Every (path) inside a parsed JSON value."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, path + (key,))
    elif isinstance(value, list):
        for k, item in enumerate(value[:4]):
            yield from _places(item, path + (k,))


def _corrupt_field(document, draw):
    document = copy.deepcopy(document)
    places = [p for p in _places(document) if p]
    path = places[draw(st.integers(0, len(places) - 1))]
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(st.sampled_from(REPLACEMENTS))
    return json.dumps(document).encode()


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupt_lab_files_load_and_work_or_raise_one_arena_error(saved_lab, tmp_path_factory, data):
    """Fields replaced or deleted, bytes cut, flipped or inserted: a file either loads and goes
    on (paints, breeds, saves) or fails with one ArenaError naming it."""
    folder = tmp_path_factory.mktemp("fuzz")
    raw = json.dumps(saved_lab).encode()
    how = data.draw(st.sampled_from(["field", "field", "cut", "flip", "insert"]))
    if how == "field":
        raw = _corrupt_field(saved_lab, data.draw)
    else:
        at = data.draw(st.integers(0, len(raw) - 1))
        byte = bytes([data.draw(st.integers(0, 255))])
        raw = {"cut": raw[:at], "flip": raw[:at] + byte + raw[at + 1:], "insert": raw[:at] + byte + raw[at:]}[how]
    path = folder / f"fuzzed{SUFFIX}"
    path.write_bytes(raw)
    try:
        lab = SkinLab.load(path)
    except ArenaError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc), str(exc)
        return
    lab.thumbnails(8)
    lab.next_generation()
    lab.save(folder / f"again{SUFFIX}")
    assert SkinLab.load(folder / f"again{SUFFIX}").to_data() == lab.to_data()


def test_png_files_hold_the_exact_pixels(tmp_path):
    lab = SkinLab(seed=12, population=4)
    pixels = lab.picture(1, 301, 77, z=0.4)
    path = tmp_path / "p.png"
    path.write_bytes(encode_png(pixels))
    assert np.array_equal(png_pixels(path), pixels)


def test_gifs_need_pillow(monkeypatch):
    frames = [SkinLab(seed=13, population=4).picture(0, 20, 10, z=z) for z in (0.0, 0.5, 1.0)]
    if gif_supported():
        from PIL import Image
        import io

        image = Image.open(io.BytesIO(encode_gif(frames)))
        assert image.size == (20, 10) and image.n_frames == 3
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    with pytest.raises(UsageError, match="needs Pillow"):
        encode_gif(frames)


# -- the command line

def test_arena_skins_without_a_subcommand_is_the_lab():
    parser = build_parser()
    assert skins_lab_by_default(["skins"]) == ["skins", "lab"]
    assert skins_lab_by_default(["skins", "--seed", "3"]) == ["skins", "lab", "--seed", "3"]
    for kept in (["skins", "render", "--out", "a.png"], ["skins", "--help"], ["play", "racing"]):
        assert skins_lab_by_default(kept) == kept
    args = parser.parse_args(skins_lab_by_default(["skins", "--seed", "3", "--export-size", "3840x2160"]))
    assert args.skins_command == "lab" and args.seed == 3 and args.export_size == "3840x2160"


def test_render_genome_paints_what_the_lab_paints(tmp_path, capsys):
    lab = SkinLab(seed=14, population=10)
    evolve(lab, np.random.default_rng(6), 4)
    lab.save_skin(3, tmp_path / "three.skin.json")
    assert load_skin(tmp_path / "three.skin.json").same_as(lab.genome(3))
    out = tmp_path / "three.png"
    code, stdout, err = run_cli(capsys, "skins", "render", "--genome", str(tmp_path / "three.skin.json"), "--size",
                                "64x48", "--z", "0.3", "--out", str(out), "--json")
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["genome"] == str(tmp_path / "three.skin.json") and summary["size"] == [64, 48]
    assert np.array_equal(png_pixels(out), lab.picture(3, 64, 48, z=0.3))


def test_render_genome_refuses_bad_files_and_flags_in_one_line(tmp_path, capsys):
    lab = SkinLab(seed=15, population=4)
    good = tmp_path / "good.skin.json"
    lab.save_skin(0, good)
    broken = tmp_path / "broken.skin.json"
    broken.write_text("{ not json")
    wrong = tmp_path / "wrong.skin.json"
    data = json.loads(good.read_text())
    data["cppn"]["nodes"][0]["activation"] = "relu"
    wrong.write_text(json.dumps(data))
    cases = [
        (["--genome", str(tmp_path / "none.skin.json")], "none.skin.json"),
        (["--genome", str(broken)], "broken.skin.json"),
        (["--genome", str(wrong)], "relu"),
        (["--genome", str(good), "--seed", "3"], "--seed"),
        (["--genome", str(good), "--bw"], "--bw"),
    ]
    for flags, named in cases:
        code, _, err = run_cli(capsys, "skins", "render", "--size", "8x8", "--out", str(tmp_path / "x.png"), *flags)
        assert code == 2 and named in err and len(err.strip().splitlines()) == 1, (flags, err)
    assert not (tmp_path / "x.png").exists()


def test_render_animates_into_a_gif_or_refuses_without_pillow(tmp_path, capsys, monkeypatch):
    out = tmp_path / "spin.gif"
    if gif_supported():
        code, _, err = run_cli(capsys, "skins", "render", "--seed", "2", "--frames", "4", "--size", "30x20",
                               "--out", str(out))
        assert code == 0, err
        from PIL import Image

        with Image.open(out) as image:
            assert image.n_frames == 4 and image.size == (30, 20)
        out.unlink()
    monkeypatch.setattr("arena.persist.pictures.gif_supported", lambda: False)
    code, _, err = run_cli(capsys, "skins", "render", "--frames", "4", "--size", "30x20", "--out", str(out))
    assert code == 2 and "Pillow" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_lab_command_refuses_bad_input_before_a_window(tmp_path, capsys):
    bad = tmp_path / f"bad{SUFFIX}"
    bad.write_text("[]")
    cases = [
        (["--load", str(bad)], "bad.skinlab.json"),
        (["--load", str(tmp_path / f"none{SUFFIX}")], "none.skinlab.json"),
        (["--load", str(bad), "--seed", "2"], "--seed"),
        (["--population", "1000"], "400"),
        (["--export-size", "huge"], "--export-size"),
        (["--animation-size", "0x5"], "--animation-size"),
    ]
    for flags, named in cases:
        code, _, err = run_cli(capsys, "skins", *flags, "--frames", "1")
        assert code == 2 and named in err and len(err.strip().splitlines()) == 1, (flags, err)


# -- the window

@pytest.fixture
def lab_window(display, tmp_path):
    """A function opening the skin lab window as `arena skins` would; closed after the test."""
    from arena.ui.app import App
    from arena.ui.skinlab import SkinLabView

    opened = []

    def open_window(lab=None, max_fps=0, **view_settings):
        app = App((960, 640), max_fps=max_fps)
        view = SkinLabView(lab or SkinLab(seed=21, population=30), app.screen.get_size(), tmp_path / "saves",
                           **view_settings)
        app.view = view
        opened.append(app)
        return app, view

    yield open_window
    for app in opened:
        app.view.writer.close()
        app.close()


def click(view, index):
    import pygame

    centre = view.grid.rect(index).center
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=centre, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=centre, button=1))


def point_at(view, index):
    import pygame

    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=view.grid.rect(index).center, rel=(0, 0),
                                         buttons=(0, 0, 0)))


def post_key(key, mod=0):
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode="", scancode=0))


def frames(app, n):
    for _ in range(n):
        app.frame()


def screen_pixels(app):
    import pygame

    return pygame.surfarray.array3d(app.screen).copy()


def test_clicks_in_order_become_ranks_and_the_next_generation_comes_from_them(lab_window):
    import pygame

    from arena.ui.draw import SELECTED

    app, view = lab_window()
    frames(app, 2)
    assert view.grid.side >= 32
    for index in (7, 2, 11):
        click(view, index)
    frames(app, 1)
    assert view.lab.selection == [7, 2, 11]
    for index in (7, 2, 11):
        rect = view.grid.rect(index)
        assert tuple(app.screen.get_at((rect.left + 1, rect.top + 1)))[:3] == SELECTED  # the rank badge
    untouched = view.grid.rect(0)
    assert tuple(app.screen.get_at((untouched.left + 1, untouched.top + 1)))[:3] != SELECTED
    click(view, 2)  # again: un-chosen
    frames(app, 1)
    assert view.lab.selection == [7, 11]
    chosen_ids = set(view.lab.state.genome_ids[[7, 11]].tolist())
    post_key(pygame.K_n)
    frames(app, 1)
    assert view.lab.generation == 1 and view.lab.selection == []
    assert set(view.lab.state.parent_ids.ravel().tolist()) - {-1} <= chosen_ids
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(500, 400), w=500, h=400))
    frames(app, 1)
    assert view.grid.side >= 32 and view._surfaces[0].get_width() == view.grid.side


def test_save_then_load_restores_the_grid_exactly(lab_window, tmp_path):
    import pygame

    app, view = lab_window()
    for index in (3, 8):
        click(view, index)
    post_key(pygame.K_RETURN)
    for index in (12, 0, 5):
        click(view, index)
    frames(app, 2)
    post_key(pygame.K_s, pygame.KMOD_CTRL)
    frames(app, 1)
    view.writer.wait()
    frames(app, 1)  # reports the save
    view.messages.items.clear()
    frames(app, 1)
    saved_screen, saved_data = screen_pixels(app), view.lab.to_data()
    saved_thumbnails = view.lab.thumbnails(view.grid.side)
    (path,) = (tmp_path / "saves").glob(f"*{SUFFIX}")
    assert path.name == f"skins-s21-gen-000001{SUFFIX}"
    for _ in range(2):
        post_key(pygame.K_n)
    frames(app, 2)
    assert view.lab.generation == 3 and not np.array_equal(screen_pixels(app), saved_screen)
    post_key(pygame.K_l, pygame.KMOD_CTRL)
    frames(app, 1)
    assert any(line.startswith("loaded generation 1") for _, line, _ in view.messages.items)
    view.messages.items.clear()
    frames(app, 1)
    assert view.lab.to_data() == saved_data and view.lab.selection == [12, 0, 5]
    assert np.array_equal(view.lab.thumbnails(view.grid.side), saved_thumbnails)
    assert np.array_equal(screen_pixels(app), saved_screen)
    post_key(pygame.K_s, pygame.KMOD_CTRL)  # saving again never overwrites
    frames(app, 1)
    view.writer.wait()
    assert (tmp_path / "saves" / f"skins-s21-gen-000001-2{SUFFIX}").exists()


def test_a_4k_export_runs_beside_the_frame_loop(lab_window, tmp_path):
    """E paints 3840x2160 (~0.5 s on 2 cores) and writes it while every frame stays under 50 ms."""
    import pygame

    lab = SkinLab(seed=22, population=30)
    evolve(lab, np.random.default_rng(7), 3)
    app, view = lab_window(lab, max_fps=60, export_size=(3840, 2160))
    frames(app, 15)  # past the App's warm-up frames
    index = 4
    point_at(view, index)
    post_key(pygame.K_e)
    first = len(app.frame_times)
    deadline = time.monotonic() + 60
    frames(app, 1)
    assert view.pending == 1
    while view.pending:
        assert time.monotonic() < deadline, "the export never finished"
        app.frame()
    during = app.frame_times[first:]
    assert len(during) >= 10, "the frame loop waited for the export"
    assert max(during) < 0.05, f"a frame took {max(during) * 1000:.0f} ms"
    png = tmp_path / "saves" / f"skin-s22-gen-000003-{index:03d}.png"
    assert view.written == [str(png), str(png.with_name(png.stem + ".skin.json"))] and not view.failures
    assert np.array_equal(png_pixels(png), lab.picture(index, 3840, 2160))
    assert load_skin(png.with_name(png.stem + ".skin.json")).same_as(lab.genome(index))


def test_exports_and_animations_never_overwrite(lab_window, tmp_path, monkeypatch):
    import pygame

    app, view = lab_window(export_size=(64, 40), animation_size=(24, 24), animation_frames=3)
    click(view, 6)
    post_key(pygame.K_e)  # the mouse last was over picture 6
    post_key(pygame.K_e)
    post_key(pygame.K_a)
    frames(app, 1)
    view.writer.wait()
    frames(app, 1)
    saves = tmp_path / "saves"
    names = sorted(p.name for p in saves.iterdir())
    stem = "skin-s21-gen-000000-006"
    assert names == sorted([f"{stem}.png", f"{stem}.skin.json", f"{stem}-2.png", f"{stem}-2.skin.json"]
                           + [f"{stem}-z-{k:04d}.png" for k in range(3)])
    assert np.array_equal(png_pixels(saves / f"{stem}.png"), view.lab.picture(6, 64, 40))
    z_frames = [png_pixels(saves / f"{stem}-z-{k:04d}.png") for k in range(3)]
    assert np.array_equal(z_frames[1], view.lab.picture(6, 24, 24, z=0.02))
    if gif_supported():
        from PIL import Image

        post_key(pygame.K_a, pygame.KMOD_SHIFT)
        frames(app, 1)
        view.writer.wait()
        with Image.open(saves / f"{stem}-z.gif") as gif:
            assert gif.size == (24, 24)  # (Pillow merges frames that are alike: this genome may not use z)
        (saves / f"{stem}-z.gif").unlink()
    monkeypatch.setattr("arena.ui.skinlab.gif_supported", lambda: False)
    post_key(pygame.K_a, pygame.KMOD_SHIFT)
    frames(app, 1)
    assert any("needs Pillow" in line for _, line, _ in view.messages.items)
    assert not list(saves.glob("*.gif"))


def test_lab_command_runs_a_window_and_prints_json(display, tmp_path):
    env = {**os.environ, "DISPLAY": display}
    shot = tmp_path / "lab.png"
    done = subprocess.run([sys.executable, "-m", "arena", "skins", "--population", "20", "--seed", "4", "--frames",
                           "20", "--json", "--screenshot", str(shot), "--save-dir", str(tmp_path / "saves")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["frames"] == 20 and result["population"] == 20 and result["generation"] == 0
    assert result["seed"] == 4 and result["saved_on_exit"] is None and shot.exists()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "arena", "skins", "--frames", "1"], capture_output=True, text=True,
                          timeout=120, env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "cannot open a window" in lines[0], done.stderr
