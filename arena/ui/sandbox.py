"""The sandbox view: the population on its level, the HUD, the chart, the inspector and the help."""

import time
from collections import deque
from pathlib import Path

import numpy as np
import pygame

from arena.core.errors import ArenaError
from arena.ui.camera import Camera
from arena.ui.chart import Chart
from arena.ui.draw import (
    HIGHLIGHT,
    HUMAN,
    SELECTED,
    ramp,
    renderer_class,
    species_colours,
)
from arena.ui.live import SPEEDS
from arena.ui.panels import DIM, NEGATIVE, Messages, Text, backdrop, draw_bars, draw_help

PICK_PIXELS = 16  # a click selects the nearest agent within this distance
DRAG_PIXELS = 4  # a press that moves further than this pans instead of selecting
RATE_SECONDS = 5.0  # generations/s in the HUD is over this many recent seconds
CHART_SIZE = (420, 170)
NETWORK_SIZE = (420, 360)  # the network view's panel, below the chart
INSPECTOR_WIDTH = 300
# Novelty colours cost a k-nearest-neighbour search over the archive: redone at most this often (wall time).
NOVELTY_SECONDS = 0.25
SPEED_KEYS = {pygame.K_1: "1x", pygame.K_2: "2x", pygame.K_3: "4x", pygame.K_4: "16x", pygame.K_5: "max",
              pygame.K_6: "turbo"}


def novelty_colours(novelty: np.ndarray) -> np.ndarray:
    """uint8[n, 3]: the ramp of `novelty` scaled from the least to the most novel agent on
    screen; all alike, the middle of the ramp."""
    finite = np.isfinite(novelty)
    lo = float(np.min(novelty[finite])) if finite.any() else 0.0
    hi = float(np.max(novelty[finite])) if finite.any() else 0.0
    if hi <= lo:
        return ramp(np.full(len(novelty), 0.5))
    return ramp((novelty - lo) / (hi - lo))


def renderer_for(arena, level):
    """The arena's renderer for `level`."""
    return renderer_class(arena)(arena, level)


