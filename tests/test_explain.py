"""The glossary: forgiving look-up, every term the other commands point at, and the rendering."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Result
from willitrun.errors import UnknownNameError
from willitrun.knowledge.glossary import CATEGORIES, find_term, load_glossary

TERMS = load_glossary()
NEEDED = [
    "imbalanced-data",
    "kv-cache",
    "vram",
    "offloading",
    "context-length",
    "gguf",
    "quantization",
    "mixture-of-experts",
    "memory-bandwidth",
    "tokens-per-second",
    "prefill",
    "flash-attention",
    "unified-memory",
    "tensor-parallelism",
    "lora",
    "qlora",
    "k-quants",
    "i-quants",
    "legacy-quants",
    "mxfp4",
    "fp16-bf16",
    "fp8",
    "awq",
    "gptq",
    "bitsandbytes",
    "mlx-quantization",
    "imatrix",
]


def test_glossary_is_broad_and_linked() -> None:
    ids = {t.id for t in TERMS}
    assert len(TERMS) >= 120
    assert set(NEEDED) <= ids
    assert {t.category for t in TERMS} == set(CATEGORIES)
    for t in TERMS:
        assert t.definition and t.details and t.example and t.workflow, t.id
        assert set(t.related) <= ids


def test_terms_the_commands_point_at_exist() -> None:
    from pathlib import Path

    ids = {t.id for t in TERMS}
    src = Path(__file__).resolve().parent.parent / "src" / "willitrun"
    import re

    pointed = set()
    for f in src.rglob("*.py"):
        pointed |= set(re.findall(r"willitrun explain ([a-z0-9][a-z0-9-]*)", f.read_text(encoding="utf-8")))
    pointed -= {"term"}
    assert pointed and pointed <= ids


@pytest.mark.parametrize("query", ["imbalanced-data", "Imbalanced Data", "imbalnced-data", "IMBALANCED_DATA"])
def test_forgiving_lookup(query: str) -> None:
    assert find_term(TERMS, query).id == "imbalanced-data"


def test_unknown_term_suggests() -> None:
    with pytest.raises(UnknownNameError) as e:
        find_term(TERMS, "kv cach thing")
    assert "kv-cache" in e.value.suggestions


def test_imbalanced_data_worked_example() -> None:
    t = find_term(TERMS, "imbalanced-data")
    assert "10.0" in t.example and "0.526" in t.example
    assert "class_weight" in t.workflow and "SMOTE" in t.workflow


def test_explain_command(run: Callable[..., Result]) -> None:
    r = run("explain", "imbalnced-data")
    assert r.code == 0 and "Imbalanced" in r.out and "class_weight" in r.out
    t = find_term(TERMS, "imbalanced-data")
    commands = {f"  {c}" for c in t.workflow.splitlines() if c.strip()}
    lines = r.out.splitlines()
    assert commands <= set(lines)  # each command to try on one whole line, never wrapped
    assert max(len(x) for x in lines if x not in commands) <= 80
    assert all(x == x.rstrip() for x in lines)  # nothing padded
    d = run("explain", "Imbalanced Data", "--json").json()
    assert set(d) >= {"id", "title", "category", "definition", "details", "example", "workflow", "related"}
    listing = run("explain", "--list", "--json").json()["terms"]
    assert len(listing) >= 120 and set(listing[0]) == {"id", "title", "category"}
    text = run("explain", "--list")
    assert all(c in text.out for c in CATEGORIES)
    bad = run("explain", "quantum-blockchain")
    assert bad.code == 2 and "unknown term" in bad.err and len(bad.err.strip().splitlines()) == 1
    # with nothing close, it points at the list of terms (it once pointed at the GPU catalog)
    assert "willitrun explain --list" in run("explain", "zzzzqqqq").err
    assert run("explain").code == 2
