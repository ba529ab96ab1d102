"""The editor window: the level, the arena's tools, undo and redo, saving, validation as you
edit, and F5 to watch a population evolve on the level (F5 again comes back to the editor)."""

import copy
import sys
import threading
from pathlib import Path

import numpy as np
import pygame

from arena.core.errors import ArenaError
from arena.ui.camera import Camera
from arena.ui.editor.tools import TOOLS
from arena.ui.panels import (
    DIM,
    NEGATIVE,
    POSITIVE,
    TEXT,
    Messages,
    Text,
    backdrop,
    draw_help,
)

BACKGROUND = (20, 22, 28)
PAN_PIXELS = 40  # an arrow key pans the view this far


class SaveAsPrompt:
    """A one-line file name being typed; Enter saves, Escape cancels."""

    def __init__(self, text: str):
        self.text = text
        self.confirm_for = None  # the name whose replacing the user was asked to confirm


class EditorView:
    """Edits a `LevelDocument`. While a level plays (F5) it shows that `SandboxView` instead,
    passing it every event but F5."""

    def __init__(self, document, size, save_dir: Path, overlay_off=None, population=200, seed=0):
        self.doc = document
        self.save_dir = Path(save_dir)
        self.overlay_off = overlay_off
        self.population = population
        self.seed = seed
        self.text = Text(15)
        self.small = Text(13)
        self.messages = Messages()
        self.tools = TOOLS[document.arena_name](self)
        self.camera = Camera(size, self.tools.bounds())
        self.snap = True
        self.show_help = False
        self.prompt = None
        self.pressed = False  # a tool has the left or right button
        self.panning = False
        self._confirm_save = False  # Ctrl+S was refused for a changed file: a second one replaces it
        self._close_warned = False
        self.sandbox = None  # the SandboxView of the level playing, while it plays
        self._starting = None  # the thread building it, and its result
        self._played = None  # (data, path) of the last copy written to play

    # -- what the app asks
    @property
    def typing(self) -> bool:
        """Whether keys are text (a file name), so Q must not quit."""
        return self.prompt is not None

    def keep_open(self) -> bool:
        """Asked when the window is closed or Q pressed: stay open once to warn about unsaved edits."""
        if self.doc.dirty and not self._close_warned:
            self._close_warned = True
            self.messages.add("unsaved changes: Ctrl+S saves them; close or Q again to quit without saving", NEGATIVE)
            return True
        return False

    def overlays(self):
        return self.sandbox.overlays() if self.sandbox is not None else []

    # -- events
    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_F5 and not self.pressed:
            self.stop_play() if self.sandbox is not None else self.start_play()
            return
        if self.sandbox is not None:
            self.sandbox.handle(event)
            return
        if event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            self.camera.resize((event.x, event.y) if event.type == pygame.WINDOWSIZECHANGED else event.size)
        elif event.type == pygame.KEYDOWN:
            if event.key != pygame.K_q:
                self._close_warned = False
            self._key(event)
        elif event.type == pygame.MOUSEBUTTONDOWN and self.prompt is None:
            if event.button == 2:
                self.panning = True
            elif event.button in (1, 3):
                self.pressed = True
                self.tools.press(np.asarray(event.pos, dtype=np.float64), self.world_at(event.pos), event.button)
        elif event.type == pygame.MOUSEMOTION:
            if self.panning:
                self.camera.pan(*event.rel)
            else:
                self.tools.motion(self.world_at(event.pos))
        elif event.type == pygame.MOUSEBUTTONUP:
            if event.button == 2:
                self.panning = False
            elif event.button in (1, 3) and self.pressed:
                self.pressed = False
                self.tools.release(self.world_at(event.pos))
        elif event.type == pygame.MOUSEWHEEL:
            self.camera.zoom(event.y, pygame.mouse.get_pos() if pygame.mouse.get_focused() else
                             (self.camera.size[0] / 2, self.camera.size[1] / 2))

    def world_at(self, pixel):
        """The world point under `pixel`, on the grid when snapping (Pac-Man cells snap anyway)."""
        world = self.camera.to_world(np.asarray(pixel, dtype=np.float64))
        grid = getattr(self.tools, "grid", None)
        if self.snap and grid:
            world = np.round(world / grid) * grid
        return [float(world[0]) + 0.0, float(world[1]) + 0.0]  # + 0.0: no -0.0 in files

    def _key(self, event):
        if self.prompt is not None:
            self._prompt_key(event)
            return
        if self.pressed:
            return  # mid-drag, an undo or a delete would pull the dragged thing from under the mouse
        key, ctrl, shift = event.key, event.mod & pygame.KMOD_CTRL, event.mod & pygame.KMOD_SHIFT
        if key != pygame.K_s or not ctrl:
            self._confirm_save = False
        if ctrl and (key == pygame.K_y or (key == pygame.K_z and shift)):
            self._report(self.doc.redo(), "redone", "nothing to redo")
            self.tools.cancel()  # what was picked may be gone, or be another thing now
        elif ctrl and key == pygame.K_z:
            self._report(self.doc.undo(), "undone", "nothing to undo")
            self.tools.cancel()
        elif ctrl and key == pygame.K_s and shift:
            self.prompt = SaveAsPrompt(self._suggested_name())
        elif ctrl and key == pygame.K_s:
            self.save()
        elif key == pygame.K_F1:
            self.show_help = not self.show_help
        elif key == pygame.K_ESCAPE:
            self.show_help = False
            self.tools.cancel()
        elif key == pygame.K_HOME:
            self.camera.bounds = self.tools.bounds()
            self.camera.fit()
        elif self.tools.key(event):
            pass
        elif key == pygame.K_g and not ctrl:
            self.snap = not self.snap
            self.messages.add(f"grid snap {'on' if self.snap else 'off'}")
        elif key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN) and not ctrl:
            dx = {pygame.K_LEFT: 1, pygame.K_RIGHT: -1}.get(key, 0) * PAN_PIXELS
            dy = {pygame.K_UP: 1, pygame.K_DOWN: -1}.get(key, 0) * PAN_PIXELS
            self.camera.pan(dx, dy)

    def _report(self, done, yes, no):
        self.messages.add(yes if done else no, TEXT if done else DIM)

    # -- saving
    def _suggested_name(self) -> str:
        if self.doc.path is not None and not self.doc.builtin:
            return str(self.doc.path)
        stem = self.doc.path.stem if self.doc.path is not None else f"my-{self.doc.arena_name}"
        suffix = self.doc.path.suffix if self.doc.path is not None else ".json"
        return str(self.save_dir / f"{stem}{suffix}")

    def save(self):
        confirmed, self._confirm_save = self._confirm_save, False
        try:
            if self.doc.path is not None and not self.doc.builtin and not confirmed:
                reason = self.doc.needs_confirmation(self.doc.path)
                if reason:
                    self._confirm_save = True
                    self.messages.add(f"{reason}: Ctrl+S again replaces it", NEGATIVE)
                    return
            path = self.doc.save(confirmed=confirmed)
        except ArenaError as exc:
            if self.doc.path is None or self.doc.builtin:
                self.prompt = SaveAsPrompt(self._suggested_name())
            self.messages.add(str(exc), NEGATIVE)
            return
        self.messages.add(f"saved {path}", POSITIVE)

    def _prompt_key(self, event):
        prompt = self.prompt
        if event.key == pygame.K_ESCAPE:
            self.prompt = None
        elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self._save_as(prompt.text.strip())
        elif event.key == pygame.K_BACKSPACE:
            prompt.text = prompt.text[:-1]
        elif event.unicode and event.unicode.isprintable():
            prompt.text += event.unicode

    def _save_as(self, text):
        prompt = self.prompt
        if not text:
            return
        path = Path(text).expanduser()
        try:
            if path.parent == self.save_dir:
                self.save_dir.mkdir(parents=True, exist_ok=True)
            self.doc.check_target(path)
            reason = self.doc.needs_confirmation(path)
            if reason and prompt.confirm_for != text:
                prompt.confirm_for = text
                self.messages.add(f"{reason}: Enter again replaces it", NEGATIVE)
                return
            saved = self.doc.save(path, confirmed=bool(reason))
        except (ArenaError, OSError) as exc:
            self.messages.add(str(exc), NEGATIVE)
            return
        self.prompt = None
        self.messages.add(f"saved {saved}", POSITIVE)

    # -- playing the level
    def start_play(self):
        if self._starting is not None:
            return
        doc = self.doc
        if doc.level is None:
            self.messages.add(f"cannot play this level: {doc.problem}", NEGATIVE)
            return
        try:
            path = self._level_to_play()
        except (ArenaError, OSError) as exc:
            self.messages.add(f"cannot play this level: {exc}", NEGATIVE)
            return
        result = {}

        def build():
            try:
                from arena.ui.play import evolving_live

                result["live"] = evolving_live(doc.arena_name, path, self.population, self.seed)
            except Exception as exc:  # shown in the editor; the editor goes on
                result["error"] = exc

        thread = threading.Thread(target=build, name="warm-up", daemon=True)
        thread.start()
        self._starting = (thread, result)
        self.messages.add(f"starting evolution on {path} (the first time, numba compiles for a while)")

    def _level_to_play(self) -> Path:
        """The level's own file when it holds what is on screen; else a copy in the save folder
        (kept: checkpoints saved while it plays name it)."""
        doc = self.doc
        if doc.path is not None and not doc.dirty and doc.saved_data is not None:
            return doc.path
        if self._played is not None and self._played[0] == doc.data:
            return self._played[1]
        self.save_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{doc.arena_name}-edited"
        path, k = self.save_dir / f"{stem}.json", 1
        while path.exists():
            k += 1
            path = self.save_dir / f"{stem}-{k}.json"
        doc.arena.level_module.save(doc.level, path)
        self._played = (copy.deepcopy(doc.data), path)
        return path

    def _poll_start(self):
        thread, result = self._starting
        if thread.is_alive():
            return
        self._starting = None
        if "error" in result:
            exc = result["error"]
            self.messages.add(f"cannot play this level: {exc}", NEGATIVE)
            return
        from arena.ui.play import session_loader, warm_the_rest
        from arena.ui.sandbox import SandboxView

        live = result["live"]
        if self.pressed:  # the button comes up in the sandbox: end the editor's drag here
            self.pressed = False
            self.tools.release(self.world_at(pygame.mouse.get_pos()))
        self.sandbox = SandboxView(live, self.camera.size, self.save_dir, session_loader(live),
                                   overlay_off=self.overlay_off)
        self.sandbox.messages.add("F5: back to the editor")
        warm_the_rest(live)

    def stop_play(self) -> None:
        """Back to the editor; what evolved is saved first, as quitting `arena play` would."""
        sandbox, self.sandbox = self.sandbox, None
        if sandbox is None:
            return
        live = sandbox.live
        try:
            if sandbox.unsaved_progress():
                try:
                    path = sandbox.write_state()
                    live.writer.drain()
                    line = f"saved generation {live.generation} to {path} (continue with: arena play --load {path})"
                    self.messages.add(line)
                    print(f"arena edit: {line}", file=sys.stderr)
                except (ArenaError, OSError) as exc:
                    self.messages.add(f"the evolutionary state was not saved: {exc}", NEGATIVE)
        finally:
            live.close()
            live.backend.close()
            live.writer.close()
        self.camera.resize(sandbox.camera.size)

    # -- each frame
    def update(self, frame_seconds, budget_seconds):
        if self._starting is not None:
            self._poll_start()
        if self.sandbox is not None:
            self.sandbox.update(frame_seconds, budget_seconds)

    def draw(self, screen):
        if self.sandbox is not None:
            self.sandbox.draw(screen)
            return
        screen.fill(BACKGROUND)
        self.tools.draw(screen, self.camera)
        self._status(screen)
        self.messages.draw(screen, self.text)
        if self.show_help:
            draw_help(screen, self.text, self.help_rows())

    def _status(self, screen):
        doc = self.doc
        w, h = screen.get_size()
        name = str(doc.path) if doc.path is not None else "(not saved yet)"
        lines = [(f"editing {doc.arena_name}: {name}{' *' if doc.dirty else ''}{' (built-in)' if doc.builtin else ''}"
                  f" - {self.tools.status()}{self._snap_status()} - F1 help", None)]
        if doc.problem:
            lines.append((doc.problem, NEGATIVE))
        else:
            lines.append(("valid: F5 evolves a population on it", POSITIVE))
        if self._starting is not None:
            lines.append(("warming up the level's kernels...", DIM))
        if self.prompt is not None:
            lines.append((f"save as: {self.prompt.text}_   (Enter saves, Esc cancels)", None))
        rendered = [self.small.render(text, colour or TEXT) for text, colour in lines]
        height = len(rendered) * self.small.line_height + 8
        rect = pygame.Rect(0, h - height, w, height)
        backdrop(screen, rect)
        for k, surface in enumerate(rendered):
            screen.blit(surface, (8, rect.top + 4 + k * self.small.line_height))

    def _snap_status(self) -> str:
        grid = getattr(self.tools, "grid", None)
        return f" - snap to {grid:g} m {'on' if self.snap else 'off'}" if grid else ""

    def help_rows(self):
        return [(f"{self.doc.arena_name} level", "")] + self.tools.help_rows() + [
            ("editing", ""), ("Ctrl+Z / Ctrl+Y", "undo / redo"), ("Ctrl+S", "save"), ("Ctrl+Shift+S", "save as"),
            ("G", "grid snap on / off (racing, tanks)"), ("wheel, middle drag, arrows", "zoom, pan"),
            ("Home", "fit the level in the window"), ("F5", "evolve a population on the level / back"),
            ("Esc", "drop the picked thing"), ("Q", "quit")]

    def close(self):
        self.stop_play()


