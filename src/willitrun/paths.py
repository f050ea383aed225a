"""Where willitrun keeps its own files: a cache directory (never a file the user owns)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_dir() -> Path | None:
    """The user cache directory for willitrun (WILLITRUN_CACHE_DIR overrides); None when no home is known."""
    env = os.environ.get("WILLITRUN_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base, "willitrun", "Cache") if base else None
    if sys.platform == "darwin":
        home = os.environ.get("HOME")
        return Path(home, "Library", "Caches", "willitrun") if home else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg, "willitrun")
    home = os.environ.get("HOME")
    return Path(home, ".cache", "willitrun") if home else None
