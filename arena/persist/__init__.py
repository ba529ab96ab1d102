"""Persistence: the files users keep (brain files), written atomically and validated on load."""
