"""Skin files (`*.skin.json`): one CPPN genome, as the skin lab saves a chosen picture.

Format v1::

    {"format": "arena.skin", "version": 1,
     "cppn": {"type": "cppn", "inputs": 5, "outputs": 4, "nodes": [...], "connections": [...]},
     "provenance": {"generation": 12, ...}}

"cppn" is the object a brain file's "skin" holds (`brainfile.skin_to_data`). `load_skin` also
reads the skin out of a brain file, so `arena skins render --genome` takes either.
"""

import os
from pathlib import Path

from arena.brains.neat.genome import NeatGenomes
from arena.core.errors import BrainError
from arena.core.fileio import read_json, write_json
from arena.persist import brainfile

FORMAT = "arena.skin"
VERSION = 1


def skin_file_data(genomes: NeatGenomes, index: int, provenance=None) -> dict:
    return {"format": FORMAT, "version": VERSION, "cppn": brainfile.skin_to_data(genomes, index),
            "provenance": brainfile._json_value(dict(provenance or {}), "provenance")}


def save_skin(path, genomes: NeatGenomes, index: int, provenance=None, overwrite: bool = False) -> None:
    """Write CPPN genome `index` of `genomes` to `path` atomically; an existing file is an error
    unless `overwrite`."""
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise BrainError(f"{path}: already exists (not overwriting it)")
    write_json(path, skin_file_data(genomes, index, provenance), BrainError)


def skin_from_file_data(data, source: str) -> NeatGenomes:
    """The CPPN genome in a parsed skin file or brain file; `BrainError` naming `source` otherwise."""
    form = data.get("format", brainfile._MISSING) if isinstance(data, dict) else brainfile._MISSING
    if form == brainfile.FORMAT:
        brain = brainfile.from_data(data, source)
        if brain.skin is None:
            raise BrainError(f"{source}: this brain has no skin (field 'skin' is missing)")
        return brain.skin
    if form != FORMAT:
        raise BrainError(f"{source}: not a skin file (field 'format' is {brainfile._describe(form)}, "
                         f"expected {FORMAT!r} or {brainfile.FORMAT!r})")
    version = data.get("version")
    if not brainfile._is_int(version) or version != VERSION:
        raise BrainError(f"{source}: skin version {brainfile._describe(version)} is not supported "
                         f"(this program reads {VERSION})")
    if not isinstance(data.get("provenance", {}), dict):
        raise brainfile._wrong(source, "provenance", data.get("provenance"), "an object")
    return brainfile.skin_from_data(data.get("cppn", brainfile._MISSING), source, "cppn")


def load_skin(path) -> NeatGenomes:
    """The CPPN genome in the skin file, or brain file with a skin, at `path`, fully validated."""
    return skin_from_file_data(read_json(path, "skin", BrainError), str(path))
