"""Measure system RAM bandwidth (`willitrun detect --measure`) and remember it in the user cache directory.

A timed copy of a buffer far larger than the CPU caches: bytes read plus bytes written, per second. One thread
copying cannot saturate every memory channel, so this is a floor for what llama.cpp's threads reach.
"""

from __future__ import annotations

import json
import time
from datetime import date

from willitrun.paths import cache_dir

FILE = "ram_bandwidth.json"


def measure(size_mib: int = 256, repeats: int = 6) -> float:
    """GB/s of a large memory copy (best of `repeats`)."""
    n = size_mib * 1024**2
    src = bytearray(n)
    src[::4096] = b"\x01" * len(src[::4096])  # touch every page
    dst = bytearray(n)
    view_s, view_d = memoryview(src), memoryview(dst)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        view_d[:] = view_s
        dt = time.perf_counter() - t
        if dt > 0:
            best = max(best, 2 * n / dt / 1e9)
    return best


def save(gbps: float) -> str | None:
    """Write the measurement to the cache; the path, or None when the cache cannot be written."""
    d = cache_dir()
    if d is None:
        return None
    from willitrun.paths import write_atomic

    record = {"ram_bandwidth_gbps": round(gbps, 2), "date": date.today().isoformat()}
    return str(d / FILE) if write_atomic(d / FILE, json.dumps(record).encode("utf-8")) else None


def load() -> tuple[float, str] | None:
    """(GB/s, date) from an earlier --measure, if any."""
    d = cache_dir()
    if d is None:
        return None
    try:
        data = json.loads((d / FILE).read_text(encoding="utf-8"))
        v = float(data["ram_bandwidth_gbps"])
        if 0.1 <= v <= 10000:
            return v, str(data.get("date", "?"))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None
