"""The live run behind the sandbox window: a population stepped tick by tick, generation after
generation, at a chosen speed. No pygame here: the window draws what this holds, and tests
drive it without a display.

A generation watched live is the same generation `arena train` evaluates: the fused rollout
and the step API agree bit for bit (the arena contract checks it), and the outcome goes to
the same `TrainSession.tell`. Watching, pausing or changing speed never changes the run.
"""

import queue
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from arena.arenas.base import SCRIPTED, Outcome, new_trail
from arena.brains.netbatch import forward
from arena.core.errors import ArenaError, UsageError
from arena.core.seeding import env_seeds
from arena.evaluate.chunks import agents_of
from arena.evaluate.serial import SerialBackend
from arena.evolve import novelty as novelty_module
from arena.evolve.skins import AgentSkins
from arena.persist.background import BackgroundWriter
from arena.persist.brainfile import compile_brains, save_brain
from arena.persist.checkpoint import save_checkpoint

SPEEDS = ("1x", "2x", "4x", "16x", "max", "turbo")
MULTIPLIERS = {"1x": 1, "2x": 2, "4x": 4, "16x": 16}
CATCH_UP_SECONDS = 0.25  # after a slow frame, fixed speeds catch up at most this much game time
BEST_TRAILS = 10  # trails of the best runs of the last generation that stay on screen
HISTORY = 10_000  # generations of statistics kept for the chart
MAX_TICKS_PER_CALL = 120  # at max speed, ticks between looks at the clock


@dataclass
class Trail:
    points: np.ndarray  # float32[k, 2], positions along one run (arena coordinates)
    fitness: float


@dataclass
class Run:
    """The agents on screen, stepping together: a generation (or a round of loaded brains),
    plus the human's car as the last row when a human plays."""

    generation: int
    nets: dict  # {role: NetBatch} of the agents
    arrays: dict  # {role: NetBatch.arrays()}, kept for the whole run (recurrent memory)
    state: object  # the arena's state of n + human rows
    n: int  # agents driven by networks
    human: bool
    species: np.ndarray  # int64[n]
    parents: np.ndarray  # int64[n, 2]
    trail: np.ndarray  # float32[n + human, slots, 2]
    trail_every: int  # ticks between trail points
    seeds: np.ndarray = None  # uint64[n], the agents' environment seeds (the human's car takes the first)
    batch: object = None  # the session's GenerationBatch, when evolving
    started: float = 0.0  # perf_counter at the start
    ticks: int = 0  # ticks run by the longest-running agent
    human_nets: dict = None  # {role: NetBatch or SCRIPTED} of the other roles in the human's game
    human_arrays: dict = None
    skins: dict = None  # {role: AgentSkins}: the skins the agents wear (roles without any are left out)


def _arrays(nets):
    """{role: NetBatch.arrays()} of the roles that networks play."""
    return None if nets is None else {r: net.arrays() for r, net in nets.items() if net is not SCRIPTED}


def slice_outcome(outcome: Outcome, rows) -> Outcome:
    return Outcome({r: f[rows] for r, f in outcome.fitness.items()},
                   {r: f[rows] for r, f in outcome.finished.items()}, outcome.ticks[rows],
                   behaviour=None if outcome.behaviour is None else {r: b[rows] for r, b in outcome.behaviour.items()})


def concat_states(first, second):
    """A state holding the environments of `first` then those of `second` (same arena)."""
    return type(first)(**{f.name: np.concatenate([getattr(first, f.name), getattr(second, f.name)])
                          for f in fields(first)})


class _TurboWorker(threading.Thread):
    """Runs whole generations headless (`session.step`) until told to stop."""

    def __init__(self, session):
        super().__init__(name="turbo", daemon=True)
        self.session = session
        self.stop_requested = threading.Event()
        self.results = queue.SimpleQueue()
        self.error = None

    def run(self):
        try:
            while not self.stop_requested.is_set():
                self.results.put(self.session.step())
        except BaseException as exc:  # handed to the window, which reports it
            self.error = exc

    def stop(self):
        self.stop_requested.set()
        self.join()


