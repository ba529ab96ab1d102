"""The window: a resizable pygame-ce display and a fixed-timestep loop around one view.

The view's `update(frame_seconds, budget_seconds)` advances the simulation (fixed ticks, as many
as the speed asks for the time that passed), then `draw(screen)` draws it: simulation and frame
rate are independent. The app counts frames and their times for `--json` and `--frames`.
"""

import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pygame

DEFAULT_SIZE = (1280, 800)
MAX_FPS = 120  # frames are capped here; 1x still runs 60 ticks a second
FRAME_AT_MAX_SPEED = 1 / 24  # at max speed a frame lasts about this long: stepping gets what drawing leaves
WARMUP_FRAMES = 10  # the first frames (first generation, caches) are left out of the frame-rate figures
BACKGROUND = (20, 22, 28)
HEADLESS_DRIVERS = ("offscreen", "dummy")  # drivers that show nothing: only when asked for by SDL_VIDEODRIVER


def _open_display():
    """Initialise SDL's video on a real screen, or raise pygame.error saying why there is none."""
    forced = os.environ.get("SDL_VIDEODRIVER")
    driver_hint = None
    if sys.platform.startswith("linux") and not forced:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            raise pygame.error("neither DISPLAY nor WAYLAND_DISPLAY is set")  # before SDL prints its own complaints
        if not os.environ.get("WAYLAND_DISPLAY"):
            driver_hint = "x11"  # else SDL probes Wayland too, and libwayland prints errors of its own
    problem = None
    for attempt in range(2):
        if attempt:
            time.sleep(0.5)  # a busy X server can refuse a connection for a moment: try once more
        if driver_hint:
            os.environ["SDL_VIDEODRIVER"] = driver_hint
        try:
            pygame.display.init()  # not pygame.init(): no sound here, and no audio device warnings
        except pygame.error as exc:
            problem = exc
            continue
        finally:
            if driver_hint:
                del os.environ["SDL_VIDEODRIVER"]
        driver = pygame.display.get_driver()
        if driver not in HEADLESS_DRIVERS or forced == driver:
            return
        pygame.display.quit()
        problem = pygame.error(f"SDL found no screen and fell back to its {driver!r} driver")
    pygame.quit()
    raise problem


def open_window(command: str, size, max_fps=MAX_FPS, gl=False, title="Neuroarena"):
    """The App of `arena COMMAND`, or ArenaError saying why no window opens. Says on stderr when
    the OpenGL overlay asked for is off (not on headless drivers: nothing is shown there)."""
    from arena.core.errors import ArenaError

    try:
        app = App(size, title=title, max_fps=max_fps, gl=gl)
    except pygame.error as exc:
        raise ArenaError(f"cannot open a window: {exc} (no display? run under xvfb-run, or set "
                         f"SDL_VIDEODRIVER=dummy to draw off screen)") from None
    if app.gl_notice and pygame.display.get_driver() not in HEADLESS_DRIVERS:
        print(f"arena {command}: {app.gl_notice}", file=sys.stderr)
    return app


