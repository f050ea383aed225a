"""Start-up time of `willitrun check llama3-8b --gpu "RTX 4090" --json` against importing its dependencies.

    python benchmarks/startup.py [--runs 15]

Builds the wheel, installs it into a throwaway virtual environment (the dependencies come from this
interpreter's site-packages; pip byte-compiles the package as a normal install does), warms the catalog cache,
then prints the median wall time of each command over --runs runs and their ratio. The goal is a ratio of at
most 1.3: the tool should cost little beyond the libraries it cannot do without.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median_s(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(t / "dist"), str(ROOT)],
            check=True,
            capture_output=True,
        )
        (whl,) = (t / "dist").glob("*.whl")
        venv.EnvBuilder(with_pip=True).create(t / "venv")
        bindir = t / "venv" / ("Scripts" if os.name == "nt" else "bin")
        py = bindir / "python"
        site = subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", str(whl)], check=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["WILLITRUN_CACHE_DIR"] = str(t / "cache")
        check = [str(bindir / "willitrun"), "check", "llama3-8b", "--gpu", "RTX 4090", "--json"]
        subprocess.run(check, capture_output=True, env=env, check=True)  # warm the catalog cache
        # alternate the commands so that drift in the machine's load hits both alike
        base_cmd = [str(py), "-c", "import typer, rich, yaml, psutil"]
        b_times: list[float] = []
        c_times: list[float] = []
        for _ in range(a.runs):
            b_times.append(_median_s(base_cmd, 1, env))
            c_times.append(_median_s(check, 1, env))
        base, ours = statistics.median(b_times), statistics.median(c_times)
        explain = _median_s([str(bindir / "willitrun"), "--version"], a.runs, env)
    print(f"import typer, rich, yaml, psutil: {base * 1000:6.1f} ms (median of {a.runs})")
    print(f"willitrun check ... --json:       {ours * 1000:6.1f} ms")
    print(f"willitrun --version:              {explain * 1000:6.1f} ms")
    print(f"ratio check / imports: {ours / base:.2f} (goal: at most 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
