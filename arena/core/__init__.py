"""Foundations every layer may use: errors, seeding, registries, spec types, safe file I/O."""
