"""What the mouse and keys do to each arena's level in the editor, and how the level is drawn.

Each arena's tools edit `view.doc.data` (the level file's JSON) through the document's
`begin`/`end`, so a press-drag-release is one undo step, and read world positions already
snapped to the grid by the view. World y points up; Pac-Man cell (row, column) covers
x in [column, column + 1] and y in [rows - row - 1, rows - row].
"""

import math

import numpy as np
import pygame

from arena.ui.panels import NEGATIVE

HIT_PIXELS = 10  # a press within this distance of a handle grabs it
ROAD = (70, 74, 84)
KERB = (200, 200, 210)
HANDLE = (120, 170, 255)
START = (90, 200, 120)
PICKED = (250, 210, 80)
PROBLEM = NEGATIVE
WALL = (60, 90, 190)
REGION = (60, 150, 90)
SPAWN = (240, 170, 60)
FIELD_FLOOR = (34, 38, 46)
DRAFT = (250, 210, 80)


def _grid_lines(screen, camera, step, bounds, colour=(40, 44, 54)):
    """Lines every `step` metres (a coarser multiple where they would be too dense) over `bounds`."""
    while step * camera.scale < 8:
        step *= 5
    xmin, ymin, xmax, ymax = bounds
    for x in np.arange(math.floor(xmin / step) * step, xmax + step, step):
        a, b = camera.to_screen([[x, ymin], [x, ymax]])
        pygame.draw.line(screen, colour, a, b)
    for y in np.arange(math.floor(ymin / step) * step, ymax + step, step):
        a, b = camera.to_screen([[xmin, y], [xmax, y]])
        pygame.draw.line(screen, colour, a, b)


def _view_bounds(camera):
    w, h = camera.size
    (x0, y1), (x1, y0) = camera.to_world(np.array([[0.0, 0.0], [w, h]]))
    return x0, y0, x1, y1


def _marker(screen, camera, world):
    x, y = camera.to_screen(np.asarray(world, dtype=np.float64))
    pygame.draw.circle(screen, PROBLEM, (int(x), int(y)), 14, 3)


