"""Benchmark tasks that are not arenas: no level, no live play, just a fitness function."""