class CtrlC:
    """Ctrl-C that is never lost while a window is open. pygame calls back into Python from C (the
    window icon in set_mode, the default font) and drops any exception raised there, a
    KeyboardInterrupt included: the program then ran on as if Ctrl-C had not been pressed. So the
    handler also notes the press, and the loops raise it again (`check`) if it went missing."""

    def __init__(self):
        self.pressed = False
        self._previous = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():  # handlers can only be set there
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        self.pressed = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise the KeyboardInterrupt of a Ctrl-C not handled yet."""
        if self.pressed:
            raise KeyboardInterrupt

    def handled(self) -> None:
        self.pressed = False

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class App:
    """`screen` is what views draw on: the display itself, or with OpenGL (`gl=True`, where it
    starts) an offscreen Surface the window shows with the views' overlays drawn on top. Where
    OpenGL does not start, `gl_notice` says so in one line and the window runs without overlays."""

    def __init__(self, size=DEFAULT_SIZE, title="Neuroarena", max_fps=MAX_FPS, gl=False):
        self.ctrl_c = CtrlC()
        self.ctrl_c.install()  # first: opening the display is where pygame drops a Ctrl-C
        try:
            self._open(size, title, gl)
        except BaseException:
            self.ctrl_c.restore()
            raise
        self.clock = pygame.time.Clock()
        self.max_fps = max_fps
        self.view = None
        self.running = True
        self.frames = 0
        self.frame_times = []  # seconds between consecutive frames
        self._last = None
        self.loop_seconds = 0.0
        self._draw_seconds = 0.005

    def _open(self, size, title, gl):
        _open_display()
        pygame.font.init()
        self.gl = None
        self.gl_off = "--no-gl" if not gl else None  # why there is no OpenGL overlay
        if gl:
            from arena.ui.gl.window import GLUnavailable, GLWindow

            try:
                self.gl = GLWindow(size)
            except GLUnavailable as exc:
                self.gl_off = str(exc)
        self.gl_notice = f"the OpenGL overlay is off: {self.gl_off}" if gl and self.gl is None else None
        if self.gl is not None:
            self.screen = self.gl.scene
        else:
            self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption(title)
        self.font = pygame.font.Font(None, 26)

    # -- before the view exists
    def wait_for(self, work, message):
        """Run `work()` in a thread while the window shows `message` and stays responsive;
        returns its result (or raises its exception). None if the window was closed meanwhile."""
        result = {}

        def target():
            try:
                result["value"] = work()
            except BaseException as exc:  # re-raised below, in the main thread
                result["error"] = exc

        worker = threading.Thread(target=target, name="warm-up", daemon=True)
        worker.start()
        dots = 0
        while worker.is_alive():
            self.ctrl_c.check()
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    self.running = False
                    return None
            self.screen.fill(BACKGROUND)
            line = self.font.render(message + "." * (dots % 4), True, (220, 220, 225))
            w, h = self.screen.get_size()
            self.screen.blit(line, ((w - line.get_width()) // 2, h // 2))
            self.present()
            dots += 1
            worker.join(0.25)
        if "error" in result:
            raise result["error"]
        return result["value"]

    # -- the loop
    def frame(self):
        """One frame: events, simulation, drawing."""
        now = time.perf_counter()
        frame_seconds = 0.0 if self._last is None else now - self._last
        if self._last is not None and self.frames >= WARMUP_FRAMES:
            self.frame_times.append(frame_seconds)
        self._last = now
        self.ctrl_c.check()
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_q
                                             and not getattr(self.view, "typing", False)):
                keep_open = getattr(self.view, "keep_open", None)  # a view may warn once first (unsaved work)
                self.running = keep_open is not None and keep_open()
            else:
                if event.type == pygame.WINDOWSIZECHANGED and self.gl is not None:
                    self.gl.resize((event.x, event.y))
                    self.screen = self.gl.scene
                self.view.handle(event)
        budget = max(0.002, FRAME_AT_MAX_SPEED - self._draw_seconds)
        self.view.update(min(frame_seconds, 0.25), budget)
        t0 = time.perf_counter()
        self.view.draw(self.screen)
        self.present()
        self._draw_seconds = 0.8 * self._draw_seconds + 0.2 * (time.perf_counter() - t0)
        self.frames += 1
        if self.max_fps:
            self.clock.tick(self.max_fps)

    def _overlays(self) -> list:
        overlays = getattr(self.view, "overlays", None)
        return overlays() if overlays is not None else []

    def present(self) -> None:
        """Show what was drawn on `screen` (and, with OpenGL, the view's overlays)."""
        if self.gl is not None:
            self.gl.present(self._overlays())
        else:
            pygame.display.flip()

    def run(self, frames=None) -> int:
        """Loop until the window closes, Q, Ctrl-C, or `frames` frames; 0, or 130 after Ctrl-C."""
        started = time.perf_counter()
        try:
            while self.running and (frames is None or self.frames < frames):
                self.frame()
        except KeyboardInterrupt:
            self.ctrl_c.handled()
            return 130
        finally:
            self.loop_seconds = time.perf_counter() - started
        return 0

    def frame_rates(self) -> dict:
        """Median and 5th-percentile frames a second over the frames after the first few."""
        times = np.array(self.frame_times or [np.nan])
        return {"fps_median": round(float(1.0 / np.median(times)), 2) if self.frame_times else 0.0,
                "fps_p5": round(float(1.0 / np.percentile(times, 95)), 2) if self.frame_times else 0.0}

    def screenshot(self, path) -> None:
        """Save the last frame (PNG, or any format pygame knows by the extension) to a new file:
        written aside, then linked into place, so an existing file is never replaced."""
        path = Path(path)
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
        try:
            frame = self.gl.read_frame(self._overlays()) if self.gl is not None else self.screen
            pygame.image.save(frame, str(temporary))
            os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def save_screenshot(self, path) -> None:
        """`screenshot` for --screenshot: ArenaError naming the flag if it cannot be saved."""
        from arena.core.errors import ArenaError

        try:
            self.screenshot(path)
        except (OSError, pygame.error) as exc:
            raise ArenaError(f"--screenshot {path}: not saved: {exc}") from None

    def close(self):
        pygame.quit()
        self.ctrl_c.restore()
