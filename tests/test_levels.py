"""Level files: round trips, generators, and loaders fuzzed with bad input."""

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.arenas.cartpole import level as cartpole_level
from arena.arenas.racing import level as racing_level
from arena.arenas.tunnel import level as tunnel_level
from arena.core.errors import LevelError

FUZZ_DIR = Path(tempfile.mkdtemp(prefix="arena-level-fuzz-"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


def test_classic_tunnel_is_seed_001s_track():
    level = tunnel_level.load(Path("levels/tunnel/classic.json"))
    assert level.top.shape == (400,) and level.gap == 1.0 and level.top[0] == 0.5
    np.testing.assert_array_equal(level.top, tunnel_level.classic().top)


def test_generated_tunnels_are_deterministic_and_harder():
    a, b, c = tunnel_level.generate(3), tunnel_level.generate(3), tunnel_level.generate(4)
    assert a.top.shape == (4000,) and np.array_equal(a.top, b.top) and not np.array_equal(a.top, c.top)
    assert a.top[0] == 0.5


@pytest.mark.parametrize("module,make", [(tunnel_level, lambda: tunnel_level.generate(5)),
                                         (racing_level, lambda: racing_level.generate(5)),
                                         (cartpole_level, lambda: cartpole_level.generate(5)),
                                         (cartpole_level, lambda: cartpole_level.builtin()[2])])
def test_round_trip(module, make, tmp_path):
    level = make()
    module.save(level, tmp_path / "x.json")
    again = module.load(tmp_path / "x.json")
    assert module.to_data(again) == module.to_data(level)


def test_generated_tracks_are_deterministic_and_drivable():
    a, b = racing_level.generate(9), racing_level.generate(9)
    assert np.array_equal(a.centre, b.centre) and a.length == b.length
    x, y, _ = a.start
    assert a.clearance.max() > 3.0


def racing_data(**change):
    data = {"format": "arena.level", "version": 1, "arena": "racing",
            "centreline": [[0, 0], [100, 0], [100, 60], [0, 60]], "width": 12, "laps": 1}
    data.update(change)
    return data


@pytest.mark.parametrize("change,message", [
    (dict(format="level"), "not a level file"),
    (dict(version=2), "version 2"),
    (dict(arena="tunnel"), "for arena 'tunnel'"),
    (dict(centreline=[[0, 0], [1, 1]]), "'centreline'"),
    (dict(centreline=[[0, 0], [100, 0], [100, "a"], [0, 60]]), "point 2"),
    (dict(width=0), "'width'"),
    (dict(width=[12, 12]), "'width' has 2 values"),
    (dict(laps=0), "'laps'"),
    (dict(centreline=[[0, 0], [100, 0], [0, 60], [100, 60]]), "crosses itself"),
    (dict(width=59), "tighter than half the track width"),
    (dict(centreline=[[0, 0], [0, 0], [100, 60], [0, 60]]), "same place"),
])
def test_bad_racing_levels_name_the_problem(change, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(racing_data(**change)))
    with pytest.raises(LevelError) as err:
        racing_level.load(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_overlapping_track_is_refused(tmp_path):
    # A figure that folds back on itself without crossing: two lobes closer than their width.
    points = [[0, 0], [200, 0], [200, 40], [20, 12], [20, 30], [200, 52], [200, 90], [0, 90]]
    path = tmp_path / "fold.json"
    path.write_text(json.dumps(racing_data(centreline=points, width=14)))
    with pytest.raises(LevelError, match="overlaps|crosses|tighter"):
        racing_level.load(path)


@pytest.mark.parametrize("top0,message", [([5.0] * 20, "outside the walls"), ([0.5] * 5, "columns")])
def test_bad_tunnel_levels(top0, message, tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"format": "arena.level", "version": 1, "arena": "tunnel", "top": top0, "gap": 1.0}))
    with pytest.raises(LevelError, match=message):
        tunnel_level.load(path)


@pytest.mark.parametrize("loader", [tunnel_level.load, racing_level.load, cartpole_level.load])
@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe", b"{", b"[1, 2]", b'{"format": "arena.level"}', b"NaN"])
def test_junk_files(loader, content, tmp_path):
    path = tmp_path / "junk.json"
    path.write_bytes(content)
    with pytest.raises(LevelError, match="junk.json"):
        loader(path)


@pytest.mark.parametrize("loader", [tunnel_level.load, racing_level.load, cartpole_level.load])
def test_missing_file(loader, tmp_path):
    with pytest.raises(LevelError, match="not found"):
        loader(tmp_path / "nope.json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, key=st.sampled_from(["centreline", "width", "laps", "name", "version", "arena"]))
def test_fuzzed_racing_fields_raise_only_level_errors(value, key):
    path = FUZZ_DIR / "racing.json"
    path.write_text(json.dumps(racing_data(**{key: value})))
    try:
        racing_level.load(path)
    except LevelError as exc:
        assert "racing.json" in str(exc) and "\n" not in str(exc)


@settings(max_examples=150, deadline=None)
@given(value=json_values, key=st.sampled_from(["top", "gap", "name", "format"]))
def test_fuzzed_tunnel_fields_raise_only_level_errors(value, key):
    data = {"format": "arena.level", "version": 1, "arena": "tunnel", "top": [0.5] * 20, "gap": 1.0, key: value}
    path = FUZZ_DIR / "tunnel.json"
    path.write_text(json.dumps(data))
    try:
        tunnel_level.load(path)
    except LevelError as exc:
        assert "tunnel.json" in str(exc)


@settings(max_examples=100, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-300, 300), st.floats(-300, 300)), min_size=4, max_size=12),
       width=st.floats(4, 60))
