import os
import shutil
import subprocess
import time

import pytest

from arena.arenas import load_all

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def registry():
    return load_all()


@pytest.fixture(scope="session")
def levels(registry):
    """{arena name: [levels]}: every built-in level plus one generated level per arena."""
    out = {}
    for name, arena in registry.items():
        out[name] = [arena.load_level(p) for p in arena.builtin_levels()] + [arena.generate_level(7)]
    return out


@pytest.fixture(scope="module")
def display():
    """A DISPLAY to draw on: the one given, or a private Xvfb started for these tests."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        if IN_CI:
            pytest.fail("CI must run the window tests: Xvfb is missing (.ci/run installs it)")
        pytest.skip("no display and no Xvfb to start one")
    for number in range(91, 120):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def gl_context(display):
    """A current OpenGL context: a small hidden pygame OPENGL window on the test display."""
    import pygame

    pygame.display.init()
    try:
        pygame.display.set_mode((64, 64), pygame.OPENGL | pygame.HIDDEN)
    except pygame.error as exc:
        pygame.display.quit()
        pytest.fail(f"no OpenGL on the test display: {exc}")
    yield
    pygame.display.quit()