class _Replay:
    """The champion driving alone (co-evolving: the champions of every role in one game),
    stepped with the arena's numpy reference and a numpy forward, so that it never launches
    numba threads beside a turbo generation running on them."""

    def __init__(self, arena, level, session):
        self.arena, self.level, self.session = arena, level, session
        self.state = None
        self.skins = {}  # {role: AgentSkins} of the champions replayed

    def restart(self):
        champion = self.session.champion
        self.policies = {name: pop.breeder.reference_policy(pop.champion.genome)
                         for name, pop in self.session.populations.items()}
        worn = {name: AgentSkins.of_list([pop.champion.skin]) for name, pop in self.session.populations.items()}
        self.skins = {name: skins for name, skins in worn.items() if skins is not None}
        seed = env_seeds(self.session.config.seed, champion.generation, champion.index + 1)[-1:]
        self.state = self.arena.reference.reset(self.level, 1, seed)

    def tick(self, n: int):
        if self.state is None or not self.state.alive.any():
            if self.session.champion is None:
                return
            self.restart()
        for _ in range(n):
            if not self.state.alive.any():
                return
            obs = self.arena.reference.observe(self.level, self.state)
            self.arena.reference.step(self.level, self.state, {r: policy(obs[r]) for r, policy in self.policies.items()})


@dataclass(frozen=True)
class WatchedMatch:
    """One round of a `LiveRun` playlist: brains (of the run's role), opponents and seed, and a caption."""

    caption: str
    brains: list
    opponents: dict
    seed: int = 0


