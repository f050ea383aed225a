"""A non-editable install from the built wheel finds its data and answers from outside the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("willitrun-*.whl")
    return whl


def test_wheel_ships_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "willitrun/data/models.yaml" in names
    assert "willitrun/data/gpus.yaml" in names


def test_installed_wheel_runs_check(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    # the test run's own site-packages supply the dependencies (no download); a path line in a .pth file does
    # not run that folder's .pth files, so an editable install of the source tree stays invisible
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "willitrun-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--force-reinstall", str(wheel)],
        check=True,
        capture_output=True,
    )
    exe = env_dir / ("Scripts" if os.name == "nt" else "bin") / "willitrun"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WILLITRUN_CATALOG")}
    r = subprocess.run(
        [str(exe), "check", "llama3-8b", "--gpu", "RTX 4090", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["model"]["id"] == "llama3-8b"
    # the installed package, not the source tree, answered
    where = subprocess.run(
        [str(py), "-c", "import willitrun, sys; sys.stdout.write(willitrun.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where
    r = subprocess.run([str(exe), "check", "llama3-8b"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "Q4_K_M" in r.stdout