class RacingTools:
    """Control points of the closed centreline: click empty ground to add one (into the nearest
    stretch of track), drag one to move it, right-click or Delete to remove it; [ and ] narrow
    and widen the track at the picked point; S starts the race there; R reverses the direction."""

    grid = 5.0  # metres
    default_width = 12.0
    name = "racing"

    def __init__(self, view):
        self.view = view
        self.picked = None  # index of the picked control point
        self.dragging = False
        self._spline_key = None
        self._spline = None

    @property
    def data(self):
        return self.view.doc.data

    def bounds(self):
        points = np.array(self.data["centreline"], dtype=np.float64).reshape(-1, 2)
        if points.shape[0] < 2:
            return (-150.0, -100.0, 150.0, 100.0)
        margin = 2 * max(self.data["width"], default=self.default_width)
        return (*(points.min(axis=0) - margin), *(points.max(axis=0) + margin))

    def status(self) -> str:
        n = len(self.data["centreline"])
        picked = ""
        if self.picked is not None and self.picked < n:
            picked = f" - point {self.picked}: width {self.data['width'][self.picked]:g} m"
        return f"{n} control points, {self.data.get('laps', 1)} lap(s){picked}"

    def help_rows(self):
        return [("click ground", "add a control point (into the nearest stretch)"),
                ("drag a point", "move it"), ("right-click / Del", "delete the point"),
                ("[ / ]", "narrow / widen the track at the picked point"),
                ("S", "start the race at the picked point"), ("R", "reverse the direction"),
                ("L / Shift+L", "one lap more / less")]

    def hit(self, pixel):
        points = self.data["centreline"]
        if not points:
            return None
        distance = np.hypot(*(self.view.camera.to_screen(np.array(points, dtype=np.float64)) - pixel).T)
        nearest = int(np.argmin(distance))
        return nearest if distance[nearest] <= HIT_PIXELS else None

    def press(self, pixel, world, button):
        doc = self.view.doc
        index = self.hit(pixel)
        if button == 3:
            if index is not None:
                self.delete(index)
            return
        doc.begin()
        if index is None:
            index = self._insert(world)
        self.picked = index
        self.dragging = True

    def motion(self, world):
        if self.dragging:
            self.data["centreline"][self.picked] = [float(world[0]), float(world[1])]

    def release(self, world):
        if self.dragging:
            self.dragging = False
            self.view.doc.end()

    def _insert(self, world) -> int:
        """Put a new point where it lengthens the loop least: between the two points it sits between."""
        points, widths = self.data["centreline"], self.data["width"]
        p = np.asarray(world, dtype=np.float64)
        k = len(points)
        if k < 3:
            at = k
        else:
            a = np.array(points, dtype=np.float64)
            b = np.roll(a, -1, axis=0)
            detour = np.hypot(*(a - p).T) + np.hypot(*(b - p).T) - np.hypot(*(b - a).T)
            at = int(np.argmin(detour)) + 1
        width = (0.5 * (widths[at - 1] + widths[at % k]) if k >= 2 else widths[0] if widths else self.default_width)
        points.insert(at, [float(p[0]), float(p[1])])
        widths.insert(at, float(round(width, 1)))
        return at

    def delete(self, index):
        def remove(data):
            del data["centreline"][index]
            del data["width"][index]

        self.view.doc.change(remove)
        self.picked = None

    def key(self, event) -> bool:
        key, shift = event.key, event.mod & pygame.KMOD_SHIFT
        doc, picked = self.view.doc, self.picked
        if key == pygame.K_r:
            def reverse(data):  # the start stays where it is
                for name in ("centreline", "width"):
                    data[name][1:] = data[name][1:][::-1]

            doc.change(reverse)
            return True
        if key == pygame.K_l:
            def laps(data):
                data["laps"] = min(max(data.get("laps", 1) + (-1 if shift else 1), 1), 100)

            doc.change(laps)
            return True
        if picked is None or picked >= len(self.data["centreline"]):
            return False
        if key in (pygame.K_DELETE, pygame.K_BACKSPACE):
            self.delete(picked)
        elif key in (pygame.K_LEFTBRACKET, pygame.K_RIGHTBRACKET):
            from arena.arenas.racing.params import PARAMS

            step = 1.0 if key == pygame.K_RIGHTBRACKET else -1.0
            doc.change(lambda d: d["width"].__setitem__(
                picked, float(min(max(d["width"][picked] + step, PARAMS.min_width), PARAMS.max_width))))
        elif key == pygame.K_s:
            def start_here(data):
                for name in ("centreline", "width"):
                    data[name][:] = data[name][picked:] + data[name][:picked]

            doc.change(start_here)
            self.picked = 0
        else:
            return False
        return True

    def cancel(self):
        self.picked = None

    def _sampled(self):
        """(centre float64[m, 2], left edge, right edge) of the spline through the points, or None."""
        points, widths = self.data["centreline"], self.data["width"]
        key = (tuple(map(tuple, points)), tuple(widths))
        if key != self._spline_key:
            self._spline_key, self._spline = key, None
            a = np.array(points, dtype=np.float64).reshape(-1, 2)
            if a.shape[0] >= 3 and np.hypot(*(np.roll(a, -1, axis=0) - a).T).min() > 1e-6:
                from arena.arenas.racing.track import catmull_rom_closed

                centre, width = catmull_rom_closed(a, np.array(widths, dtype=np.float64), per_segment=16)
                tangent = np.roll(centre, -1, axis=0) - np.roll(centre, 1, axis=0)
                normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
                normal /= np.maximum(np.hypot(*normal.T), 1e-12)[:, None]
                half = 0.5 * width[:, None]
                self._spline = centre, centre + normal * half, centre - normal * half
        return self._spline

    def draw(self, screen, camera):
        if self.view.snap:
            _grid_lines(screen, camera, self.grid, _view_bounds(camera))
        spline = self._sampled()
        points = self.data["centreline"]
        if spline is not None:
            centre, left, right = (camera.to_screen(a) for a in spline)
            m = centre.shape[0]
            for i in range(m):
                j = (i + 1) % m
                pygame.draw.polygon(screen, ROAD, [left[i], left[j], right[j], right[i]])
            pygame.draw.lines(screen, KERB, True, left, 2)
            pygame.draw.lines(screen, KERB, True, right, 2)
            pygame.draw.line(screen, START, left[0], right[0], 4)
            ahead = centre[min(3, m - 1)] - centre[0]
            tip = centre[0] + 28 * ahead / max(np.hypot(*ahead), 1e-9)
            pygame.draw.line(screen, START, centre[0], tip, 3)
        elif len(points) >= 2:
            pygame.draw.lines(screen, KERB, len(points) >= 3, camera.to_screen(np.array(points, dtype=np.float64)), 1)
        for i, point in enumerate(points):
            x, y = camera.to_screen(np.array(point, dtype=np.float64))
            colour = PICKED if i == self.picked else START if i == 0 else HANDLE
            pygame.draw.circle(screen, colour, (int(x), int(y)), 7 if i == 0 else 6)
            pygame.draw.circle(screen, (15, 15, 20), (int(x), int(y)), 7 if i == 0 else 6, 1)
        if self.view.doc.problem_at is not None:
            _marker(screen, camera, self.view.doc.problem_at)


