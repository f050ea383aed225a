"""Saved output of the screens people read (check, compare, recommend, explain) at 80 and 120 columns.

A change to what these commands print shows up here as a diff against tests/golden/*.txt. When the change is
meant, regenerate the files and read the diff before committing them:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

Every machine is simulated, so the files do not depend on the computer running the tests. Besides the exact
text, each screen is held to the layout rules: no line wider than the terminal except a command to paste (which
is never wrapped), no trailing spaces, no colour codes when piped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

GOLDEN = Path(__file__).parent / "golden"
CASES: dict[str, tuple[str, ...]] = {
    "check-llama3.1-8b-rtx4090": ("check", "llama3.1-8b", "--gpu", "RTX 4090"),
    "check-qwen3-30b-a3b-rtx3060-plot": (
        "check",
        "qwen3-30b-a3b",
        "--gpu",
        "RTX 3060 12GB",
        "--ram",
        "32",
        "-q",
        "Q8_0,Q4_K_M",
        "--plot",
    ),
    "check-ollama-ctx": ("check", "llama3.1-8b", "--gpu", "RTX 3060 12GB", "--runtime", "ollama", "--ctx", "65536"),
    "check-vllm": ("check", "qwen3-8b", "--gpu", "2x RTX 3090", "--runtime", "vllm"),
    "check-no-gguf-repo": ("check", "glm-4-9b", "--gpu", "RTX 4060 Ti 16GB", "-q", "Q4_K_M,Q6_K"),
    "check-nothing-runs": ("check", "llama3.1-405b", "--gpu", "RTX 3060 12GB", "--ram", "32", "-q", "Q4_K_M"),
    "compare": ("compare", "RTX 3090", "RTX 4090", "RX 7900 XTX"),
    "recommend": ("recommend", "--gpu", "RTX 4090", "--top", "3"),
    "explain-kv-cache": ("explain", "kv-cache"),
}
WIDTHS = (80, 120)
PASTE = ("Run: ", " or: ", "  ")  # commands: whole lines to paste, never wrapped


def render(result: Result) -> str:
    return f"$ exit {result.code}\n{result.out}" + (f"--- stderr\n{result.err}" if result.err else "")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, name: str, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    r = run(*CASES[name])
    text = render(r)
    path = GOLDEN / f"{name}-{width}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"no saved output: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(), f"{path.name} differs: if the change is meant, run UPDATE_GOLDEN=1"
    assert "\x1b[" not in r.out
    lines = r.out.splitlines()
    assert all(x == x.rstrip() for x in lines), "trailing spaces"
    commands = [x for x in lines if x.startswith(("Run: ", " or: ", "  llama", "  ollama", "  willitrun", "  vllm"))]
    wide = [x for x in lines if len(x) > width and x not in commands]
    assert not wide, wide


def readme_examples() -> list[tuple[list[str], list[str]]]:
    """The README's `$ willitrun check ...` blocks: the arguments and the lines shown ('...' skips a head)."""
    import re
    import shlex

    text = (Path(__file__).parent.parent / "README.md").read_text()
    out = []
    for block in re.findall(r"```\n(\$ willitrun check .*?)```", text, re.S):
        first, *shown = block.rstrip("\n").split("\n")
        out.append((shlex.split(first[2:])[1:], shown))
    return out


def test_readme_examples_are_real_output(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's check examples are what the command prints at 80 columns (regenerate them when this fails)."""
    monkeypatch.setenv("COLUMNS", "80")
    examples = readme_examples()
    assert len(examples) >= 2
    assert any("[" in line and "RAM" in line for _, shown in examples for line in shown)  # a memory bar
    assert any(line.startswith("Speed against context") for _, shown in examples for line in shown)  # a plot
    for args, shown in examples:
        got = run(*args).out.rstrip("\n").split("\n")
        if shown and shown[0] == "...":
            assert got[-(len(shown) - 1) :] == shown[1:], args
        else:
            assert got == shown, args