class SandboxView:
    """Draws a `LiveRun` and turns keys and mouse into commands on it."""

    def __init__(self, live, size, save_dir: Path, load_checkpoint=None, overlay_off=None):
        self.live = live
        # None when the OpenGL overlay is on; else why it is off (the network view needs it)
        self.overlay_off = overlay_off
        self.save_dir = Path(save_dir)
        self.load_checkpoint = load_checkpoint  # path -> session; None where loading is not offered
        self.text = Text(15)
        self.small = Text(13)
        self.chart = Chart(self.small.font)
        self.messages = Messages()
        self.renderer = renderer_for(live.arena, live.level)
        self.camera = Camera(size, self.renderer.bounds())
        self.selected = None  # row of the inspected agent
        self.colour_by = "species" if live.session is not None and live.session.config.brain == "neat" else "fitness"
        self._novelty = None  # (run, perf_counter, float64[n] or None): the last `live.novelty()`, for NOVELTY_SECONDS
        self.show_trails = self.renderer.trails
        self.show_chart = True
        self.show_help = False
        self.show_skins = True  # agents in their CPPN skins, outlined in their colours; else plain colours
        self.show_network = False
        self.network_view = None  # NetworkView of the role on screen, made when first shown
        self.held = set()  # keys held down, from the events (posted events count too)
        self.dragging = False
        self._press_at = (0, 0)
        self.saved_generation = live.generation  # what a load started from counts as saved
        self.closed_generations = 0
        self._closed_at = deque()  # perf_counter of each generation closed in the last RATE_SECONDS

    # -- events
    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN:
            self.held.add(event.key)
            self._key(event)
        elif event.type == pygame.KEYUP:
            self.held.discard(event.key)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.dragging = False
            self._press_at = event.pos
        elif event.type == pygame.MOUSEMOTION and event.buttons and event.buttons[0]:
            # A hand never clicks quite still: a press becomes a drag only once it has moved.
            if self.dragging or np.hypot(*np.subtract(event.pos, self._press_at)) > DRAG_PIXELS:
                self.dragging = True
                self.camera.pan(*event.rel)
        elif event.type == pygame.WINDOWFOCUSLOST:
            self.held.clear()  # keys released elsewhere never send their KEYUP here
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            if not self.dragging:
                self.select_at(event.pos)
            self.dragging = False
        elif event.type == pygame.MOUSEWHEEL:
            self.camera.zoom(event.y, pygame.mouse.get_pos() if pygame.mouse.get_focused() else
                             (self.camera.size[0] / 2, self.camera.size[1] / 2))
        elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            size = (event.x, event.y) if event.type == pygame.WINDOWSIZECHANGED else event.size
            self.camera.resize(size)

    def _key(self, event):
        key, ctrl = event.key, event.mod & pygame.KMOD_CTRL
        live = self.live
        if key == pygame.K_F1:
            self.show_help = not self.show_help
        elif key == pygame.K_ESCAPE:
            self.show_help = False
            self.selected = None
        elif key == pygame.K_s and ctrl:
            self.save_state()
        elif key == pygame.K_l and ctrl:
            self.load_latest()
        elif key == pygame.K_SPACE:
            live.paused = not live.paused
        elif key == pygame.K_PERIOD and live.paused and not live.turbo:
            self._closed(live.tick(1))
        elif key == pygame.K_n:
            self._closed([s for s in [live.next_generation()] if s])
        elif key in SPEED_KEYS:
            self.set_speed(SPEED_KEYS[key])
        elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS, pygame.K_MINUS, pygame.K_KP_MINUS):
            step = 1 if key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS) else -1
            self.set_speed(SPEEDS[min(max(SPEEDS.index(live.speed) + step, 0), len(SPEEDS) - 1)])
        elif key == pygame.K_f:
            self.camera.follow = not self.camera.follow
        elif key == pygame.K_HOME:
            self.camera.fit()
        elif key == pygame.K_h:
            self.toggle_human()
        elif key == pygame.K_c:
            modes = self.colour_modes()
            at = modes.index(self.colour_by) if self.colour_by in modes else -1
            self.colour_by = modes[(at + 1) % len(modes)]
        elif key == pygame.K_t:
            self.show_trails = not self.show_trails
        elif key == pygame.K_g:
            self.show_chart = not self.show_chart
        elif key == pygame.K_v:
            self.toggle_network()
        elif key == pygame.K_k:
            self.show_skins = not self.show_skins
        elif key == pygame.K_b:
            self.save_champion()

    def colour_modes(self) -> tuple:
        """What C cycles the agents' colours through: novelty only where the session selects by it."""
        return ("species", "fitness", "novelty") if self.live.needs_behaviour else ("species", "fitness")

    def novelty_values(self):
        """float64[n]: `live.novelty()` of the agents on screen, computed afresh at most every
        NOVELTY_SECONDS of wall time and for each new run; None when there is none."""
        live = self.live
        now = time.perf_counter()
        cached = self._novelty
        if cached is not None and cached[0] is live.run and now - cached[1] < NOVELTY_SECONDS:
            return cached[2]
        values = live.novelty()
        self._novelty = (live.run, now, values)
        return values

    def toggle_network(self):
        if self.overlay_off is not None:
            self.messages.add(f"the network view needs the OpenGL overlay, which is off ({self.overlay_off})", NEGATIVE)
            return
        self.show_network = not self.show_network

    def network_shown(self):
        """(agent row, NetworkPicture) of the network view: the inspected agent, else the leader;
        None when the view is off or there is no network agent to show."""
        live = self.live
        if not self.show_network or live.turbo or live.run.n == 0:
            return None
        row = self.selected if self.selected is not None and self.selected < live.run.n else live.leader()
        if row < 0:
            return None
        role = live.role
        if self.network_view is None or self.network_view.role is not role:
            from arena.ui.netview import NetworkView

            self.network_view = NetworkView(role)
        run = live.run
        agent = row * role.agents  # in a role of several agents a game (ghosts), the first of the game
        inputs = live.arena.observe(live.level, run.state)[role.name][agent]
        w, h = self.camera.size
        top = 8 + (CHART_SIZE[1] + 8 if self.show_chart else 0)
        width = min(NETWORK_SIZE[0], w - 16)
        height = min(NETWORK_SIZE[1], h - top - 8)
        if width < 120 or height < 80:
            return None  # a window too small for it
        rect = (w - width - 8, top, width, height)
        picture = self.network_view.picture(run.nets[role.name], inputs, run.arrays[role.name][-1], rect, agent)
        return row, picture

    def overlays(self):
        """What the OpenGL overlay draws on top of the scene: the network view when it is on."""
        shown = self.network_shown()
        if shown is None:
            return []
        from arena.ui.gl.netview_gl import paint

        picture = shown[1]
        return [lambda width, height: paint(picture)]

    def set_speed(self, speed):
        try:
            self.live.set_speed(speed)
        except ArenaError as exc:
            self.messages.add(str(exc), NEGATIVE)
            return
        if speed == "turbo":
            self.selected = None
        self.messages.add(f"speed {speed}")

    def toggle_human(self):
        live = self.live
        on = not live.human
        if on and live.speed != "1x":
            self.set_speed("1x")
        try:
            live.set_human(on)
        except ArenaError as exc:
            self.messages.add(str(exc), NEGATIVE)
            return
        self.held.clear()
        if on:
            self.selected = live.run.n
            self.camera.follow = True
            self.messages.add(f"you drive the pink car ({self.renderer.human_keys}); H gives it back")
        else:
            self.selected = None

    def select_at(self, pixel):
        """Inspect the agent nearest `pixel` (running ones first), or nothing if none is near."""
        state, n = self.live.view_state()
        if state is None or self.live.turbo:
            return None
        screen = self.camera.to_screen(self.renderer.world_positions(state))
        distance = np.hypot(*(screen - np.asarray(pixel, dtype=np.float64)).T)
        distance = np.where(np.isfinite(distance), distance, np.inf)
        for candidates in (np.flatnonzero(state.alive), np.arange(len(distance))):
            near = candidates[distance[candidates] <= PICK_PIXELS]
            if near.size:
                self.selected = int(near[np.argmin(distance[near])])
                return self.selected
        self.selected = None
        return None

    # -- files
    def _unused(self, stem, suffix):
        """A file name in the save folder that neither exists nor is being written."""
        self.save_dir.mkdir(parents=True, exist_ok=True)
        path, k = self.save_dir / f"{stem}{suffix}", 1
        while path.exists() or self.live.writer.busy(str(path)):
            k += 1
            path = self.save_dir / f"{stem}-{k}{suffix}"
        return path

    def save_state(self):
        try:
            path = self.write_state()
            self.messages.add(f"saving generation {self.live.generation} to {path}")
        except (ArenaError, OSError) as exc:
            self.messages.add(f"not saved: {exc}", NEGATIVE)

    def write_state(self) -> Path:
        """Save the evolutionary state to a new file in the save folder (ArenaError, OSError)."""
        arena = self.live.arena.spec.name
        path = self.live.save_state(lambda g: self._unused(f"{arena}-gen-{g:06d}", ".checkpoint.json"))
        self.saved_generation = self.live.generation
        return path

    def unsaved_progress(self) -> bool:
        """Whether evolution went on since the state was last saved or loaded."""
        return self.live.session is not None and self.live.generation != self.saved_generation

    def save_champion(self):
        arena = self.live.arena.spec.name
        try:
            several = self.live.session is not None and self.live.session.coevolving
            paths = self.live.save_champion(lambda g, role: self._unused(
                f"{arena}-{role + '-' if several else ''}champion-gen-{g:06d}", ".brain.json"))
            self.messages.add(f"saving the champion brain{'s' if several else ''} to {' and '.join(map(str, paths))}")
        except (ArenaError, OSError) as exc:
            self.messages.add(f"not saved: {exc}", NEGATIVE)

    def load_latest(self):
        """Continue from the newest state saved (Ctrl+S) in the save folder for this arena."""
        if self.load_checkpoint is None:
            self.messages.add("loading a saved state needs an evolving run", NEGATIVE)
            return
        self.live.writer.wait()  # a state saved a moment ago counts
        self._report_saves()
        pattern = f"{self.live.arena.spec.name}-gen-*.checkpoint.json"
        saved = sorted(self.save_dir.glob(pattern), key=lambda p: p.stat().st_mtime) if self.save_dir.is_dir() else []
        if not saved:
            self.messages.add(f"no saved state in {self.save_dir} (Ctrl+S saves one)", NEGATIVE)
            return
        try:
            session = self.load_checkpoint(saved[-1])
            level_changed = session.level_path != self.live.session.level_path
            self.live.replace_session(session)
        except ArenaError as exc:
            self.messages.add(f"not loaded: {exc}", NEGATIVE)
            return
        self.saved_generation = self.live.generation
        if level_changed:
            self.renderer = renderer_for(self.live.arena, self.live.level)
            self.camera.bounds = self.renderer.bounds()
            self.camera.fit()
        self.selected = None
        if self.colour_by not in self.colour_modes():  # a fitness run loaded over a novelty one
            self.colour_by = "fitness"
        self.messages.add(f"loaded generation {self.live.generation} from {saved[-1]}")

    # -- time
    def update(self, frame_seconds, budget_seconds):
        live = self.live
        if live.human:
            live.human_action[:] = self.renderer.human_action(self.held)
        self._closed(live.update(frame_seconds, budget_seconds))
        self._report_saves()
        if self.selected is not None and self.selected >= len(live.run.state.alive):
            self.selected = None
        state, _ = live.view_state()
        if state is not None:
            target = self.selected if self.selected is not None else (0 if live.turbo else live.leader())
            if target is not None and target >= 0:
                self.camera.track(self.renderer.world_positions(state)[target], frame_seconds)

    def _report_saves(self):
        """Messages for the saves the background writer finished."""
        for note, error in self.live.writer.finished():
            if error is None:
                self.messages.add(note)
            else:
                self.messages.add(f"not saved: {error}", NEGATIVE)
                self.saved_generation = None  # so that quitting tries again

    def _closed(self, stats):
        self.closed_generations += len(stats)
        now = time.perf_counter()
        self._closed_at.extend([now] * len(stats))

    def generation_rate(self) -> float:
        """Generations closed a second, over the last few seconds."""
        now = time.perf_counter()
        while self._closed_at and now - self._closed_at[0] > RATE_SECONDS:
            self._closed_at.popleft()
        return len(self._closed_at) / RATE_SECONDS

    # -- drawing
    def draw(self, screen):
        live = self.live
        renderer = self.renderer
        renderer.draw_level(screen, self.camera)
        if self.show_trails and renderer.trails:
            renderer.draw_trails(screen, self.camera, live.trails)
        state, n = live.view_state()
        if state is not None:
            colours = self._colours(state, n)
            marks = {}
            if live.turbo:
                marks[0] = HIGHLIGHT
            else:
                leader = live.leader()
                if leader >= 0:
                    marks[leader] = HIGHLIGHT
                if live.human:
                    marks[n] = HUMAN
                if self.selected is not None:
                    marks[self.selected] = SELECTED
            renderer.draw_agents(screen, self.camera, state, colours, marks,
                                 live.view_skins() if self.show_skins else None)
            if self.selected is not None and not live.turbo:
                info = live.inspect(self.selected)
                if info["alive"]:
                    renderer.draw_sensors(screen, self.camera, state, self.selected, info["inputs"])
                self._inspector(screen, info)
        self._hud(screen)
        if self.show_chart:
            w, h = screen.get_size()
            self.chart.draw(screen, live.history, pygame.Rect(w - CHART_SIZE[0] - 8, 8, *CHART_SIZE))
        self.messages.draw(screen, self.text)
        if self.show_help:
            self._help(screen)

    def _colours(self, state, n):
        live = self.live
        rows = len(state.alive)
        if live.turbo:
            return np.tile(np.array([[255, 214, 10]], dtype=np.uint8), (rows, 1))
        novelty = self.novelty_values() if self.colour_by == "novelty" else None
        if self.colour_by == "species":
            colours = species_colours(live.run.species)
        elif novelty is not None and len(novelty) == n:
            colours = novelty_colours(novelty)
        else:
            fitness = live.fitness()[:n]
            top = np.nanmax(fitness) if n and np.isfinite(fitness).any() else 0.0
            colours = ramp(fitness / top if top > 0 else np.zeros(n))
        if rows > n:
            colours = np.vstack([colours, np.tile(np.array([HUMAN], dtype=np.uint8), (rows - n, 1))])
        return colours

    def _hud(self, screen):
        live = self.live
        history = live.history
        last = history[-1] if history else {}
        lines = [f"{live.arena.spec.name} - {live.level.name}   generation {live.generation}"]
        if live.caption:
            lines.append(live.caption)
        if live.turbo:
            doing = "generations run headless" if live.turbo_running else "evolution paused"
            lines.append(f"turbo: {doing}; replaying the champion")
        else:
            state, n = live.view_state()
            alive = int(state.alive[:n].sum())
            fitness = live.fitness()[:n]
            lines.append(f"alive {alive} / {n}   tick {live.run.ticks}")
            if n:
                lines.append(f"now: best {np.nanmax(fitness):.3f}  mean {np.nanmean(fitness):.3f}")
        if last:
            lines.append(f"last generation: best {last['best_fitness']:.3f}  mean {last['mean_fitness']:.3f}")
        if live.session is not None and live.session.champion is not None:
            c = live.session.champion
            lines.append(f"champion {c.fitness:.3f} (generation {c.generation})")
        if "human_fitness" in last:
            lines.append(f"you: {last['human_fitness']:.3f}")
        lines.append(f"{self.generation_rate():.2f} generations/s")
        speed = live.speed + ("  PAUSED" if live.paused else "")
        lines.append((f"speed {speed}   colour: {self.colour_by}   F1 help", DIM))
        self.text.panel(screen, lines, (8, 8))

    def _inspector(self, screen, info):
        live = self.live
        role = live.role
        h = screen.get_size()[1]
        height = (len(role.observation) + len(role.action) + 7) * self.small.line_height + 16
        rect = pygame.Rect(8, max(h - height - 8, 150), INSPECTOR_WIDTH, height)
        backdrop(screen, rect)
        y = rect.top + 6
        title = "you" if info["human"] else f"agent {info['row']}"
        state = "running" if info["alive"] else "stopped"
        lines = [f"{title}: {state}, fitness {info['fitness']:.3f}, tick {info['ticks']}"]
        if not info["human"]:
            parents = ", ".join(str(p) for p in info["parents"] if p >= 0) or "none"
            lines.append(f"species {info['species']}   parents {parents}")
        for line in lines:
            screen.blit(self.small.render(line), (rect.left + 8, y))
            y += self.small.line_height
        inner = pygame.Rect(rect.left + 8, y + 4, rect.width - 16, 0)
        y = draw_bars(screen, self.small, inner, "inputs", role.observation, info["inputs"], -1.0, 1.0)
        inner.top = y + 4
        low = 0.0 if role.output_activation == "sigmoid" else -1.0
        draw_bars(screen, self.small, inner, "outputs", role.action, info["outputs"], low, 1.0)

    def _help(self, screen):
        draw_help(screen, self.text, self.help_lines())

    def help_lines(self):
        return [
            ("F1", "show or hide this help"),
            ("Space", "pause or go on"),
            (".", "one tick, while paused"),
            ("N", "end this generation now (evaluated in full)"),
            ("1 2 3 4 5 6", "speed 1x, 2x, 4x, 16x, max, turbo"),
            ("+ / -", "faster / slower"),
            ("F", "follow the leader, or stop following"),
            ("drag, wheel", "pan, zoom"),
            ("Home", "show the whole level"),
            ("click", "inspect an agent (Esc lets go)"),
            ("H", "take the wheel of your own car, or give it back"),
            ("arrows", self.renderer.human_keys),
            ("C", "colour by species, by fitness" + (" or by novelty" if self.live.needs_behaviour else "")),
            ("T", "trails of the best runs on or off"),
            ("G", "chart on or off"),
            ("V", "network view of the inspected agent, or of the leader"),
            ("K", "skins on or off (plain colours)"),
            ("Ctrl+S", f"save the evolutionary state to {self.save_dir}"),
            ("Ctrl+L", "load the latest state saved there"),
            ("B", "save the champion brain there"),
            ("Q, close", "quit"),
        ]
