"""The seam between detection and the machine: files under a root, commands with a time-out, the platform.

Every vendor module reads the world only through a Probe, so tests hand them fake sysfs trees and recorded
command outputs; nothing they do can raise past detection.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from willitrun.estimate.types import Record

Runner = Callable[[list[str], float], "str | None"]
Meter = Callable[[], "float | None"]


def measure_bandwidth() -> float | None:
    """This machine's RAM bandwidth in GB/s, timed now (hardware/membw.py)."""
    from willitrun.hardware.membw import measure_once

    return measure_once()


def run_command(cmd: list[str], timeout: float) -> str | None:
    """A command's stdout, or None when it is missing, fails, or outlives its time-out. Never a shell."""
    import subprocess

    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, errors="replace")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if r.returncode != 0:
        return None
    return r.stdout


@dataclass(frozen=True, eq=False, repr=False)
class Probe(Record):
    root: Path = Path("/")
    run: Runner = run_command
    platform: str = sys.platform
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    measure_bandwidth: Meter = measure_bandwidth  # GB/s of a timed copy; tests hand in a fixed figure

    def path(self, p: str) -> Path:
        return self.root / p.lstrip("/")

    def read(self, p: str, limit: int = 1_000_000) -> str | None:
        """A small text file (sysfs, /proc), or None."""
        try:
            with open(self.path(p), encoding="utf-8", errors="replace") as fh:
                return fh.read(limit).strip()
        except (OSError, ValueError):
            return None

    def read_int(self, p: str) -> int | None:
        text = self.read(p, 100)
        if text is None:
            return None
        try:
            return int(text, 0)
        except ValueError:
            return None

    def exists(self, p: str) -> bool:
        try:
            return self.path(p).exists()
        except OSError:
            return False

    def glob(self, folder: str, pattern: str) -> list[Path]:
        try:
            return sorted(self.path(folder).glob(pattern))
        except OSError:
            return []


@dataclass(frozen=True, eq=False, repr=False)
class RawGpu(Record):
    """What a vendor probe learnt of one GPU, before the catalog adds speed figures."""

    name: str
    vendor: str
    backend: str
    memory_bytes: int  # 0 = not reported (unified memory)
    free_bytes: int
    how: str
    driver: str | None = None
    pci_id: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    unified: bool = False
    system_ram_bytes: int | None = None  # a unified-memory chip's whole RAM, where the probe read it (Apple)
