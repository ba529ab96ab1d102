"""Neuroarena: neuroevolving agents in arcade arenas."""

__version__ = "0.1.0"
