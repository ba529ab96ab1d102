"""Write the built-in levels in `levels/` (they are data; this records how they were made).

Usage: python tools/make_builtin_levels.py
"""

from pathlib import Path

import numpy as np

from arena.arenas.cartpole import level as cartpole_level
from arena.arenas.racing import level as racing_level
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


def main():
    tunnel_level.save(tunnel_level.classic(), LEVELS / "tunnel" / "classic.json")
    for name, points, width in racing_tracks():
        level = racing_level.build(name, points, width, 1, name)
        racing_level.save(level, LEVELS / "racing" / f"{name}.json")
        print(f"{name}: {level.length:.0f} m, {points.shape[0]} control points")
    for level in cartpole_level.builtin():
        cartpole_level.save(level, LEVELS / "cartpole" / f"{level.name}.json")
        print(f"{level.name}: {level.poles} pole(s), {level.max_steps} ticks, fitness {level.fitness}")


if __name__ == "__main__":
    main()
