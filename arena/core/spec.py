"""Spec types: what an arena asks of the brains that play in it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleSpec:
    """One role of an arena (a driver, a tank, a ghost) and the network it needs."""

    name: str
    observation: tuple  # names of the network inputs, in order
    action: tuple  # names of the network outputs, in order
    action_kind: str  # "continuous" (outputs used as values) or "discrete" (argmax)
    output_activation: str  # activation of the output layer of a fresh MLP
    hidden_activation: str  # activation of the hidden layers of a fresh MLP
    default_hidden: tuple  # hidden layer sizes of a fresh MLP
    agents: int = 1  # agents of this role in each environment, each with its own network (4 ghosts)

    @property
    def n_inputs(self) -> int:
        return len(self.observation)

    @property
    def n_outputs(self) -> int:
        return len(self.action)


@dataclass(frozen=True)
class ArenaSpec:
    """Name, roles and the version of their observation and action specs.

    `version` changes whenever the meaning of an input or output changes, so a brain file
    made for another version is refused instead of driving blind.
    """

    name: str
    version: int
    roles: tuple  # RoleSpec, ...
    description: str

    def role(self, name: str) -> RoleSpec:
        for role in self.roles:
            if role.name == name:
                return role
        known = ", ".join(r.name for r in self.roles)
        raise KeyError(f"arena {self.name!r} has no role {name!r} (roles: {known})")
