"""Registries: plain dicts from a name to a spec, with lookups that fail with a clear error."""

from arena.core.errors import ArenaError


class Registry(dict):
    """A dict of specs by name. `kind` names what it holds, for messages ("arena")."""

    def __init__(self, kind: str, error_class=ArenaError):
        super().__init__()
        self.kind = kind
        self.error_class = error_class

    def register(self, name: str, spec):
        if name in self:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self[name] = spec
        return spec

    def get_spec(self, name: str):
        try:
            return self[name]
        except KeyError:
            known = ", ".join(sorted(self)) or "none"
            raise self.error_class(f"unknown {self.kind} {name!r} (known: {known})") from None
