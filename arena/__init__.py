"""Neuroarena: neuroevolving agents in arcade arenas."""

import hashlib
import os
from pathlib import Path

__version__ = "0.1.0"


# Modules no kernel reads: the window, the command line, files, runs and the backends that hand
# kernels their work. Editing them must not throw away minutes of compiled kernels.
NOT_KERNEL_SOURCES = ("ui/", "persist/", "evaluate/", "envs/", "matches/", "cli.py", "session.py", "skinlab.py",
                      "skins.py", "bench.py", "bench_neat.py", "render.py", "behaviour.py", "novelty.py")


def kernel_sources(package: Path) -> list:
    """The .py files under `package` that kernels may be compiled from or freeze constants of."""
    return [path for path in sorted(package.rglob("*.py"))
            if not any(path.relative_to(package).as_posix().startswith(skip) or path.name == skip
                       for skip in NOT_KERNEL_SOURCES)]


def source_digest(package: Path) -> str:
    """A hash of the kernel sources under `package` (names and contents), 16 hex digits."""
    digest = hashlib.sha256(__version__.encode())
    for path in kernel_sources(package):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key_numba_cache_to_sources() -> None:
    """Point numba's on-disk cache at a folder named by a hash of this package's sources.

    numba invalidates a cached kernel only when the kernel's own file changes, not when a
    function it inlines from another module (the network forward) or a constant it froze
    (arena params) changes: an edit there silently kept running the old machine code. With
    the folder keyed to every kernel source file, any edit there compiles afresh. Must run before numba is
    imported, because numba reads NUMBA_CACHE_DIR once; a user's own setting wins.
    """
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neuroarena" / "numba"
    os.environ["NUMBA_CACHE_DIR"] = str(base / source_digest(Path(__file__).resolve().parent))


_key_numba_cache_to_sources()
