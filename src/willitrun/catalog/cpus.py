"""The CPU catalog (data/cpus.yaml): `--cpu NAME` on the command line, and the CPUs of the calibration data.

Loaded on first use only (start-up stays fast); each entry becomes a `CpuSpec`, whose `cpu()` is the estimate
core's `Cpu` and whose `bandwidth_gbps` is the memory's peak (bus width x transfer rate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from willitrun.errors import CatalogError, UnknownNameError
from willitrun.estimate.types import Cpu, Record

__all__ = ["CpuSpec", "load_cpus", "match_detected", "resolve_cpu"]


@dataclass(frozen=True, eq=False, repr=False)
class CpuSpec(Record):
    id: str
    name: str
    vendor: str
    cores: int
    threads: int
    clock_ghz: float
    flags: tuple[str, ...]
    memory_type: str
    bus_bits: int
    mts: int
    source: str
    aliases: tuple[str, ...] = ()
    efficiency_cores: int = 0
    flops_per_cycle: int = 0

    @property
    def bandwidth_gbps(self) -> float:
        """Peak memory bandwidth: bus width in bytes x millions of transfers per second."""
        return self.bus_bits / 8 * self.mts / 1000.0

    def cpu(self, use_threads: int = 0) -> Cpu:
        return Cpu(
            name=self.name,
            cores=self.cores,
            threads=self.threads,
            flags=self.flags,
            clock_ghz=self.clock_ghz,
            use_threads=use_threads,
            catalog_id=self.id,
            efficiency_cores=self.efficiency_cores,
            flops_per_cycle=self.flops_per_cycle,
        )


def _entry(i: int, r: Any) -> CpuSpec:
    if not isinstance(r, dict):
        raise CatalogError(f"cpus.yaml: item {i + 1} is not a mapping")
    mem = r.get("memory") or {}
    try:
        spec = CpuSpec(
            id=str(r["id"]),
            name=str(r["name"]),
            vendor=str(r["vendor"]),
            cores=int(r["cores"]),
            threads=int(r["threads"]),
            clock_ghz=float(r["clock_ghz"]),
            flags=tuple(str(f) for f in r.get("flags") or ()),
            memory_type=str(mem["type"]),
            bus_bits=int(mem["bus_bits"]),
            mts=int(mem["mts"]),
            source=str(r["source"]),
            aliases=tuple(str(a) for a in r.get("aliases") or ()),
            efficiency_cores=int(r.get("efficiency_cores") or 0),
            flops_per_cycle=int(r.get("flops_per_cycle") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"cpus.yaml: item {i + 1} lacks or mistypes {exc}") from None
    bad_cores = spec.cores < 1 or not 0 <= spec.efficiency_cores < spec.cores or spec.threads < spec.cores
    if bad_cores or spec.bus_bits < 16 or spec.mts < 100 or not spec.source:
        raise CatalogError(f"cpus.yaml: {spec.id}: implausible cores, threads or memory, or no source")
    return spec


@lru_cache(maxsize=1)
def load_cpus() -> tuple[CpuSpec, ...]:
    from willitrun.catalog.load import cached_records, data_dir, revive

    path = data_dir() / "cpus.yaml"

    def build(raw: Any) -> dict[str, list[Any]]:
        items = raw.get("cpus") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            raise CatalogError(f"{path}: expected a 'cpus' list")
        return {"cpus": [_entry(i, r) for i, r in enumerate(items)]}

    return tuple(revive(CpuSpec, cached_records(path, "cpus", build)["cpus"]))


def _words(s: str) -> tuple[str, ...]:
    s = re.sub(r"\((r|tm)\)", " ", s.lower())
    return tuple(w for w in re.split(r"[^a-z0-9+]+", s) if w and w not in {"amd", "intel", "processor", "cpu"})


def match_detected(name: str) -> CpuSpec | None:
    """The catalog CPU whose name's words the OS's name for it contains in order ('AMD Ryzen 9 7950X 16-Core
    Processor' -> Ryzen 9 7950X; a 7950X3D matches nothing rather than the 7950X); the longest such name wins.
    None when none matches."""
    have = _words(name)
    best: tuple[int, CpuSpec] | None = None
    for c in load_cpus():
        for n in (c.name, *c.aliases):
            w = _words(n)
            k = len(w)
            inside = any(have[i : i + k] == w for i in range(len(have) - k + 1))
            if k and inside and sum(map(len, w)) >= 4 and (best is None or k > best[0]):
                best = (k, c)
    return best[1] if best else None


def _key(s: str) -> str:
    s = re.sub(r"\((r|tm)\)", "", s.lower())
    return re.sub(r"[^a-z0-9+]+", "", s.replace("amd", "").replace("intel", "").replace("processor", ""))


def exact_cpu(name: str) -> CpuSpec | None:
    """The catalog CPU whose id, name or alias is `name` (ignoring case, spaces and vendor names), else None."""
    want = _key(name)
    for c in load_cpus():
        if want in {_key(c.id), _key(c.name), *(_key(a) for a in c.aliases)}:
            return c
    return None


def resolve_cpu(name: str) -> CpuSpec:
    """The catalog CPU a name means: an id, the name or an alias (ignoring case, spaces and vendor names), or the
    name the OS reports for it ('AMD Ryzen 9 7950X3D 16-Core Processor')."""
    want = _key(name)
    cpus = load_cpus()
    exact = exact_cpu(name)
    if exact is not None:
        return exact
    named = match_detected(name)  # the OS's own name for it, pasted from lscpu or Task Manager
    if named is not None:
        return named
    close = [c for c in cpus if want and (want in _key(c.name) or any(want in _key(a) for a in c.aliases))]
    if len(close) == 1:
        return close[0]
    import difflib

    names = [c.name for c in cpus]
    hints = [c.name for c in close] or difflib.get_close_matches(name, names, n=4, cutoff=0.4)
    raise UnknownNameError("CPU", name, hints)
