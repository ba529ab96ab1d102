"""The sandbox's frame rates and its max-speed evolution rate against headless training.

Runs `arena play racing --population 500` for 600 frames at 1x and at max speed (on $DISPLAY,
or a private Xvfb), then times headless training over the very generations the max-speed window
completed (same seed, so the same generations) twice: as `arena train` runs them (its `wall_s`,
metrics and checkpoints included: the issue's comparison) and as bare `TrainSession.step` calls
(a stricter one). Prints one JSON line: {"fps_median_1x", "fps_p5_1x", "fps_median_max",
"fps_p5_max", "generations_window", "window_generations_per_s", "train_generations_per_s",
"ratio_to_train", "step_generations_per_s", "ratio_to_step"}.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from arena.session import TrainConfig, TrainSession

POPULATION = 500
FRAMES = 600


def play(*extra):
    done = subprocess.run([sys.executable, "-m", "arena", "play", "racing", "--population", str(POPULATION),
                           "--frames", str(FRAMES), "--json", "--no-autosave", *extra],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    server = None
    if not os.environ.get("DISPLAY"):
        if shutil.which("Xvfb") is None:
            sys.exit("bench_play: no DISPLAY and no Xvfb")
        server = subprocess.Popen(["Xvfb", ":77", "-screen", "0", "1600x1000x24"], stderr=subprocess.DEVNULL)
        os.environ["DISPLAY"] = ":77"
        time.sleep(1.0)
    try:
        normal = play()
        fastest = play("--speed", "max")
    finally:
        if server:
            server.terminate()
    generations = fastest["generations_closed"]
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-m", "arena", "train", "racing", "--population", str(POPULATION),
                               "--generations", str(generations), "--seed", "0", "--json", "--out",
                               os.path.join(folder, "run")], capture_output=True, text=True, check=True)
    train_rate = generations / json.loads(done.stdout.strip().splitlines()[-1])["wall_s"]
    TrainSession(TrainConfig("racing", population=POPULATION, seed=1)).step()  # kernels loaded, as in the window
    session = TrainSession(TrainConfig("racing", population=POPULATION, seed=0))
    started = time.perf_counter()
    for _ in range(generations):
        session.step()
    step_rate = generations / (time.perf_counter() - started)
    window_rate = generations / fastest["seconds"]
    print(json.dumps({
        "fps_median_1x": normal["fps_median"], "fps_p5_1x": normal["fps_p5"],
        "fps_median_max": fastest["fps_median"], "fps_p5_max": fastest["fps_p5"],
        "generations_window": generations, "window_generations_per_s": round(window_rate, 2),
        "train_generations_per_s": round(train_rate, 2), "ratio_to_train": round(window_rate / train_rate, 3),
        "step_generations_per_s": round(step_rate, 2), "ratio_to_step": round(window_rate / step_rate, 3),
    }))


if __name__ == "__main__":
    main()
