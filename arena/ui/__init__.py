"""The pygame-ce window: the app, its views, and the live run they show."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # stdout is for --json
