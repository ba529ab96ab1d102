"""Damage to files, shared by the fuzz tests of every loader: to their bytes, and to the
fields of their parsed JSON."""

import copy
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


# -- field-level damage to parsed JSON documents

def containers(children):
    """Lists and objects of `children` (JSON containers, for st.recursive)."""
    return st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)


def junk(odd_values):
    """Any JSON value: one of `odd_values` or a small random tree. Values are copied: a list or
    object put into a document may be edited there by a later edit."""
    return st.sampled_from(odd_values).map(copy.deepcopy) | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=8), containers, max_leaves=12)


def locations(value, path=(), middles=(2,)):
    """Paths into a JSON value: the value, every key, and the first, the last and, for each d of
    `middles`, the len // d-th item of a list."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from locations(item, path + (key,), middles)
    elif isinstance(value, list) and value:
        for index in sorted({0, len(value) - 1, *(len(value) // d for d in middles)}):
            yield from locations(value[index], path + (index,), middles)


def at(document, path):
    for key in path:
        document = document[key]
    return document


def _resize(data, items: list, hows, junk_values) -> None:
    how = data.draw(st.sampled_from(hows), label="how")
    if how == "drop last" and items:
        items.pop()
    elif how == "drop first" and items:
        items.pop(0)
    elif how == "keep few":
        del items[data.draw(st.integers(1, 5), label="kept"):]
    elif how == "clear":
        items.clear()
    elif how == "repeat" and items:
        items.append(copy.deepcopy(items[data.draw(st.integers(0, len(items) - 1), label="item")]))
    elif how == "append":
        items.append(data.draw(junk_values, label="value"))
    elif how == "double":
        items.extend(copy.deepcopy(items))
    elif how == "reverse":
        items.reverse()


def corrupt_structure(data, document, others: list, *, edits, junk_values, near, swap_depth: int, resizes,
                      middles=(2,), own_edits=None):
    """`document` (parsed JSON, changed in place) after one to three field-level edits drawn from
    `data`. `edits` names the kinds drawn from (repeat a name to weigh it): delete, retype (to
    `junk_values`), near (`near(data, value)`: the same type, close or at a boundary), resize (a
    list, one of `resizes`), swap (a section of one of `others` at the same place, at most
    `swap_depth` deep), nest (wrap a value in lists and objects), or a name of `own_edits`,
    called as `edit(data, document, paths)`."""
    own_edits = own_edits or {}
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        paths = list(locations(document, middles=middles))
        edit = data.draw(st.sampled_from(edits), label="edit")
        if edit in own_edits:
            own_edits[edit](data, document, paths)
        elif edit == "delete":
            keys = [p for p in paths if p and isinstance(p[-1], str)]
            if keys:
                path = data.draw(st.sampled_from(keys), label="path")
                del at(document, path[:-1])[path[-1]]
        elif edit == "retype" and len(paths) > 1:
            path = data.draw(st.sampled_from(paths[1:]), label="path")
            at(document, path[:-1])[path[-1]] = data.draw(junk_values, label="value")
        elif edit == "near" and len(paths) > 1:
            path = data.draw(st.sampled_from(paths[1:]), label="path")
            at(document, path[:-1])[path[-1]] = near(data, at(document, path))
        elif edit == "resize":
            lists = [p for p in paths if isinstance(at(document, p), list)]
            if lists:
                _resize(data, at(document, data.draw(st.sampled_from(lists), label="path")), resizes, junk_values)
        elif edit == "swap":
            other = data.draw(st.sampled_from(others), label="other")
            path = data.draw(st.sampled_from([p for p in locations(other, middles=middles)
                                              if 0 < len(p) <= swap_depth]), label="path")
            try:
                at(document, path[:-1])[path[-1]] = copy.deepcopy(at(other, path))
            except (KeyError, IndexError, TypeError):
                pass  # no such place in this document
        elif edit == "nest" and len(paths) > 1:
            path = data.draw(st.sampled_from(paths[1:]), label="path")
            value = at(document, path)
            for _ in range(data.draw(st.integers(1, 40), label="depth")):
                value = [value] if data.draw(st.booleans(), label="list") else {"x": value}
            at(document, path[:-1])[path[-1]] = value
    return document
