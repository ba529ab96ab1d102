"""The Gymnasium and PettingZoo wrappers of the arenas (arena.envs)."""

import subprocess
import sys

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test

import arena.envs
from arena.arenas import get_arena
from arena.arenas.tanks import reference as tanks_reference
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp, forward
from arena.core.errors import ArenaError, UsageError
from arena.envs.pacman import GHOSTS, PacmanParallelEnv
from arena.envs.tanks import TanksParallelEnv

IDS = sorted(arena.envs.SINGLE_AGENT)


def make(env_id, **kwargs):
    return gymnasium.make(env_id, short=True, **kwargs).unwrapped


def random_net(role, seed, copies=1):
    """A random default network of `role`, compiled `copies` times (one per agent)."""
    spec = MLPSpec.for_role(role)
    genome = spec.random_genomes(np.random.default_rng(seed), 1)
    return compile_mlp(spec, np.repeat(genome, copies, axis=0))


def play(env, policy, seed):
    """(observations, rewards, last step's (terminated, truncated, info)) of one episode."""
    observation, _ = env.reset(seed=seed)
    observations, rewards = [observation], []
    while True:
        observation, reward, terminated, truncated, info = env.step(policy(observation))
        observations.append(observation)
        rewards.append(reward)
        if terminated or truncated:
            return observations, rewards, (terminated, truncated, info)


@pytest.mark.parametrize("env_id", IDS)
def test_single_agent_envs_pass_gymnasiums_checker(env_id):
    check_env(make(env_id), skip_render_check=True)


def test_parallel_envs_pass_pettingzoos_api_test():
    parallel_api_test(PacmanParallelEnv(short=True), num_cycles=500)
    parallel_api_test(TanksParallelEnv(short=True), num_cycles=500)


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_episode(env_id):
    def episode(seed):
        env = make(env_id)
        env.action_space.seed(3)
        return play(env, lambda _: env.action_space.sample(), seed)

    (obs_a, rewards_a, end_a), (obs_b, rewards_b, end_b) = episode(11), episode(11)
    assert np.array_equal(np.array(obs_a), np.array(obs_b))
    assert rewards_a == rewards_b and end_a == end_b


def test_other_seeds_spawn_other_tank_points():
    env = make("neuroarena/Tanks-v0")
    starts = {env.reset(seed=seed)[0].tobytes() for seed in range(5)}
    assert len(starts) > 1


@pytest.mark.parametrize("env_id", IDS)
def test_rewards_sum_to_the_fitness_of_the_fused_rollout(env_id):
    """A random network played step by step through the env scores what the arena's fused
    rollout gives it for the same game (the env's `arena_seed`)."""
    env = make(env_id)
    net = random_net(env.role, seed=5)

    def policy(observation):
        outputs = forward(net, observation[None, :])[0]
        return int(np.argmax(outputs)) if env.role.action_kind == "discrete" else outputs

    _, rewards, (_, _, info) = play(env, policy, seed=2)
    rolled = env.arena.rollout(env.level, {env.role.name: net}, np.array([env.arena_seed], dtype=np.uint64))
    assert sum(rewards) == pytest.approx(rolled.fitness[env.role.name][0], rel=1e-9, abs=1e-9)
    assert info["ticks"] == rolled.ticks[0] == len(rewards)
    assert info["finished"] == rolled.finished[env.role.name][0]


def test_a_tank_that_stands_still_is_truncated_at_the_time_limit_and_still_sees():
    env = make("neuroarena/Tanks-v0")
    observations, _, (terminated, truncated, info) = play(env, lambda _: np.zeros(2, np.float32), seed=0)
    assert truncated and not terminated
    assert info["ticks"] == env.arena.max_ticks(env.level)
    assert observations[-1][:4].any()  # its rays still read the walls, for a learner to bootstrap from
    assert env.observation_space.contains(observations[-1])


def test_a_tunnel_crash_terminates():
    env = make("neuroarena/Tunnel-v0")
    _, _, (terminated, truncated, info) = play(env, lambda _: np.ones(1, np.float32), seed=0)
    assert terminated and not truncated and not info["finished"]
    assert info["ticks"] < env.arena.max_ticks(env.level)


