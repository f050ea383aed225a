"""Where willitrun keeps its own files: a cache directory (never a file the user owns), and the one way files
are written there (whole or not at all) and read back."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


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


def write_atomic(path: Path, data: bytes) -> bool:
    """Write a cache file whole or not at all: a temporary file beside it, renamed into place, so a reader (or a
    second willitrun running at the same time) never sees half a file. False when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        return False


def read_cache(path: Path) -> Any:
    """The JSON that write_cache stored, or None when the file is missing or unreadable."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_cache(path: Path, value: Any) -> bool:
    """Store plain data as compact JSON (never a format that can run code when read back)."""
    import json

    try:
        data = json.dumps(value, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError):
        return False
    return write_atomic(path, data)
