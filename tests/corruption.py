"""Byte-level damage to files, shared by the fuzz tests of every loader."""

import re

from hypothesis import strategies as st

NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
DIGIT = re.compile(rb"\d")


def corrupt_bytes(data, raw: bytes, edits, odd_bytes, huge_numbers) -> bytes:
    """`raw` after one to three byte-level edits drawn from `data`: `edits` names the kinds
    allowed, `odd_bytes` and `huge_numbers` what insertions and number swaps draw from."""
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit = data.draw(st.sampled_from(edits), label="edit")
        where = data.draw(st.integers(0, len(raw)), label="where")
        if edit == "truncate":
            raw = raw[:where]
        elif edit == "flip" and where < len(raw):
            raw = raw[:where] + bytes([raw[where] ^ data.draw(st.integers(1, 255), label="mask")]) + raw[where + 1:]
        elif edit == "insert":
            raw = raw[:where] + data.draw(st.sampled_from(odd_bytes) | st.binary(min_size=1, max_size=8),
                                       label="bytes") + raw[where:]
        elif edit == "delete":
            raw = raw[:where] + raw[where + data.draw(st.integers(1, 64), label="length"):]
        elif edit == "digit" and (found := DIGIT.search(raw, where)):  # often still valid JSON
            raw = raw[:found.start()] + data.draw(st.sampled_from(b"0123456789"), label="digit").to_bytes(1, "big") \
                + raw[found.end():]
        elif edit == "number" and (found := NUMBER.search(raw, where)):
            raw = raw[:found.start()] + data.draw(st.sampled_from(huge_numbers), label="number") + raw[found.end():]
        elif edit == "nest" and (found := NUMBER.search(raw, where)):  # deeper than any parser recursion
            depth = data.draw(st.sampled_from([2, 50, 5000, 100_000]), label="depth")
            raw = raw[:found.start()] + b"[" * depth + found.group() + b"]" * depth + raw[found.end():]
        elif edit == "empty":
            raw = b""
    return raw
