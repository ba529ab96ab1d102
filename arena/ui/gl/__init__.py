"""The OpenGL side of the window: CPPN shaders (and, to come, the overlay)."""