class LiveRun:
    """Evolution watched live (`session`) or loaded brains racing round after round (`brains`).

    history: one stats dict a generation (as `TrainSession.step` returns); trails: the best runs
    of the last generation. The window sets `human_action` (float32[n_outputs]) every frame
    while a human plays.
    """

    def __init__(self, arena, level, session=None, brains=None, trails: bool = True, opponents=None, seed: int = 0,
                 playlist=None):
        """brains: loaded brains of one role, a game each; opponents: {role: Brain} playing the
        other roles of every game (the arena's scripted policy plays a role left out); seed: the
        seed of their games. playlist: [WatchedMatch] to show one round each, in turn, in place
        of brains, opponents and seed (their brains all of one role)."""
        if playlist:
            brains = playlist[0].brains
        if (session is None) == (brains is None):
            raise ValueError("a live run needs a session or brains, not both")
        self.arena = arena
        self.level = level
        self.session = session
        self.playlist = list(playlist or [])
        self.brains = brains
        self.opponents = dict(opponents or {})
        self.seed = seed
        self.backend = session.backend if session is not None else SerialBackend()
        # the role the networks on screen (and a human) play; other roles play their champions
        # (evolving) or the arena's scripted policy (loaded brains)
        self.role = arena.spec.role(brains[0].role) if brains else arena.spec.roles[0]
        self.keep_trails = trails
        self.speed = "1x"
        self.paused = False
        self.human = False
        self.human_action = np.zeros(self.role.n_outputs, dtype=np.float32)
        self.history = []
        self.trails = []
        self.writer = BackgroundWriter()  # saves go to disk beside the frame loop
        self.rounds = 0
        self._accumulator = 0.0
        self._seconds_per_agent_tick = 1e-7
        self._turbo = None
        self._replay = None
        self.run = self._new_run()

    # -- what is on screen
    @property
    def generation(self) -> int:
        if self.session is not None:
            return self.session.generation
        return self.rounds

    @property
    def caption(self):
        """What the round on screen is, for a playlist (e.g. a tournament's match), else None."""
        return self._watched.caption if self.playlist else None

    @property
    def _watched(self):
        return self.playlist[self.rounds % len(self.playlist)]

    @property
    def turbo(self) -> bool:
        return self.speed == "turbo"

    @property
    def turbo_running(self) -> bool:
        """Whether turbo's worker is evolving (not paused, not stopping)."""
        worker = self._turbo
        return worker is not None and worker.is_alive() and not worker.stop_requested.is_set()

    def view_state(self):
        """(state, n AI agents) to draw: the live run, or in turbo the champion's replay."""
        if self.turbo:
            return self._replay.state, 0 if self._replay.state is None else 1
        return self.run.state, self.run.n

    def view_skins(self) -> dict:
        """{role: AgentSkins} of the agents `view_state` shows."""
        if self.turbo:
            return self._replay.skins
        return self.run.skins

    def fitness(self) -> np.ndarray:
        """float64[n + human]: fitness so far of every row of the run."""
        return self.arena.outcome(self.run.state).fitness[self.role.name]

    @property
    def needs_behaviour(self) -> bool:
        """Whether the session selects by novelty, so that runs must be described."""
        return self.session is not None and self.session.needs_behaviour

    def novelty(self):
        """float64[n]: the novelty (sparseness against the generation and the archive) of the
        run's agents of the role on screen, as if every run still going ended now; None when
        the session does not select by novelty, or in turbo."""
        run = self.run
        if not self.needs_behaviour or self.turbo or run.n == 0:
            return None
        pop = self.session.populations[self.role.name]
        if pop.novelty is None:
            return None
        described = self.arena.behaviour.describe(self.level, run.state, run.trail, run.trail_every)[self.role.name]
        return novelty_module.preview(pop.novelty.params, pop.novelty_state, described[:run.n])

    def leader(self) -> int:
        """Row of the fittest agent of the run (running ones first); -1 when there is none."""
        if self.run.n == 0:
            return -1
        fitness = np.nan_to_num(self.fitness()[: self.run.n], nan=-np.inf)
        alive = self.run.state.alive[: self.run.n]
        if alive.any():
            fitness = np.where(alive, fitness, -np.inf)
        return int(np.argmax(fitness))

    def inspect(self, row: int) -> dict:
        """What agent `row` senses and decides now, and where it comes from (in a role of several
        agents a game, such as the ghosts, the first of game `row`)."""
        run = self.run
        obs = self.arena.observe(self.level, run.state)[self.role.name]
        agent = row * self.role.agents
        outcome = self.arena.outcome(run.state)
        info = {
            "row": row,
            "inputs": obs[agent].copy(),
            "fitness": float(outcome.fitness[self.role.name][row]),
            "alive": bool(run.state.alive[row]),
            "ticks": int(outcome.ticks[row]),
            "human": row >= run.n,
        }
        if row < run.n:
            net = run.nets[self.role.name]
            arrays = run.arrays[self.role.name]
            arrays = arrays[:-1] + (arrays[-1].copy(),)  # looking must not advance recurrent memory
            info["outputs"] = forward(net, obs[: run.n * self.role.agents], arrays)[agent]
            info["species"] = int(run.species[row])
            info["parents"] = [int(p) for p in run.parents[row]]
        else:
            info["outputs"] = self.human_action.copy()
        return info

    # -- runs
    def _new_run(self) -> Run:
        if self.session is not None:
            batch = self.session.ask()
            nets, seeds, species, parents = batch.nets, batch.seeds, batch.species, batch.parents
            generation = batch.generation
            skins = batch.skins
        else:
            batch = None
            if self.playlist:
                watched = self._watched
                self.brains, self.opponents, self.seed = watched.brains, dict(watched.opponents), watched.seed
            n = len(self.brains)
            nets = self._opponent_nets(n)
            nets[self.role.name] = compile_brains([b for b in self.brains for _ in range(self.role.agents)])
            seeds = np.full(n, self.seed, dtype=np.uint64)
            species = np.arange(n, dtype=np.int64)
            parents = np.full((n, 2), -1, dtype=np.int64)
            generation = self.rounds
            worn = AgentSkins.of_list([brain.skin for brain in self.brains])
            skins = {self.role.name: worn} if worn is not None else {}
        n = seeds.shape[0]
        state = self.arena.reset(self.level, n, seeds)
        if self.human:
            state = concat_states(state, self.arena.reset(self.level, 1, seeds[:1]))
        if self.keep_trails or self.needs_behaviour:  # novelty reads the trails as headless runs record them
            trail, trail_every = new_trail(self.arena, self.level, state, self.arena.max_ticks(self.level))
        else:
            trail, trail_every = np.zeros((0, 0, 2), dtype=np.float32), 0
        human_nets = self._human_nets(batch) if self.human else None
        return Run(generation, nets, _arrays(nets), state, n, self.human, species, parents, trail,
                   trail_every, seeds, batch, time.perf_counter(), 0, human_nets, _arrays(human_nets),
                   skins)

    def _opponent_nets(self, n: int) -> dict:
        """{role: nets} of the roles other than the brains' in `n` games: the opponents' brains,
        or the arena's scripted policy."""
        nets = {role.name: SCRIPTED for role in self.arena.spec.roles if role.name != self.role.name}
        for key, brain in self.opponents.items():
            nets[key] = compile_brains([brain] * (agents_of(self.arena.spec, key) * n))
        return nets

    def _human_nets(self, batch) -> dict:
        """The other roles of the human's game: the champions of their populations (before there
        are any, the first genome of this generation); with loaded brains, the opponents or the
        arena's scripted policy, as in every game on screen."""
        if self.session is None:
            return self._opponent_nets(1)
        nets = {}
        for role in self.arena.spec.roles:
            if role.name == self.role.name:
                continue
            pop = self.session.populations[role.name]
            if pop.champion is not None:
                team = pop.breeder.stack([pop.champion.genome] * role.agents)
            else:
                team = pop.breeder.take(batch.genomes[role.name], np.zeros(role.agents, dtype=np.int64))
            nets[role.name] = pop.breeder.compile(team)
        return nets

    def _finish_run(self, outcome: Outcome = None) -> dict:
        """Close the run on screen (with `outcome` when it was evaluated elsewhere) and start the next."""
        run = self.run
        full = self.arena.outcome(run.state)
        if self.needs_behaviour and outcome is None:
            full.behaviour = self.arena.behaviour.describe(self.level, run.state, run.trail, run.trail_every)
        outcome = outcome or slice_outcome(full, slice(0, run.n))
        if self.session is not None:
            stats = self.session.tell(run.batch, outcome, time.perf_counter() - run.started)
        else:
            fitness = outcome.fitness[self.role.name]
            stats = {"generation": self.rounds, "best_fitness": float(np.nanmax(fitness)),
                     "mean_fitness": float(np.nanmean(fitness))}
            self.rounds += 1
        if run.human:
            stats = {**stats, "human_fitness": float(full.fitness[self.role.name][run.n])}
        self._keep_trails(run, full)
        self._record(stats)
        self.run = self._new_run()
        return stats

    def _record(self, stats):
        self.history.append(stats)
        del self.history[:-HISTORY]

    def _keep_trails(self, run: Run, outcome: Outcome):
        """The best runs as drawn on screen (ended early with N, they are partial)."""
        if not (run.trail_every and self.keep_trails):
            return
        if run.ticks == 0:
            self.trails = []
            return
        fitness = np.nan_to_num(outcome.fitness[self.role.name][: run.n], nan=-np.inf)
        best = np.argsort(-fitness, kind="stable")[:BEST_TRAILS]
        self.trails = [Trail(run.trail[a, : outcome.ticks[a] // run.trail_every + 1].copy(), float(fitness[a]))
                       for a in best]

    def _advance(self, n_ticks: int):
        run = self.run
        if not run.human:
            self.arena.advance(self.level, run.state, run.nets, run.arrays, n_ticks, run.trail, run.trail_every)
        else:
            for _ in range(n_ticks):
                if not run.state.alive.any():
                    break
                obs = self.arena.observe(self.level, run.state)
                actions = {}
                for name, net in run.nets.items():
                    k = run.n * agents_of(self.arena.spec, name)
                    ai = None if net is SCRIPTED else forward(net, obs[name][:k], run.arrays[name])
                    if name == self.role.name:
                        human = self.human_action[None]
                    elif run.human_nets[name] is SCRIPTED:
                        human = None
                    else:
                        human = forward(run.human_nets[name], obs[name][k:], run.human_arrays[name])
                    # a scripted role is scripted in every game, the human's included
                    actions[name] = None if ai is None else np.vstack([ai, human])
                self.arena.step(self.level, run.state, actions)
                if run.trail_every:
                    self.arena.record_trail(run.state, run.trail, run.trail_every)
        run.ticks = int(self.arena.outcome(run.state).ticks.max(initial=0))

    def tick(self, n_ticks: int = 1) -> list:
        """Step the run `n_ticks` ticks; when every agent has stopped, close the generation and
        start the next. Returns the stats of the generations closed."""
        self._advance(n_ticks)
        if not self.run.state.alive.any():
            return [self._finish_run()]
        return []

    def next_generation(self) -> dict:
        """Close the generation now, evaluated headless (exactly as if watched to its end); a
        human's car stops where it is."""
        if self.turbo:
            return None
        run = self.run
        outcome = self.backend.evaluate(self.arena, self.level, run.nets, run.seeds, behaviour=self.needs_behaviour)
        run.state.alive[run.n:] = False
        return self._finish_run(outcome)

    # -- speed
    def set_speed(self, speed: str) -> None:
        if speed not in SPEEDS:
            raise UsageError(f"unknown speed {speed!r} (known: {', '.join(SPEEDS)})")
        if speed == "turbo" and self.session is None:
            raise UsageError("turbo evolves headless; loaded brains have nothing to evolve")
        if speed == "turbo" and self.human:
            self.set_human(False)
        if speed != "turbo" and self.turbo:
            self._stop_turbo()
        was_turbo = self.turbo
        self.speed = speed
        self._accumulator = 0.0
        if speed == "turbo" and not was_turbo:
            self._start_turbo()

    def update(self, frame_seconds: float, budget_seconds: float) -> list:
        """Advance as the speed says for a frame that took `frame_seconds`; at max speed, spend
        about `budget_seconds` stepping. Returns the stats of generations closed meanwhile."""
        if self.turbo:
            return self._update_turbo(frame_seconds)
        if self.paused:
            return []
        closed = []
        if self.speed == "max":
            deadline = time.perf_counter() + budget_seconds
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                # A tick costs about the same for each running agent: a new generation's first
                # ticks cost a hundred times those of its last few, so estimate per agent.
                running = max(int(self.run.state.alive.sum()), 1)
                n = int(min(max(left / (self._seconds_per_agent_tick * running), 1), MAX_TICKS_PER_CALL))
                t0 = time.perf_counter()
                closed += self.tick(n)
                spent = (time.perf_counter() - t0) / (n * running)
                self._seconds_per_agent_tick = 0.7 * self._seconds_per_agent_tick + 0.3 * max(spent, 1e-9)
            return closed
        rate = self.arena.ticks_per_second * MULTIPLIERS[self.speed]
        self._accumulator = min(self._accumulator + frame_seconds * rate, CATCH_UP_SECONDS * rate)
        n = int(self._accumulator)
        self._accumulator -= n
        if n:
            closed += self.tick(n)
        return closed

    # -- turbo
    def _start_turbo(self):
        # The generation on screen is dropped unfinished: the worker evaluates it from the start,
        # with the same result it would have had here.
        self._replay = _Replay(self.arena, self.level, self.session)
        if not self.paused:  # paused, the worker starts when play resumes
            self._turbo = _TurboWorker(self.session)
            self._turbo.start()

    def _stop_turbo(self):
        worker, self._turbo = self._turbo, None
        if worker is not None:
            worker.stop()
            self._drain(worker)
        self._replay = None
        self.run = self._new_run()

    def _drain(self, worker) -> list:
        closed = []
        while not worker.results.empty():
            stats = worker.results.get()
            self._record(stats)
            closed.append(stats)
        if worker.error is not None:
            self._turbo = None
            self.speed = "1x"
            self.run = self._new_run()
            raise worker.error
        return closed

    def _update_turbo(self, frame_seconds: float) -> list:
        worker = self._turbo
        closed = self._drain(worker) if worker is not None else []
        if worker is not None and not worker.is_alive():  # stopped after a pause
            closed += self._drain(worker)  # what it finished between the drain above and stopping
            worker = self._turbo = None
        if self.paused:
            # Pausing turbo pauses evolution too: the worker ends its generation and stops.
            if worker is not None:
                worker.stop_requested.set()
            return closed
        if worker is None:
            self._turbo = _TurboWorker(self.session)
            self._turbo.start()
        elif worker.stop_requested.is_set():
            # Play resumed before the worker stopped: let it go on. If it saw the request
            # already, it is found stopped next frame and replaced.
            worker.stop_requested.clear()
        rate = self.arena.ticks_per_second
        self._accumulator += frame_seconds * rate
        n = min(int(self._accumulator), int(CATCH_UP_SECONDS * rate))
        self._accumulator -= int(self._accumulator)
        if n:
            self._replay.tick(n)
        return closed

    def close(self, wait_seconds: float = 10.0):
        """Stop turbo's worker (it ends the generation it is in; waited for at most `wait_seconds`)."""
        if self._turbo is not None:
            self._turbo.stop_requested.set()
            self._turbo.join(wait_seconds)
            self._turbo = None

    # -- the human's car
    def set_human(self, on: bool) -> None:
        """Add (or remove) the human's car; it joins at the start line now, beside the agents."""
        if on == self.human:
            return
        if on and self.role.agents > 1:
            raise UsageError(f"a human plays one agent, and a {self.role.name} brain plays {self.role.agents} in a "
                             f"game; play the other role against it instead (e.g. arena play pacman --human)")
        if on and self.turbo:
            self.set_speed("1x")
        self.human = on
        run = self.run
        if on:
            extra = self.arena.reset(self.level, 1, run.seeds[:1])
            run.state = concat_states(run.state, extra)
            run.human_nets = self._human_nets(run.batch)
            run.human_arrays = _arrays(run.human_nets)
            if run.trail_every:
                start = np.zeros((1,) + run.trail.shape[1:], dtype=np.float32)
                start[0, 0] = self.arena.positions(extra)[0]
                run.trail = np.concatenate([run.trail, start])
        else:
            keep = slice(0, run.n)
            run.state = type(run.state)(**{f.name: getattr(run.state, f.name)[keep] for f in fields(run.state)})
            run.trail = run.trail[keep] if run.trail_every else run.trail
        run.human = on
        self.human_action[:] = 0.0

    # -- files
    def with_worker_stopped(self, action):
        """Run `action()` with turbo's worker stopped (it owns the session while it runs)."""
        was_turbo = self.turbo
        if was_turbo:
            self.set_speed("max")
        try:
            return action()
        finally:
            if was_turbo:
                self.set_speed("turbo")

    def save_state(self, path_for) -> Path:
        """Save the whole evolutionary state as a checkpoint to `path_for(generation)`; loading
        it restarts this generation. The state is copied now and written in the background
        (`writer`); returns the path it is going to."""
        if self.session is None:
            raise UsageError("nothing evolves here: there is no evolutionary state to save")

        def snapshot():
            return self.generation, Path(path_for(self.generation)), self.session.checkpoint_data()

        generation, path, data = self.with_worker_stopped(snapshot)
        self.writer.submit(str(path), save_checkpoint, path, data, note=f"saved generation {generation} to {path}")
        return path

    def save_champion(self, path_for) -> list:
        """Save each role's champion brain to `path_for(generation, role)`, never over an
        existing file, in the background (`writer`); returns the paths."""
        if self.session is None:
            raise UsageError("these are loaded brains; only an evolving run has a champion to save")
        if self.session.champion is None:
            raise UsageError("no champion yet: wait for the first generation to end")

        def snapshot():
            return [(Path(path_for(self.generation, role)), self.session.champion_brain(role))
                    for role in self.session.populations]

        saves = self.with_worker_stopped(snapshot)
        for path, brain in saves:
            self.writer.submit(str(path), save_brain, brain, path, False, note=f"saved a champion brain to {path}")
        return [path for path, _ in saves]

    def replace_session(self, session) -> None:
        """Continue from `session` (a loaded checkpoint of this arena) in place of the current one."""
        if session.arena.spec.name != self.arena.spec.name:
            raise ArenaError(f"that checkpoint is for arena {session.arena.spec.name!r}, not {self.arena.spec.name!r}")
        self.close()
        self.speed = "1x" if self.speed == "turbo" else self.speed
        session.backend = self.backend  # the backend the user chose stays, whatever the checkpoint
        self.session = session
        self.level = session.level
        self.history = []
        self.trails = []
        self.run = self._new_run()