def test_random_geometry_is_accepted_or_refused_cleanly(points, width):
    path = FUZZ_DIR / "geometry.json"
    path.write_text(json.dumps(racing_data(centreline=[list(p) for p in points], width=width)))
    try:
        level = racing_level.load(path)
    except LevelError as exc:
        assert "geometry.json" in str(exc)
    else:
        assert level.length > 0 and level.clearance.max() >= 0.5 * width - 1.0


def cartpole_data(**change):
    data = {"format": "arena.level", "version": 1, "arena": "cartpole", "poles": 2, "velocities": True,
            "max_steps": 1000, "failure_angle_deg": 36, "initial_state": [0, 0, 0.07, 0, 0, 0],
            "half_lengths": [0.5, 0.05], "perturbation": 0.0, "fitness": "steps"}
    data.update(change)
    return data


def test_a_cartpole_level_needs_only_its_pole_count(tmp_path):
    path = tmp_path / "minimal.json"
    path.write_text(json.dumps({"format": "arena.level", "version": 1, "arena": "cartpole", "poles": 2}))
    level = cartpole_level.load(path)
    assert level == replace(cartpole_level.builtin()[1], name="minimal")  # the NEAT benchmark


@pytest.mark.parametrize("change,message", [
    (dict(version=2), "version 2"),
    (dict(arena="tunnel"), "for arena 'tunnel'"),
    (dict(poles=3), "'poles'"),
    (dict(poles=2.0), "'poles' must be a whole number"),
    (dict(poles=None), "'poles'"),
    (dict(velocities=1), "'velocities' must be true or false"),
    (dict(max_steps=0), "'max_steps'"),
    (dict(max_steps=10**9), "'max_steps'"),
    (dict(max_steps=1e3), "'max_steps' must be a whole number"),
    (dict(failure_angle_deg=0), "'failure_angle_deg'"),
    (dict(failure_angle_deg=91), "'failure_angle_deg'"),
    (dict(failure_angle_deg="36"), "'failure_angle_deg'"),
    (dict(initial_state=[0, 0, 0.07]), "'initial_state' must be a list of 6"),
    (dict(initial_state=[0, 0, 0.07, 0, 0, None]), "'initial_state'"),
    (dict(initial_state=[0, 0, 1.0, 0, 0, 0]), "beyond the failure angle"),
    (dict(initial_state=[-3, 0, 0, 0, 0, 0]), "off the track"),
    (dict(half_lengths=[0.5]), "'half_lengths' must be a list of 2"),
    (dict(half_lengths=[0.5, 50]), "'half_lengths' has 50"),
    (dict(perturbation=-0.1), "'perturbation'"),
    (dict(perturbation=2), "'perturbation'"),
    (dict(fitness="gruau2"), "'fitness' must be one of 'steps', 'gruau'"),
    (dict(name=7), "'name'"),
    (dict(max_step=100), "unknown field 'max_step'"),
    (dict(poles=1), "'half_lengths' must be a list of 1"),
])
def test_bad_cartpole_levels_name_the_problem(change, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cartpole_data(**change)))
    with pytest.raises(LevelError) as err:
        cartpole_level.load(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


@settings(max_examples=150, deadline=None)
@given(value=json_values, key=st.sampled_from(
    ["poles", "velocities", "max_steps", "failure_angle_deg", "initial_state", "half_lengths", "perturbation",
     "fitness", "name", "version", "arena", "extra"]))
def test_fuzzed_cartpole_fields_raise_only_level_errors(value, key):
    path = FUZZ_DIR / "cartpole.json"
    path.write_text(json.dumps(cartpole_data(**{key: value})))
    try:
        cartpole_level.load(path)
    except LevelError as exc:
        assert "cartpole.json" in str(exc) and "\n" not in str(exc)