def test_reset_options_switch_level_and_a_missing_level_is_an_arena_error(tmp_path):
    env = make("neuroarena/Racing-v0")
    trefoil = get_arena("racing").builtin_levels()[1]
    env.reset(seed=0, options={"level": trefoil})
    assert env.level.name == get_arena("racing").load_level(trefoil).name != make("neuroarena/Racing-v0").level.name
    with pytest.raises(ArenaError, match="nowhere.json"):
        env.reset(options={"level": tmp_path / "nowhere.json"})


def test_pacman_agents_score_as_in_the_fused_rollout():
    """Pac-Man and four ghosts, each an agent driven by a random network (one ghost network
    compiled for all four, as co-evolution plays them), score what the rollout gives them."""
    env = PacmanParallelEnv(short=True)
    pacman, ghosts = random_net(env.pacman, 1), random_net(env.ghost, 2, copies=len(GHOSTS))
    observations, _ = env.reset(seed=4)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    while env.agents:
        ghost_moves = np.argmax(forward(ghosts, np.stack([observations[g] for g in GHOSTS])), axis=1)
        actions = {"pacman": int(np.argmax(forward(pacman, observations["pacman"][None, :])[0])),
                   **{g: int(move) for g, move in zip(GHOSTS, ghost_moves)}}
        observations, rewards, _, _, _ = env.step(actions)
        for agent, reward in rewards.items():
            totals[agent] += reward
    rolled = env.arena.rollout(env.level, {"pacman": pacman, "ghost": ghosts},
                               np.array([env.arena_seed], dtype=np.uint64))
    assert totals["pacman"] == pytest.approx(rolled.fitness["pacman"][0], rel=1e-9)
    for g in GHOSTS:
        assert totals[g] == pytest.approx(rolled.fitness["ghost"][0], rel=1e-9, abs=1e-12)


def test_tank_0_against_greedy_agents_plays_the_arenas_game():
    """With every other tank driven by the arena's greedy policy, tank_0 sees, scores and ends
    as the arena's network tank does, tick by tick (until a rival wins, which ends the game
    here but not in the arena)."""
    env = TanksParallelEnv(short=True)
    assert len(env.possible_agents) > 1
    arena = env.arena
    net = random_net(arena.spec.role("tank"), 3)
    observations, _ = env.reset(seed=9)
    state = arena.reset(env.level, 1, np.array([env.arena_seed], dtype=np.uint64))
    total = 0.0
    while env.agents:
        assert np.allclose(observations["tank_0"], arena.observe(env.level, state)["tank"][0], atol=1e-6)
        action = forward(net, observations["tank_0"][None, :])
        actions = {"tank_0": action[0]}
        for t, agent in enumerate(env.possible_agents[1:], start=1):
            left, right = tanks_reference.greedy(env.state.tank[:, t], env.state.point)
            actions[agent] = np.array([left[0], right[0]], dtype=np.float32)
        observations, rewards, _, truncated, _ = env.step(actions)
        arena.step(env.level, state, {"tank": action})
        total += rewards["tank_0"]
        assert total == pytest.approx(arena.outcome(state).fitness["tank"][0], rel=1e-9)
    rival_won = (env.state.caught[0, 1:] >= env.level.target).any()
    assert rival_won or not state.alive[0]
    assert truncated["tank_0"] == (not (env.state.caught[0] >= env.level.target).any())


def test_make_by_id_in_a_fresh_interpreter():
    """Gymnasium 1.x has no plugin entry points: `module:id` imports the module that registers."""
    code = ("import gymnasium; env = gymnasium.make('arena.envs:neuroarena/Racing-v0', short=True); "
            "print(env.reset(seed=0)[0].shape)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"({get_arena('racing').spec.roles[0].n_inputs},)"


def test_without_gymnasium_the_error_names_the_extra():
    code = ("import sys; sys.modules['gymnasium'] = None\n"
            "from arena.core.errors import UsageError\n"
            "try:\n    import arena.envs\nexcept UsageError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "pip install 'neuroarena[gym]'" in result.stdout and len(result.stdout.strip().splitlines()) == 1
    assert issubclass(UsageError, ArenaError)