class TanksTools:
    """Tools by key: V pick and move, W wall rectangles, L wall lines, A point-spawn regions,
    T tank spawns. Rectangles are dragged out; a wall line is clicked point by point and ended
    with Enter or a right click; a tank spawn is clicked (drag to aim it). Right-click or Delete
    removes what is under the cursor or picked; [ and ] turn a picked spawn or thin and thicken
    a picked wall line; Ctrl+arrows resize the field."""

    grid = 1.0
    name = "tanks"
    TOOLS = {pygame.K_v: "pick", pygame.K_w: "wall", pygame.K_l: "line", pygame.K_a: "region", pygame.K_t: "spawn"}
    KINDS = ("tank_spawns", "wall_lines", "walls", "spawn_regions")  # the order a press looks for things in

    def __init__(self, view):
        self.view = view
        self.tool = "pick"
        self.picked = None  # (kind, index)
        self.anchor = None  # where a drag started (world)
        self.cursor = None  # where the mouse is (world, snapped)
        self.draft_line = []  # points of the wall line being clicked in
        self._moved_from = None  # where the picked thing was last moved to

    @property
    def data(self):
        return self.view.doc.data

    def bounds(self):
        return (0.0, 0.0, float(self.data["width"]), float(self.data["height"]))

    def status(self) -> str:
        d = self.data
        counts = (f"{len(d.get('walls', []))} walls, {len(d.get('wall_lines', []))} wall lines, "
                  f"{len(d['spawn_regions'])} spawn regions, {len(d['tank_spawns'])} tank spawns")
        picked = f" - picked {self.picked[0]} {self.picked[1]}" if self.picked else ""
        return (f"tool: {self.tool} - field {d['width']:g} x {d['height']:g} m - {counts} - "
                f"{d.get('rivals', 0)} rival(s){picked}")

    def help_rows(self):
        return [("V W L A T", "tool: pick/move, wall, wall line, spawn region, tank spawn"),
                ("drag (W, A)", "draw a rectangle"), ("click (L)", "add a point; Enter or right-click ends"),
                ("click (T)", "place a tank spawn (drag to aim it)"), ("drag (V)", "move what is under the cursor"),
                ("right-click / Del", "delete what is under the cursor / picked"),
                ("[ / ]", "turn the picked spawn, or thin / thicken the picked line"),
                ("R / Shift+R", "one scripted rival more / less (each needs its own tank spawn)"),
                ("Ctrl+arrows", "field narrower / wider, lower / taller")]

    def clamp(self, world):
        return [float(min(max(world[0], 0.0), self.data["width"])), float(min(max(world[1], 0.0), self.data["height"]))]

    def hit(self, pixel):
        """(kind, index) of what is under `pixel`, spawns and lines first, or None."""
        camera = self.view.camera
        world = camera.to_world(np.asarray(pixel, dtype=np.float64))
        for kind in self.KINDS:
            items = self.data.get(kind, [])
            for i in range(len(items) - 1, -1, -1):  # the last drawn is on top
                item = items[i]
                if kind == "tank_spawns":
                    if np.hypot(*(camera.to_screen(np.array(item[:2], dtype=np.float64)) - pixel)) <= HIT_PIXELS:
                        return kind, i
                elif kind == "wall_lines":
                    points = np.array(item["points"], dtype=np.float64)
                    if _polyline_distance(points, world) * camera.scale <= 0.5 * item.get("thickness", 1.0) * camera.scale + 4:
                        return kind, i
                else:
                    x0, y0, x1, y1 = item
                    if x0 <= world[0] <= x1 and y0 <= world[1] <= y1:
                        return kind, i
        return None

    def press(self, pixel, world, button):
        world = self.clamp(world)
        if button == 3:
            if self.tool == "line" and self.draft_line:
                self.finish_line()
                return
            found = self.hit(pixel)
            if found:
                self.delete(found)
            return
        self.anchor = world
        self.cursor = world
        if self.tool == "line":
            if not self.draft_line or self.draft_line[-1] != world:
                self.draft_line.append(world)
        elif self.tool == "pick":
            self.picked = self.hit(pixel)
            if self.picked:
                self.view.doc.begin()
                self._moved_from = world

    def motion(self, world):
        world = self.clamp(world)
        self.cursor = world
        if self.tool == "pick" and self.picked and self.anchor is not None:
            dx, dy = world[0] - self._moved_from[0], world[1] - self._moved_from[1]
            if dx or dy:
                self._move(self.picked, dx, dy)
                self._moved_from = world

    def _move(self, picked, dx, dy):
        kind, i = picked
        item = self.data[kind][i]
        if kind == "wall_lines":
            item["points"] = [[x + dx, y + dy] for x, y in item["points"]]
        elif kind == "tank_spawns":
            item[0] += dx
            item[1] += dy
        else:
            item[0] += dx
            item[2] += dx
            item[1] += dy
            item[3] += dy

    def release(self, world):
        world = self.clamp(world)
        anchor, self.anchor = self.anchor, None
        if anchor is None:
            return
        doc = self.view.doc
        if self.tool == "pick":
            doc.end()
        elif self.tool in ("wall", "region"):
            rect = [min(anchor[0], world[0]), min(anchor[1], world[1]), max(anchor[0], world[0]), max(anchor[1], world[1])]
            if rect[2] > rect[0] and rect[3] > rect[1]:
                kind = "walls" if self.tool == "wall" else "spawn_regions"
                doc.change(lambda d: d.setdefault(kind, []).append(rect))
                self.picked = (kind, len(self.data[kind]) - 1)
        elif self.tool == "spawn":
            dx, dy = world[0] - anchor[0], world[1] - anchor[1]
            heading = round(math.degrees(math.atan2(dy, dx))) if math.hypot(dx, dy) > 0 else 0
            doc.change(lambda d: d["tank_spawns"].append([anchor[0], anchor[1], heading]))
            self.picked = ("tank_spawns", len(self.data["tank_spawns"]) - 1)

    def finish_line(self):
        points, self.draft_line = self.draft_line, []
        if len(points) >= 2:
            self.view.doc.change(lambda d: d.setdefault("wall_lines", []).append({"points": points, "thickness": 1.0}))
            self.picked = ("wall_lines", len(self.data["wall_lines"]) - 1)

    def delete(self, picked):
        kind, i = picked
        self.view.doc.change(lambda d: d[kind].pop(i))
        self.picked = None

    def key(self, event) -> bool:
        key, ctrl = event.key, event.mod & pygame.KMOD_CTRL
        doc = self.view.doc
        if key in self.TOOLS and not ctrl:
            self.finish_line()
            self.tool = self.TOOLS[key]
            return True
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER) and self.tool == "line":
            self.finish_line()
            return True
        if key == pygame.K_r and not ctrl:
            from arena.arenas.tanks.params import PARAMS

            step = -1 if event.mod & pygame.KMOD_SHIFT else 1
            doc.change(lambda d: d.__setitem__("rivals", min(max(d.get("rivals", 0) + step, 0), PARAMS.max_rivals)))
            return True
        if ctrl and key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN):
            from arena.arenas.tanks.params import PARAMS

            name = "width" if key in (pygame.K_LEFT, pygame.K_RIGHT) else "height"
            step = 5 if key in (pygame.K_RIGHT, pygame.K_UP) else -5
            doc.change(lambda d: d.__setitem__(name, min(max(d[name] + step, PARAMS.min_field), PARAMS.max_field)))
            return True
        picked = self.picked
        if picked is None or picked[1] >= len(self.data.get(picked[0], [])):
            return False
        kind, i = picked
        if key in (pygame.K_DELETE, pygame.K_BACKSPACE):
            self.delete(picked)
        elif key in (pygame.K_LEFTBRACKET, pygame.K_RIGHTBRACKET) and kind == "tank_spawns":
            step = 15 if key == pygame.K_LEFTBRACKET else -15  # [ turns anticlockwise
            doc.change(lambda d: d[kind][i].__setitem__(2, (d[kind][i][2] + step + 180) % 360 - 180))
        elif key in (pygame.K_LEFTBRACKET, pygame.K_RIGHTBRACKET) and kind == "wall_lines":
            step = 0.5 if key == pygame.K_RIGHTBRACKET else -0.5
            doc.change(lambda d: d[kind][i].__setitem__(
                "thickness", float(min(max(d[kind][i].get("thickness", 1.0) + step, 0.5), 10.0))))
        else:
            return False
        return True

    def cancel(self):
        self.draft_line = []
        self.picked = None

    def draw(self, screen, camera):
        d = self.data
        corner = camera.to_screen(np.array([[0.0, d["height"]], [d["width"], 0.0]]))
        field = pygame.Rect(corner[0], corner[1] - corner[0])
        screen.fill(FIELD_FLOOR, field)
        if self.view.snap:
            _grid_lines(screen, camera, self.grid, self.bounds())
        pygame.draw.rect(screen, WALL, field, 3)

        def rect_of(r):
            (x0, y1), (x1, y0) = camera.to_screen(np.array([[r[0], r[3]], [r[2], r[1]]], dtype=np.float64))
            return pygame.Rect(x0, y1, max(x1 - x0, 1), max(y0 - y1, 1))

        for i, r in enumerate(d["spawn_regions"]):
            pygame.draw.rect(screen, PICKED if self.picked == ("spawn_regions", i) else REGION, rect_of(r), 2)
        for i, r in enumerate(d.get("walls", [])):
            screen.fill(WALL, rect_of(r))
            if self.picked == ("walls", i):
                pygame.draw.rect(screen, PICKED, rect_of(r), 2)
        for i, line in enumerate(d.get("wall_lines", [])):
            colour = PICKED if self.picked == ("wall_lines", i) else WALL
            _thick_polyline(screen, camera, line["points"], line.get("thickness", 1.0), colour)
        for i, (x, y, heading) in enumerate(d["tank_spawns"]):
            centre = camera.to_screen(np.array([x, y], dtype=np.float64))
            radius = max(4, int(1.0 * camera.scale))
            colour = PICKED if self.picked == ("tank_spawns", i) else SPAWN
            pygame.draw.circle(screen, colour, centre.astype(int), radius, 2)
            aim = centre + 2.2 * radius * np.array([math.cos(math.radians(heading)), -math.sin(math.radians(heading))])
            pygame.draw.line(screen, colour, centre, aim, 2)
            label = self.view.small.render(str(i), colour)
            screen.blit(label, (centre[0] + radius + 2, centre[1] - radius - 8))
        if self.anchor is not None and self.cursor is not None and self.tool in ("wall", "region"):
            a, c = self.anchor, self.cursor
            r = [min(a[0], c[0]), min(a[1], c[1]), max(a[0], c[0]), max(a[1], c[1])]
            pygame.draw.rect(screen, DRAFT, rect_of(r), 1)
        if self.draft_line:
            points = self.draft_line + ([self.cursor] if self.cursor else [])
            if len(points) >= 2:
                pygame.draw.lines(screen, DRAFT, False, camera.to_screen(np.array(points, dtype=np.float64)), 2)
        if self.view.doc.problem_at is not None:
            _marker(screen, camera, self.view.doc.problem_at)


