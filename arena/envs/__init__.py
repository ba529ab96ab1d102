"""The arenas as standard environments for other learning libraries (the optional extra `gym`).

Single-agent Gymnasium envs, registered on import of this package:

    import arena.envs, gymnasium
    env = gymnasium.make("neuroarena/Racing-v0", level="levels/racing/2-trefoil.json")

or, with nothing imported first, `gymnasium.make("arena.envs:neuroarena/Racing-v0")` (Gymnasium
1.x imports the module named before the colon; it has no plugin entry points any more).
PettingZoo parallel envs, for the arenas where several learners play at once:
`arena.envs.tanks.TanksParallelEnv` and `arena.envs.pacman.PacmanParallelEnv`.
"""

from arena.core.errors import UsageError

try:
    import gymnasium
except ImportError:
    raise UsageError("arena.envs needs gymnasium: pip install 'neuroarena[gym]'") from None

# Gymnasium id -> arena; the learner plays the arena's first role (see `single`).
SINGLE_AGENT = {
    "neuroarena/Tunnel-v0": "tunnel",
    "neuroarena/Racing-v0": "racing",
    "neuroarena/Cartpole-v0": "cartpole",
    "neuroarena/Tanks-v0": "tanks",
    "neuroarena/Pacman-v0": "pacman",
}

for _id, _arena in SINGLE_AGENT.items():
    if _id not in gymnasium.registry:
        gymnasium.register(_id, entry_point="arena.envs.single:ArenaEnv", kwargs={"arena": _arena})
