"""ONNX export of saved brains: onnxruntime computes what the native forward computes.

Needs the `onnx` extra and onnxruntime (both in the `test` extra); outside CI the tests skip
without them, in CI they must run.
"""

import json

import numpy as np
import pytest

from arena.arenas import get_arena
from arena.brains.activations import CODES
from arena.brains.mlp import MLPSpec
from arena.brains.neat.genome import empty
from arena.brains.netbatch import forward
from arena.cli import main
from arena.persist.brainfile import (
    brain_from_genome,
    brain_from_neat,
    compile_brains,
    load_brain,
    save_brain,
)
from tests.conftest import IN_CI

if not IN_CI:  # in CI the test extra has installed them, and these tests must run
    pytest.importorskip("onnx", reason="ONNX export needs the onnx extra (pip install 'neuroarena[onnx]')")
    pytest.importorskip("onnxruntime", reason="the ONNX tests run models in onnxruntime (the test extra)")
import onnxruntime

from arena.persist.onnxexport import OPSET, brain_to_onnx

TUNNEL = get_arena("tunnel").spec
PACMAN = get_arena("pacman").spec
BATCH = 256
TOLERANCE = 1e-5


def session(brain):
    model = brain_to_onnx(brain)
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def wide_inputs(seed: int, n_inputs: int, batch: int = BATCH) -> np.ndarray:
    """Inputs over many scales: small, around the activations' bends, and large."""
    rng = np.random.default_rng(seed)
    scale = rng.choice([0.1, 1.0, 10.0, 1000.0], size=(batch, 1))
    return (rng.uniform(-1, 1, size=(batch, n_inputs)) * scale).astype(np.float32)


def assert_matches_native(brain, seed: int = 0) -> None:
    inputs = wide_inputs(seed, brain.network.n_inputs)
    (exported,) = session(brain).run(["action"], {"observation": inputs})
    native = forward(compile_brains([brain] * BATCH), inputs)
    assert exported.dtype == np.float32 and exported.shape == native.shape
    assert np.all(np.isfinite(native))
    np.testing.assert_allclose(exported, native, rtol=0, atol=TOLERANCE)


@pytest.fixture(scope="module")
def trained_brain(tmp_path_factory):
    """The best brain of a tiny real training run (an MLP 7-8-4-1 with sigmoids)."""
    out = tmp_path_factory.mktemp("onnx") / "run"
    assert main(["train", "tunnel", "--population", "16", "--generations", "2", "--seed", "3", "--out", str(out)]) == 0
    return out / "best-driver.brain.json"


def evolved_neat(recurrent: bool):
    """A few NEAT generations with every activation on offer: genomes with hidden nodes of mixed kinds."""
    from arena.evolve.neat import NEAT, NeatParams

    role = TUNNEL.role("driver")
    params = NeatParams(population_size=16, add_node_rate=0.5, add_connection_rate=0.6, recurrent=recurrent,
                        activation_mutation_rate=0.9, activation_options=tuple(CODES))
    strategy = NEAT(params, role.n_inputs, role.n_outputs, seed=5)
    state = strategy.initial_state()
    rng = np.random.default_rng(1)
    for _ in range(6):
        state = strategy.tell(state, rng.random(params.population_size))
    return strategy.ask(state)


def test_trained_mlp_matches_native(trained_brain):
    brain = load_brain(trained_brain)
    assert brain.network.layers == (7, 8, 4, 1)
    assert_matches_native(brain)


def test_mlp_of_another_arena_matches_native():
    role = PACMAN.role("ghost")
    spec = MLPSpec((role.n_inputs, 12, 5, role.n_outputs), ("tanh", "relu", "identity"))
    genome = spec.random_genomes(np.random.default_rng(2), 1, scale=2.0)[0]
    assert_matches_native(brain_from_genome(PACMAN, "ghost", spec, genome), seed=1)


@pytest.mark.parametrize("name", sorted(CODES))
def test_every_activation_matches_native(name):
    role = TUNNEL.role("driver")
    spec = MLPSpec((role.n_inputs, 6, role.n_outputs), (name, name))
    genome = spec.random_genomes(np.random.default_rng(CODES[name]), 1, scale=3.0)[0]
    assert_matches_native(brain_from_genome(TUNNEL, "driver", spec, genome), seed=CODES[name])


def test_evolved_neat_brains_match_native():
    genomes = evolved_neat(recurrent=False)
    hidden = [g for g in range(genomes.size) if genomes.n_nodes[g] > genomes.n_outputs]
    assert len(hidden) >= 4, "the evolution should have grown hidden nodes"
    kinds = {int(code) for g in hidden for code in genomes.node_act[g, : genomes.n_nodes[g]]}
    assert len(kinds) >= 4, f"the evolution should have mixed activations, got codes {kinds}"
    for g in hidden:
        assert_matches_native(brain_from_neat(TUNNEL, "driver", genomes, g, False), seed=g)


def test_neat_output_without_connections_is_its_bias_activated_for_every_row():
    genomes = empty(7, 1, 1, 1, 1)
    genomes.n_nodes[0], genomes.n_conns[0] = 1, 1
    genomes.node_id[0, 0], genomes.node_act[0, 0], genomes.node_bias[0, 0] = 7, CODES["tanh"], 0.5
    genomes.conn_src[0, 0], genomes.conn_dst[0, 0], genomes.conn_w[0, 0] = 0, 7, 2.0  # disabled
    brain = brain_from_neat(TUNNEL, "driver", genomes, 0, False)
    assert_matches_native(brain)
    (action,) = session(brain).run(["action"], {"observation": wide_inputs(0, 7, 5)})
    assert action.shape == (5, 1) and np.all(action == action[0]) and abs(action[0, 0] - np.tanh(0.5)) < 1e-6


