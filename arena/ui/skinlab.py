"""The skin lab window (`arena skins`): seed 000's interactive evolution of CPPN pictures.

A grid of the population's pictures; clicks choose them in order of preference (the rank is
drawn on each), N breeds the next generation from the choice. Exports (a PNG at any size with
its `.skin.json`, or z animated into PNG frames or a GIF) are painted and written on the
background writer's thread, with the spare cores, so the grid keeps drawing.
"""

import json
import sys
from pathlib import Path

import numba
import numpy as np
import pygame

from arena.brains.cppn import render
from arena.core.cli import parse_size
from arena.core.errors import ArenaError, UsageError
from arena.persist.background import BackgroundWriter
from arena.persist.skinfile import save_skin
from arena.persist.pictures import GIF_NEEDS_PILLOW, encode_gif, encode_png, gif_supported, write_picture
from arena.skinlab import DEFAULT_POPULATION, SUFFIX, SkinLab, animation, check_population, numba_threads, write_lab_data
from arena.ui.draw import HIGHLIGHT, SELECTED, kernels_thread_safe
from arena.ui.panels import DIM, NEGATIVE, Messages, Text, draw_help
from arena.ui.pictures import surface_of

MIN_THUMBNAIL = 32  # pixels a side
GAP = 6  # pixels between thumbnails
MARGIN = 8
BACKGROUND = (20, 22, 28)
CHECKER = ((86, 86, 94), (128, 128, 136))  # behind each picture, so that its transparency shows
CHECKER_PIXELS = 8
BADGE = (20, 22, 28)
ANIMATION_Z_STEP = 0.02


