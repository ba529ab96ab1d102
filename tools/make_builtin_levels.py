"""Write the built-in levels in `levels/` (they are data; this records how they were made).

Usage: python tools/make_builtin_levels.py
"""

from pathlib import Path

import numpy as np

from arena.arenas.cartpole import level as cartpole_level
from arena.arenas.racing import level as racing_level
from arena.arenas.tanks import level as tanks_level
from arena.arenas.tunnel import level as tunnel_level

LEVELS = Path(__file__).resolve().parents[1] / "levels"


def polar(radius, count):
    angles = np.arange(count) * 2 * np.pi / count
    r = radius(angles)
    return np.round(np.stack([r * np.cos(angles), r * np.sin(angles)], axis=1), 1)


def racing_tracks():
    # 1: a wide oval, gentle everywhere.
    oval = polar(lambda a: 1.0, 16) * [110.0, 60.0]
    yield "1-oval", oval, 16.0
    # 2: three lobes, so the car must steer both ways.
    yield "2-trefoil", polar(lambda a: 95.0 * (1.0 + 0.28 * np.cos(3 * a)), 24), 13.0
    # 3: a hairpin, a chicane and a narrow back straight.
    yield "3-hairpins", np.array([
        [0, 0], [40, 0], [80, 0], [100, 10], [120, 0], [160, 0], [178, 12], [178, 34], [160, 46],
        [120, 46], [96, 46], [84, 58], [84, 80], [70, 92], [52, 80], [52, 58], [40, 46], [10, 46],
        [-12, 38], [-20, 22], [-14, 6],
    ], dtype=float), [12, 12, 12, 10, 12, 12, 12, 12, 12, 9, 9, 10, 10, 10, 10, 10, 9, 9, 11, 12, 12]


def deceptive_tracks():
    """(name, keyword arguments of `racing_level.build`) of tracks with a goal and dead ends."""
    # 6: the novelty search paper's hard maze as a track. Cars start heading north, and straight
    # on is a dead end, wider than the track (12 m against 8), that points at the goal on the top
    # straight 138 m north and stops 37 m short of it, behind a 33 m wall. The way there turns
    # right, away from the goal, and comes back round. To a fitness of closeness to the goal, a
    # car at the dead end's end scores 0.72, one on the east side (farther from the goal than the
    # start) below 0, and only one within 38 m of the goal does better.
    yield "6-dead-end", dict(points=np.array([
        [0, 0], [0, 10], [2, 20], [10, 28], [22, 33], [40, 35], [130, 34], [146, 42], [152, 60], [152, 110],
        [146, 128], [130, 136], [30, 138], [0, 138], [-30, 138], [-50, 128], [-56, 110], [-56, 20], [-52, -2],
        [-40, -18], [-22, -24], [-8, -20], [0, -10]], dtype=float), widths=8.0, laps=1, goal=0.609,
        dead_ends=[([[0.0, 22.0], [0.0, 95.0]], 12.0)])


def pillar(cx, cy, half):
    return [cx - half, cy - half, cx + half, cy + half]


def tank_fields():
    """(name, keyword arguments of `tanks_level.build`) of the built-in tank fields."""
    # 1: an open field, solo: learn to steer to the points.
    yield "1-open", dict(width=50, height=36, walls=[], spawn_regions=[[3, 3, 47, 33]],
                         tank_spawns=[[25, 18, 90]], points_active=3, rivals=0, seconds=40, target=60)
    # 2: eight pillars and a bar in the middle, solo: the greedy tank gets pinned behind them, rays help.
    pillars = [pillar(x, y, 1.5) for x in (12, 24, 36, 48) for y in (10, 30)] + [[22, 19, 38, 21]]
    yield "2-pillars", dict(width=60, height=40, walls=pillars, spawn_regions=[[2, 2, 58, 38]],
                            tank_spawns=[[6, 20, 0], [54, 20, 180]], points_active=3, rivals=0, seconds=90, target=100)
    # 3: four rooms joined by doors, shared with one greedy rival: points go to the quicker tank.
    rooms = [[34.5, 0, 35.5, 20], [34.5, 30, 35.5, 50], [0, 24.5, 12, 25.5], [22, 24.5, 34.5, 25.5],
             [35.5, 24.5, 48, 25.5], [58, 24.5, 70, 25.5]]
    yield "3-rooms", dict(width=70, height=50, walls=rooms,
                          spawn_regions=[[2, 2, 33, 23], [2, 27, 33, 48], [37, 2, 68, 23], [37, 27, 68, 48]],
                          tank_spawns=[[17, 12, 90], [52, 38, -90]], points_active=4, rivals=1, seconds=60, target=80)


def main():
    tunnel_level.save(tunnel_level.classic(), LEVELS / "tunnel" / "classic.json")
    for name, points, width in racing_tracks():
        level = racing_level.build(name, points, width, 1, name)
        racing_level.save(level, LEVELS / "racing" / f"{name}.json")
        print(f"{name}: {level.length:.0f} m, {points.shape[0]} control points")
    for name, fields in deceptive_tracks():
        level = racing_level.build(name, source=name, **fields)
        racing_level.save(level, LEVELS / "racing" / f"{name}.json")
        print(f"{name}: {level.length:.0f} m, goal at {level.goal_xy.round(1).tolist()}")
    for level in cartpole_level.builtin():
        cartpole_level.save(level, LEVELS / "cartpole" / f"{level.name}.json")
        print(f"{level.name}: {level.poles} pole(s), {level.max_steps} ticks, fitness {level.fitness}")
    for name, fields in tank_fields():
        level = tanks_level.build(name, **fields)
        tanks_level.save(level, LEVELS / "tanks" / f"{name}.json")
        print(f"{name}: {level.width:g} x {level.height:g} m, {len(level.walls)} walls, {level.rivals} rival(s)")


if __name__ == "__main__":
    main()
