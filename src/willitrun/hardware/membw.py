"""System RAM bandwidth: measured once on this machine and remembered in the user cache directory.

A timed copy of a buffer far larger than the CPU caches, split over several threads (ctypes' memmove lets go of
the interpreter lock, so the threads copy at once, as llama.cpp's do): bytes read plus bytes written, per
second, best of a few rounds. Detection runs it the first time it needs the figure (about a third of a second)
and reads the remembered one after that; `willitrun detect --measure` runs it again.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date

from willitrun.paths import cache_dir

FILE = "ram_bandwidth.json"


def measure(size_mib: int = 256, repeats: int = 4, threads: int | None = None) -> float:
    """GB/s of a large memory copy over `threads` threads (default: one per CPU, at most 16), best of `repeats`."""
    import ctypes
    import threading

    n_threads = max(1, min(threads or os.cpu_count() or 1, 16))
    n = size_mib * 1024**2
    chunk = n // n_threads
    n = chunk * n_threads
    src = (ctypes.c_char * n)()
    dst = (ctypes.c_char * n)()
    ctypes.memset(src, 1, n)  # touch every page before timing
    ctypes.memset(dst, 0, n)
    s0, d0 = ctypes.addressof(src), ctypes.addressof(dst)
    best = 0.0
    for _ in range(repeats):
        workers = [
            threading.Thread(target=ctypes.memmove, args=(d0 + i * chunk, s0 + i * chunk, chunk))
            for i in range(n_threads)
        ]
        t = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
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
    """(GB/s, date) of the remembered measurement, if any."""
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


def measure_once() -> float | None:
    """The real measurement, for Probe.measure_bandwidth; None when it cannot run (no memory for the buffers)."""
    try:
        return measure()
    except (MemoryError, OSError, RuntimeError):
        return None