class Grid:
    """Where `count` square thumbnails go in a window of `size`, below a band `top` pixels high:
    as large as fits, never under MIN_THUMBNAIL."""

    def __init__(self, count: int, size, top: int):
        width, height = size
        best_columns, best_cell = 1, 0
        for columns in range(1, count + 1):
            rows = -(-count // columns)
            cell = min((width - 2 * MARGIN) // columns, (height - top - MARGIN) // rows)
            if cell > best_cell:
                best_columns, best_cell = columns, cell
        self.count = count
        self.columns = best_columns
        self.cell = max(best_cell, MIN_THUMBNAIL + GAP)
        self.side = self.cell - GAP  # thumbnails are painted at this size: sharp at any window size
        self.left = max(MARGIN, (width - self.columns * self.cell) // 2)
        self.top = top

    def rect(self, index: int) -> pygame.Rect:
        row, column = divmod(index, self.columns)
        return pygame.Rect(self.left + column * self.cell + GAP // 2, self.top + row * self.cell + GAP // 2,
                           self.side, self.side)

    def index_at(self, pixel):
        """The thumbnail under `pixel`, or None (the gaps between them too)."""
        column, x = divmod(pixel[0] - self.left, self.cell)
        row, y = divmod(pixel[1] - self.top, self.cell)
        index = row * self.columns + column
        inside = GAP // 2 <= x < GAP // 2 + self.side and GAP // 2 <= y < GAP // 2 + self.side
        return int(index) if inside and 0 <= column < self.columns and 0 <= index < self.count else None


def spare_threads() -> int:
    """Threads for a background painting: all but one, which the window keeps."""
    return max(1, numba.get_num_threads() - 1)


def write_export(net, genome, provenance, size, png: Path, skin: Path) -> None:
    """Paint `net` at `size` (width, height) to a new PNG `png`, and its genome to a new skin file."""
    with numba_threads(spare_threads()):
        pixels = render(net, *size)
    save_skin(skin, genome, 0, provenance)
    write_picture(png, encode_png(pixels), UsageError)


def write_animation(net, size, frames: int, paths) -> None:
    """Paint z = 0, 0.02, ... of `net` into new PNG files `paths` (one a frame), or into one GIF
    when `paths` is a single name ending in .gif."""
    width, height = size
    with numba_threads(spare_threads()):
        if len(paths) == 1 and paths[0].suffix.lower() == ".gif":
            write_picture(paths[0], encode_gif(animation(net, width, height, frames, 0.0, ANIMATION_Z_STEP)), UsageError)
            return
        for k, path in enumerate(paths):
            write_picture(path, encode_png(render(net, width, height, k * ANIMATION_Z_STEP)), UsageError)


class SkinLabView:
    """Draws a `SkinLab` as a grid of pictures and turns clicks and keys into choices, generations,
    saves and exports."""

    def __init__(self, lab: SkinLab, size, save_dir, export_size=(1080, 1080), animation_size=(480, 480),
                 animation_frames: int = 48, writer: BackgroundWriter = None):
        self.lab = lab
        self.save_dir = Path(save_dir)
        self.export_size = tuple(export_size)
        self.animation_size = tuple(animation_size)
        self.animation_frames = animation_frames
        self.writer = writer or BackgroundWriter()
        self.text = Text(15)
        self.badge = Text(18)
        self.messages = Messages()
        self.show_help = False
        self.pointer = None  # the mouse's last position over the window, from the events
        self.saved_generation = lab.generation  # what a load started from counts as saved
        self.written = []  # the files the background jobs wrote, in order
        self.failures = []  # the errors of those that failed
        self.pending = 0  # background jobs not finished yet
        self.grid = None
        self._shown = None  # (state, side) the thumbnail surfaces below show
        self._surfaces = []
        self._checker = None
        self.resize(size)

    # -- events
    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN:
            self._key(event)
        elif event.type == pygame.MOUSEMOTION:
            self.pointer = event.pos
        elif event.type == pygame.WINDOWLEAVE:
            self.pointer = None
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self.pointer = event.pos
            self.click(event.pos)
        elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            self.resize((event.x, event.y) if event.type == pygame.WINDOWSIZECHANGED else event.size)

    def _key(self, event):
        key, ctrl, shift = event.key, event.mod & pygame.KMOD_CTRL, event.mod & pygame.KMOD_SHIFT
        if key == pygame.K_F1:
            self.show_help = not self.show_help
        elif key == pygame.K_ESCAPE:
            self.show_help = False
        elif key == pygame.K_s and ctrl:
            self.save_state()
        elif key == pygame.K_l and ctrl:
            self.load_latest()
        elif key in (pygame.K_n, pygame.K_RETURN, pygame.K_KP_ENTER):
            self.next_generation()
        elif key == pygame.K_BACKSPACE:
            self.lab.clear_selection()
        elif key == pygame.K_e:
            self.export(self.target())
        elif key == pygame.K_a:
            self.animate(self.target(), gif=bool(shift))

    def resize(self, size) -> None:
        self.size = tuple(size)
        self.grid = Grid(self.lab.population, self.size, self.text.line_height + 2 * MARGIN)

    def click(self, pixel):
        """Choose the picture under `pixel`, or un-choose it if it was chosen."""
        index = self.grid.index_at(pixel)
        if index is not None:
            self.lab.choose(index)
        return index

    def target(self):
        """The picture E and A act on: the one under the mouse, else the first chosen, else None."""
        index = self.grid.index_at(self.pointer) if self.pointer is not None else None
        if index is None and self.lab.selection:
            index = self.lab.selection[0]
        return index

    def next_generation(self) -> None:
        chosen = len(self.lab.selection)
        self.lab.next_generation()
        if not chosen:
            self.messages.add("nothing was chosen: every picture scored the same")

    # -- files
    def _unused(self, stem: str, suffixes) -> list:
        """Paths stem + suffix, for each suffix, in the save folder, under the first name (stem,
        stem-2, stem-3, ...) for which none exists or is being written."""
        self.save_dir.mkdir(parents=True, exist_ok=True)
        k = 1
        while True:
            name = stem if k == 1 else f"{stem}-{k}"
            paths = [self.save_dir / f"{name}{suffix}" for suffix in suffixes]
            if not any(p.exists() or self.writer.busy(str(p)) for p in paths):
                return paths
            k += 1

    def _submit(self, job, *args, files, note):
        """Run `job(*args)` on the writer's thread; it writes `files` (the first names the job)."""
        self.writer.submit(str(files[0]), job, *args, note=(note, [str(f) for f in files]))
        self.pending += 1

    def save_state(self):
        try:
            path = self.write_state()
        except (ArenaError, OSError) as exc:
            self.messages.add(f"not saved: {exc}", NEGATIVE)
            return
        self.messages.add(f"saving generation {self.lab.generation} to {path}")

    def write_state(self) -> Path:
        """Save the whole lab to a new file in the save folder, in the background (ArenaError, OSError)."""
        lab = self.lab
        (path,) = self._unused(f"skins-s{lab.seed}-gen-{lab.generation:06d}", [SUFFIX])
        self._submit(write_lab_data, path, lab.to_data(), files=[path],
                     note=f"saved generation {lab.generation} to {path}")
        self.saved_generation = lab.generation
        return path

    def unsaved_progress(self) -> bool:
        """Whether generations went by since the lab was last saved or loaded."""
        return self.lab.generation != self.saved_generation

    def load_latest(self):
        """Go on from the newest lab saved in the save folder."""
        self.writer.wait()  # a state saved a moment ago counts
        self._report()
        saved = sorted(self.save_dir.glob(f"*{SUFFIX}"), key=lambda p: (p.stat().st_mtime_ns, p.name)) \
            if self.save_dir.is_dir() else []
        if not saved:
            self.messages.add(f"no saved skin lab in {self.save_dir} (Ctrl+S saves one)", NEGATIVE)
            return
        try:
            lab = SkinLab.load(saved[-1])
        except ArenaError as exc:
            self.messages.add(f"not loaded: {exc}", NEGATIVE)
            return
        self.lab = lab
        self.saved_generation = lab.generation
        self.resize(self.size)
        self.messages.add(f"loaded generation {lab.generation} from {saved[-1]}")

    def export(self, index):
        """Write picture `index` at the export size to a new PNG, with its genome as a .skin.json."""
        if index is None:
            self.messages.add("point at a picture, or choose one, to export it", NEGATIVE)
            return
        lab = self.lab
        png, skin = self._unused(f"skin-s{lab.seed}-gen-{lab.generation:06d}-{index:03d}", [".png", ".skin.json"])
        width, height = self.export_size
        self._submit(write_export, lab.net(index), lab.genome(index), lab.provenance(index), self.export_size, png,
                     skin, files=[png, skin], note=f"exported {png} ({width}x{height}) and {skin.name}")
        self.messages.add(f"exporting picture {index} at {width}x{height}...")

    def animate(self, index, gif: bool = False):
        """Write z = 0, 0.02, ... of picture `index` into new PNG frames, or one GIF."""
        if index is None:
            self.messages.add("point at a picture, or choose one, to animate it", NEGATIVE)
            return
        if gif and not gif_supported():
            self.messages.add(GIF_NEEDS_PILLOW, NEGATIVE)
            return
        lab = self.lab
        stem = f"skin-s{lab.seed}-gen-{lab.generation:06d}-{index:03d}-z"
        if gif:
            paths = self._unused(stem, [".gif"])
        else:
            paths = self._unused(stem, [f"-{k:04d}.png" for k in range(self.animation_frames)])
        width, height = self.animation_size
        what = paths[0] if gif else f"{paths[0]} ... {paths[-1].name}"
        self._submit(write_animation, lab.net(index), self.animation_size, self.animation_frames, paths, files=paths,
                     note=f"animated {self.animation_frames} frames of {width}x{height} to {what}")
        self.messages.add(f"animating picture {index} ({self.animation_frames} frames)...")

    def _report(self):
        """Messages for the background jobs that finished."""
        for (note, files), error in self.writer.finished():
            self.pending -= 1
            if error is None:
                self.messages.add(note)
                self.written.extend(files)
            else:
                self.messages.add(f"not written: {error}", NEGATIVE)
                self.failures.append(str(error))
                if files[0].endswith(SUFFIX):
                    self.saved_generation = None  # so that quitting tries again

    # -- time
    def update(self, frame_seconds, budget_seconds):
        self._report()

    # -- drawing
    def _thumbnail_surfaces(self):
        """Surfaces of this generation's thumbnails at the grid's size, painted when either changed."""
        lab, side = self.lab, self.grid.side
        if self._shown is None or self._shown[0] is not lab.state or self._shown[1] != side:
            if self.pending and not kernels_thread_safe():
                self.writer.wait()  # this layer aborts when two threads launch kernels at once
            pictures = lab.thumbnails(side)
            self._surfaces = [surface_of(p).convert_alpha() for p in pictures]
            self._checker = _checkerboard(side).convert()
            self._shown = (lab.state, side)
        return self._surfaces

    def draw(self, screen):
        screen.fill(BACKGROUND)
        lab, grid = self.lab, self.grid
        surfaces = self._thumbnail_surfaces()
        hovered = grid.index_at(self.pointer) if self.pointer is not None else None
        for index, surface in enumerate(surfaces):
            rect = grid.rect(index)
            screen.blit(self._checker, rect)
            screen.blit(surface, rect)
            if index == hovered:
                pygame.draw.rect(screen, HIGHLIGHT, rect.inflate(4, 4), 1)
        for rank, index in enumerate(lab.selection, start=1):
            rect = grid.rect(index)
            pygame.draw.rect(screen, SELECTED, rect.inflate(4, 4), 3)
            number = self.badge.render(str(rank), BADGE)
            badge = pygame.Rect(rect.left, rect.top, number.get_width() + 8, number.get_height() + 2)
            screen.fill(SELECTED, badge)
            screen.blit(number, (badge.left + 4, badge.top + 2))
        self._hud(screen)
        self.messages.draw(screen, self.text)
        if self.show_help:
            self._help(screen)

    def hud_line(self) -> str:
        lab = self.lab
        line = (f"skin lab   generation {lab.generation}   species {lab.species_count}   "
                f"chosen {len(lab.selection)} of {lab.population}   seed {lab.seed}")
        if self.pending:
            line += f"   writing {self.pending} in the background"
        return line

    def _hud(self, screen):
        line = self.text.render(self.hud_line())
        hint = self.text.render("F1 help", DIM)
        screen.blit(line, (MARGIN, MARGIN))
        screen.blit(hint, (max(MARGIN + line.get_width() + 24, screen.get_width() - hint.get_width() - MARGIN),
                           MARGIN))

    def _help(self, screen):
        draw_help(screen, self.text, self.help_lines())

    def help_lines(self):
        ew, eh = self.export_size
        aw, ah = self.animation_size
        return [
            ("F1", "show or hide this help"),
            ("click", "choose a picture (in order of preference), or un-choose it"),
            ("Backspace", "un-choose all"),
            ("N, Enter", "next generation, bred from the chosen (the first chosen is the best)"),
            ("E", f"export the picture under the mouse (or the first chosen): {ew}x{eh} PNG and .skin.json"),
            ("A", f"animate its z into {self.animation_frames} PNG frames of {aw}x{ah}"),
            ("Shift+A", "the same into one GIF" + ("" if gif_supported() else " (needs Pillow)")),
            ("Ctrl+S", f"save the whole lab to {self.save_dir}"),
            ("Ctrl+L", "load the latest lab saved there"),
            ("Q, close", "quit"),
        ]


def _checkerboard(side: int) -> pygame.Surface:
    squares = (np.add.outer(np.arange(side) // CHECKER_PIXELS, np.arange(side) // CHECKER_PIXELS) % 2).astype(bool)
    pixels = np.empty((side, side, 4), dtype=np.uint8)
    pixels[...] = CHECKER[0] + (255,)
    pixels[squares] = CHECKER[1] + (255,)
    return surface_of(pixels)


# -- `arena skins lab`

def check_args(args):
    """Refuse what cannot work before a window opens."""
    from arena.ui.play import check_screenshot_path

    if args.load is not None:
        settings = (("--seed", args.seed), ("--population", args.population))
        given = [flag for flag, value in settings if value is not None]
        if given:
            raise UsageError(f"a saved skin lab brings its own settings; drop {', '.join(given)}")
    if args.population is not None:
        check_population(args.population)
    for flag, text in (("--export-size", args.export_size), ("--animation-size", args.animation_size)):
        try:
            parse_size(text, example="1080x1080")
        except UsageError as exc:
            raise UsageError(str(exc).replace("--size", flag, 1)) from None
    parse_size(args.size, (320, 240), example="1280x800")
    if args.screenshot:
        check_screenshot_path(Path(args.screenshot))


def warmed(lab: SkinLab) -> SkinLab:
    """`lab`, once the kernels its first frame runs are compiled (or loaded from numba's cache)."""
    lab.thumbnails(MIN_THUMBNAIL)
    return lab


def run_lab(args) -> int:
    from arena.ui.app import open_window

    check_args(args)
    loaded = SkinLab.load(args.load) if args.load else None  # a bad file is one line before any window opens
    app = open_window("skins", parse_size(args.size), max_fps=args.max_fps, title="Neuroarena skin lab")
    try:
        lab = app.wait_for(lambda: warmed(loaded or SkinLab(args.seed or 0, args.population or DEFAULT_POPULATION)),
                           "warming up (numba compiles once, then caches)")
        if lab is None:
            return 0
        view = SkinLabView(lab, app.screen.get_size(), args.save_dir, parse_size(args.export_size),
                           parse_size(args.animation_size), args.animation_frames)
        app.view = view
        saved = None
        try:
            code = app.run(args.frames)
            if not args.no_autosave and view.unsaved_progress():
                saved = _save_on_exit(view)
            if args.screenshot:
                app.save_screenshot(args.screenshot)
        finally:
            view.writer.wait()  # the exports the window started, whole on disk before the program ends
            view._report()
            view.writer.close()
        if args.json:
            lab = view.lab
            print(json.dumps({
                "frames": app.frames, **app.frame_rates(), "generation": lab.generation,
                "species": lab.species_count, "chosen": len(lab.selection), "population": lab.population,
                "seed": lab.seed, "written": view.written, "saved_on_exit": saved and str(saved),
                "seconds": round(app.loop_seconds, 3),
            }))
        return code
    except KeyboardInterrupt:
        return 130
    finally:
        app.close()


def _save_on_exit(view):
    """Keep what evolved: closing the window must not throw the person's generations away."""
    try:
        path = view.write_state()
    except (ArenaError, OSError) as exc:
        print(f"arena skins: the skin lab was not saved on exit: {exc}", file=sys.stderr)
        return None
    view.writer.wait()
    view._report()
    if not path.exists():
        print(f"arena skins: the skin lab was not saved on exit: {view.failures[-1]}", file=sys.stderr)
        return None
    print(f"arena skins: saved generation {view.lab.generation} to {path} "
          f"(continue with: arena skins --load {path})", file=sys.stderr)
    return path
