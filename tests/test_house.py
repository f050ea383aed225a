"""The house: a thin command line over use cases, one output object, and the options that came with them."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Run = Callable[..., Result]
SRC = Path(__file__).resolve().parent.parent / "src" / "willitrun"


def test_explain_takes_a_multi_word_term_unquoted(run: Run) -> None:
    r = run("explain", "kv", "cache", "--json")
    assert r.code == 0, r.err
    assert r.json()["id"] == "kv-cache"


def test_cost_takes_a_price_file(run: Run, tmp_path: Path) -> None:
    f = tmp_path / "prices.yaml"
    f.write_text("gpus:\n  - {id: rtx-4090, price_usd: 1234, price_kind: used, price_date: '2026-11-30'}\n")
    r = run("cost", "--model", "llama3.1-8b", "--gpu", "RTX 4090", "--prices", str(f), "--json")
    assert r.code == 0, r.err
    local = r.json()["options"][0]
    assert local["what"].startswith("local") and "$1,234" in local["detail"]
    bad = run("cost", "--model", "llama3.1-8b", "--prices", str(tmp_path / "missing.yaml"))
    assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1


def _functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (n.name, (n.end_lineno or n.lineno) - n.lineno + 1)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def test_the_command_line_only_parses_and_dispatches() -> None:
    cli = SRC / "cli.py"
    text = cli.read_text(encoding="utf-8")
    # no JSON built, no console of its own, no rich markup switches: render and Terminal do that
    assert "json.dumps" not in text and "Console(" not in text and "markup=False" not in text
    long = [(n, k) for n, k in _functions(cli) if k > 80]
    assert not long, long


def test_no_function_anywhere_is_over_80_lines() -> None:
    long = [(str(p.relative_to(SRC)), n, k) for p in sorted(SRC.rglob("*.py")) for n, k in _functions(p) if k > 80]
    assert not long, long
