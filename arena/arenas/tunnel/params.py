"""Constants of the tunnel arena (seed 001)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TunnelParams:
    sensor_offsets: tuple = (0, 5, 9)  # columns ahead at which the walls are sensed
    force_offset: float = 0.5  # force = network output - this (output is a sigmoid)
    generated_length: int = 4000  # columns of a generated test track
    generated_sigma: float = 10.0  # gaussian filter width of a generated track, columns
    generated_scale: float = 20.0  # height scale of a generated track
    max_level_length: int = 1_000_000  # columns; longer level files are refused


PARAMS = TunnelParams()
LOOKAHEAD = max(PARAMS.sensor_offsets)
