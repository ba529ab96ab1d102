"""The level editor: `arena edit ARENA [LEVEL]`."""