def _polyline_distance(points, world):
    """Distance from `world` to the polyline through `points` float64[k, 2]."""
    a, b = points[:-1], points[1:]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", np.asarray(world) - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
    nearest = a + t[:, None] * ab
    return float(np.min(np.hypot(*(nearest - world).T))) if len(a) else float("inf")


def _thick_polyline(screen, camera, points, thickness, colour):
    pixels = camera.to_screen(np.array(points, dtype=np.float64))
    width = max(1, int(round(thickness * camera.scale)))
    if len(pixels) >= 2:
        pygame.draw.lines(screen, colour, False, pixels, width)
    for x, y in pixels:
        pygame.draw.circle(screen, colour, (int(x), int(y)), max(1, width // 2))


class PacmanTools:
    """Paint maze cells with the brush the key picks: W wall, . pellet, O power pellet,
    E empty floor, D ghost-house door, P Pac-Man's start (there is one: painting it moves it),
    G a ghost start. The left button paints, the right one paints empty floor. M mirrors every
    stroke left to right; Ctrl+arrows remove or add a column (right) or a row (bottom)."""

    name = "pacman"
    BRUSHES = {pygame.K_w: "%", pygame.K_PERIOD: ".", pygame.K_o: "o", pygame.K_e: " ", pygame.K_d: "-",
               pygame.K_p: "P", pygame.K_g: "G"}
    BRUSH_NAMES = {"%": "wall", ".": "pellet", "o": "power pellet", " ": "empty", "-": "ghost-house door",
                   "P": "Pac-Man start", "G": "ghost start"}

    def __init__(self, view):
        self.view = view
        self.brush = "."
        self.mirror = False
        self.painting = None  # the character a held button paints
        self.last_cell = None

    @property
    def maze(self):
        return self.view.doc.data["maze"]

    def bounds(self):
        return (0.0, 0.0, float(len(self.maze[0])), float(len(self.maze)))

    def status(self) -> str:
        rows, cols = len(self.maze), len(self.maze[0])
        return f"brush: {self.BRUSH_NAMES[self.brush]} - mirror {'on' if self.mirror else 'off'} - {rows} x {cols} cells"

    def help_rows(self):
        return [("W . O E D P G", "brush: wall, pellet, power, empty, door, Pac-Man, ghost"),
                ("left drag", "paint with the brush"), ("right drag", "paint empty floor"),
                ("M", "mirror strokes left to right"), ("Ctrl+Left/Right", "one column less / more"),
                ("Ctrl+Up/Down", "one row less / more")]

    def cell_at(self, world):
        rows, cols = len(self.maze), len(self.maze[0])
        c, r = int(math.floor(world[0])), rows - 1 - int(math.floor(world[1]))
        return (r, c) if 0 <= r < rows and 0 <= c < cols else None

    def press(self, pixel, world, button):
        if button not in (1, 3):
            return
        self.painting = self.brush if button == 1 else " "
        self.view.doc.begin()
        self.last_cell = None
        self.motion(world)

    def motion(self, world):
        if self.painting is None:
            return
        cell = self.cell_at(world)
        if cell is None:
            return
        # a fast stroke skips cells between two motion events: paint the line between them
        start = self.last_cell or cell
        steps = max(abs(cell[0] - start[0]), abs(cell[1] - start[1]), 1)
        for k in range(steps + 1):
            r = round(start[0] + (cell[0] - start[0]) * k / steps)
            c = round(start[1] + (cell[1] - start[1]) * k / steps)
            self._paint(r, c, self.painting)
        self.last_cell = cell

    def _paint(self, r, c, ch):
        maze = self.maze
        if ch == "P":
            maze[:] = [row.replace("P", " ") for row in maze]
        cells = {(r, c)} if ch == "P" or not self.mirror else {(r, c), (r, len(maze[0]) - 1 - c)}
        for r2, c2 in cells:
            row = maze[r2]
            maze[r2] = row[:c2] + ch + row[c2 + 1:]

    def release(self, world):
        if self.painting is not None:
            self.painting = None
            self.view.doc.end()

    def key(self, event) -> bool:
        key, ctrl = event.key, event.mod & pygame.KMOD_CTRL
        if key in self.BRUSHES and not ctrl:
            self.brush = self.BRUSHES[key]
            return True
        if key == pygame.K_m and not ctrl:
            self.mirror = not self.mirror
            return True
        if ctrl and key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN):
            from arena.arenas.pacman.params import PARAMS

            rows, cols = len(self.maze), len(self.maze[0])

            def resize(data):
                maze = data["maze"]
                if key == pygame.K_RIGHT and cols < PARAMS.max_side:
                    maze[:] = [row + "%" for row in maze]
                elif key == pygame.K_LEFT and cols > 3:
                    maze[:] = [row[:-1] for row in maze]
                elif key == pygame.K_DOWN and rows < PARAMS.max_side:
                    maze.append("%" * cols)
                elif key == pygame.K_UP and rows > 3:
                    maze.pop()

            self.view.doc.change(resize)
            return True
        return False

    def cancel(self):
        pass

    def draw(self, screen, camera):
        maze = self.maze
        rows, cols = len(maze), len(maze[0])
        size = camera.scale
        for r, row in enumerate(maze):
            for c, ch in enumerate(row):
                x, y = camera.to_screen(np.array([c, rows - r], dtype=np.float64))
                cell = pygame.Rect(int(x), int(y), int(size) + 1, int(size) + 1)
                if ch == "%":
                    screen.fill(WALL, cell)
                    continue
                screen.fill((10, 10, 16), cell)
                middle = cell.center
                if ch == ".":
                    pygame.draw.circle(screen, (240, 220, 200), middle, max(1, int(size * 0.12)))
                elif ch == "o":
                    pygame.draw.circle(screen, (240, 220, 200), middle, max(2, int(size * 0.3)))
                elif ch == "-":
                    pygame.draw.line(screen, (240, 160, 200), cell.midleft, cell.midright, max(2, int(size * 0.15)))
                elif ch == "P":
                    pygame.draw.circle(screen, (250, 220, 40), middle, max(2, int(size * 0.4)))
                elif ch == "G":
                    pygame.draw.circle(screen, (240, 70, 70), middle, max(2, int(size * 0.4)))
        if self.mirror:
            top, bottom = camera.to_screen(np.array([[cols / 2, rows], [cols / 2, 0.0]]))
            pygame.draw.line(screen, DRAFT, top, bottom, 1)
        at = self.view.doc.problem_at
        if at is not None:
            _marker(screen, camera, (at[1] + 0.5, rows - at[0] - 0.5))


TOOLS = {"racing": RacingTools, "tanks": TanksTools, "pacman": PacmanTools}