def run_edit(args) -> int:
    """`arena edit ARENA [LEVEL]`."""
    from arena.ui.app import open_window
    from arena.ui.editor.document import LevelDocument
    from arena.ui.play import (
        check_screenshot_path,
        exit_past_warm_up,
        parse_window_size,
    )

    document = LevelDocument.open(args.arena, args.level)
    size = parse_window_size(args.size)
    if args.screenshot:
        check_screenshot_path(Path(args.screenshot))
    app = open_window("edit", size, max_fps=args.max_fps, gl=not args.no_gl,
                      title=f"Neuroarena level editor - {args.arena}")
    view = EditorView(document, app.screen.get_size(), Path(args.save_dir), overlay_off=app.gl_off,
                      population=args.population, seed=args.seed)
    app.view = view
    try:
        code = app.run(args.frames)
        if args.screenshot:
            app.save_screenshot(args.screenshot)
    finally:
        view.close()
        app.close()
    if document.dirty and code == 130:
        _keep_interrupted_edits(document, Path(args.save_dir))
    elif document.dirty:
        print(f"arena edit: quit with unsaved changes to {document.source}", file=sys.stderr)
    return exit_past_warm_up(code)


def _keep_interrupted_edits(document, save_dir: Path) -> None:
    """Ctrl-C asks nothing: the edits go to a new file in the save folder (valid or not: the
    editor opens a level that fails its geometry checks, to go on mending it)."""
    from arena.core.fileio import write_json

    try:
        save_dir.mkdir(parents=True, exist_ok=True)
        path, k = save_dir / f"{document.arena_name}-unsaved.json", 1
        while path.exists():
            k += 1
            path = save_dir / f"{document.arena_name}-unsaved-{k}.json"
        write_json(path, document.data, ArenaError)
    except (ArenaError, OSError) as exc:
        print(f"arena edit: the unsaved changes were not kept: {exc}", file=sys.stderr)
        return
    print(f"arena edit: interrupted; the unsaved level is kept in {path} "
          f"(go on with: arena edit {document.arena_name} {path})", file=sys.stderr)
