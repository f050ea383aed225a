"""Fixtures that fake the world: a fixed machine instead of detection, and a CLI runner around main()."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from willitrun.catalog.load import Catalog, load_catalog
from willitrun.estimate.types import GIB, Cpu, Machine


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


FAKE_MACHINE = Machine(
    devices=(),
    ram_bytes=32 * GIB,
    ram_free_bytes=28 * GIB,
    ram_bandwidth_gbps=60.0,
    cpu=Cpu("Fake CPU 8-core", 8, 16, ("avx2", "fma")),
    source="detected",
    notes=("no GPU found: estimating for the CPU",),
)


@pytest.fixture(autouse=True)
def fake_detect(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Never look at the real hardware in tests: detection returns a fixed CPU-only machine."""
    import willitrun.hardware.detect as det

    monkeypatch.setattr(det, "detect", lambda cat=None, gpus=True: FAKE_MACHINE)
    monkeypatch.delenv("WILLITRUN_CATALOG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run the real entry point with arguments; returns exit code, stdout and stderr."""
    from willitrun.cli import main

    def _run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return _run