def test_recurrent_neat_carries_its_state_through_state_in_and_out():
    genomes = evolved_neat(recurrent=True)
    cyclic = [g for g in range(genomes.size) if genomes.n_nodes[g] > genomes.n_outputs]
    assert cyclic
    memory_mattered = False
    for g in cyclic[:4]:
        brain = brain_from_neat(TUNNEL, "driver", genomes, g, True)
        runner = session(brain)
        assert [i.name for i in runner.get_inputs()] == ["observation", "state_in"]
        assert [o.name for o in runner.get_outputs()] == ["action", "state_out"]
        net = compile_brains([brain] * BATCH)
        arrays = net.arrays()  # the native memory, kept across ticks
        state = np.zeros((BATCH, runner.get_inputs()[1].shape[1]), np.float32)
        for tick in range(4):
            inputs = wide_inputs(100 * g + tick, net.n_inputs)
            action, state = runner.run(["action", "state_out"], {"observation": inputs, "state_in": state})
            native = forward(net, inputs, arrays)
            np.testing.assert_allclose(action, native, rtol=0, atol=TOLERANCE)
            memory_mattered |= not np.allclose(native, forward(net, inputs), rtol=0, atol=1e-3)
        # a fresh zero state is a fresh episode
        (action,) = runner.run(["action"], {"observation": inputs, "state_in": np.zeros_like(state)})
        np.testing.assert_allclose(action, forward(net, inputs), rtol=0, atol=TOLERANCE)
    assert memory_mattered, "some network's outputs should depend on its earlier ticks"


def test_any_batch_size_and_the_metadata(trained_brain):
    brain = load_brain(trained_brain)
    model = brain_to_onnx(brain)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["arena"] == "tunnel" and props["role"] == "driver" and props["network"] == "mlp"
    assert json.loads(props["observation"]) == list(brain.observation)
    assert json.loads(props["action"]) == list(brain.action)
    assert props["brain_format"] == "arena.brain" and props["brain_version"] == "1"
    assert json.loads(props["provenance"]) == brain.provenance
    assert model.opset_import[0].version == OPSET
    runner = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for batch in (1, 3, 1000):
        inputs = wide_inputs(batch, 7, batch)
        (action,) = runner.run(["action"], {"observation": inputs})
        assert action.shape == (batch, 1)
        np.testing.assert_allclose(action, forward(compile_brains([brain] * batch), inputs), rtol=0, atol=TOLERANCE)


def test_export_is_deterministic(trained_brain):
    brain = load_brain(trained_brain)
    assert brain_to_onnx(brain).SerializeToString() == brain_to_onnx(brain).SerializeToString()


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_export_writes_refuses_and_forces(trained_brain, tmp_path, capsys):
    out = tmp_path / "driver.onnx"
    code, _, err = run(["export", str(trained_brain), "--onnx", str(out)], capsys)
    assert code == 0 and str(out) in err
    inputs = wide_inputs(9, 7)
    runner = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    native = forward(compile_brains([load_brain(trained_brain)] * BATCH), inputs)
    np.testing.assert_allclose(runner.run(["action"], {"observation": inputs})[0], native, rtol=0, atol=TOLERANCE)

    out.write_bytes(b"keep me")
    code, _, err = run(["export", str(trained_brain), "--onnx", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--force" in err and str(out) in err
    assert out.read_bytes() == b"keep me"

    code, _, err = run(["export", str(trained_brain), "--onnx", str(out), "--force"], capsys)
    assert code == 0 and out.read_bytes() == brain_to_onnx(load_brain(trained_brain)).SerializeToString()


def test_cli_exports_a_neat_brain(tmp_path, capsys):
    genomes = evolved_neat(recurrent=True)
    path = tmp_path / "neat.brain.json"
    save_brain(brain_from_neat(TUNNEL, "driver", genomes, 0, True), path)
    code, _, err = run(["export", str(path), "--onnx", str(tmp_path / "neat.onnx")], capsys)
    assert code == 0 and "neat" in err and "state" in err


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": "arena.brain", "version": 1}'],
                         ids=["empty", "not-json", "incomplete"])
def test_cli_refuses_a_corrupt_brain_in_one_line(tmp_path, capsys, content):
    brain = tmp_path / "bad.brain.json"
    brain.write_bytes(content)
    out = tmp_path / "bad.onnx"
    code, _, err = run(["export", str(brain), "--onnx", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and str(brain) in err
    assert "Traceback" not in err and not out.exists()


def test_cli_refuses_a_missing_brain(tmp_path, capsys):
    code, _, err = run(["export", str(tmp_path / "none.brain.json"), "--onnx", str(tmp_path / "x.onnx")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "none.brain.json" in err


def test_cli_names_the_extra_when_onnx_is_missing(trained_brain, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)  # `import onnx` now raises ImportError
    code, _, err = run(["export", str(trained_brain), "--onnx", str(tmp_path / "x.onnx")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "neuroarena[onnx]" in err
    assert not (tmp_path / "x.onnx").exists()
