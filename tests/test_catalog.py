"""Every catalog entry validated; overlays; broken files give one clear error naming file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from willitrun.catalog.load import Catalog, load_catalog
from willitrun.errors import CatalogError
from willitrun.estimate.tensors import parameter_count


def test_seed_sizes(catalog: Catalog) -> None:
    assert len(catalog.models) >= 30
    assert len(catalog.gpus) >= 40
    ids = {m.id for m in catalog.models}
    for need in ("llama3-8b", "llama3-70b", "llama3.1-405b", "qwen3-30b-a3b", "gpt-oss-120b", "deepseek-v3"):
        assert need in ids
    gids = {g.id for g in catalog.gpus}
    for need in ("rtx-3090", "rtx-4090", "rtx-5090", "a100-sxm-80gb", "h100-sxm-80gb", "l40s", "rx-7900-xtx"):
        assert need in gids


def test_every_entry_sourced(catalog: Catalog) -> None:
    for x in (*catalog.models, *catalog.gpus):
        assert x.source.strip().startswith("http"), x.id


@pytest.mark.parametrize("mid", [m.id for m in load_catalog().models])
def test_shapes_give_the_stated_parameter_count(catalog: Catalog, mid: str) -> None:
    m = catalog.model(mid)
    assert m.heads % m.kv_heads == 0
    computed = parameter_count(m)
    assert abs(computed / m.params - 1) < 0.03, (mid, computed, m.params)


def test_gpu_bandwidth_consistent(catalog: Catalog) -> None:
    for g in catalog.gpus:
        if g.bus_width_bits and g.data_rate_gbps:
            assert abs(g.bus_width_bits * g.data_rate_gbps / 8 / g.bandwidth_gbps - 1) < 0.03, g.id
        if g.price_usd is not None:
            assert g.price_kind in ("msrp", "street", "used") and g.price_date, g.id


def test_names_unique(catalog: Catalog) -> None:
    for items in (catalog.models, catalog.gpus):
        seen: dict[str, str] = {}
        for x in items:
            for n in (x.id, *x.aliases):
                assert seen.setdefault(n.casefold(), x.id) == x.id, n


def _write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "extra.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


OVERLAY_MODEL = """
models:
  - id: tiny-test-1b
    name: Tiny Test 1B
    family: test
    arch: llama
    params: 1235814400
    layers: 16
    hidden: 2048
    intermediate: 8192
    heads: 32
    kv_heads: 8
    head_dim: 64
    vocab: 128256
    tied_embeddings: true
    context_max: 131072
    aliases: ["tiny-test"]
    source: "https://example.org/config.json"
"""


def test_overlay_adds_and_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, OVERLAY_MODEL)
    cat = load_catalog([path])
    assert cat.model("tiny-test-1b").layers == 16
    monkeypatch.setenv("WILLITRUN_CATALOG", path)
    assert load_catalog().model("tiny-test-1b").hidden == 2048
    replaced = OVERLAY_MODEL.replace("tiny-test-1b", "llama3-8b").replace('["tiny-test"]', "[]")
    cat2 = load_catalog([_write(tmp_path, replaced)])
    assert cat2.model("llama3-8b").layers == 16


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("models: [", "not valid YAML at line"),
        ("- a\n- b\n", "must be a mapping"),
        ("stuff: []\n", "unknown top-level key"),
        (OVERLAY_MODEL.replace("layers: 16", "layers: -3"), "model tiny-test-1b: field 'layers' must be between"),
        (OVERLAY_MODEL.replace("kv_heads: 8", "kv_heads: 7"), "field 'kv_heads' (7) must divide heads"),
        (
            OVERLAY_MODEL.replace("kv_heads: 8", "kv_heads: 8\n    per_layer_input: 256"),
            "field 'altup_inputs' must be at",
        ),
        (
            OVERLAY_MODEL.replace("kv_heads: 8", "kv_heads: 8\n    kv_shared_layers: 16"),
            "'kv_shared_layers' must be between",
        ),
        (OVERLAY_MODEL.replace('    source: "https://example.org/config.json"\n', ""), "field 'source' is required"),
        (OVERLAY_MODEL.replace("hidden: 2048", "hidden: big"), "field 'hidden' must be a whole number"),
        (OVERLAY_MODEL.replace('["tiny-test"]', '["llama3:8b"]'), "already used by"),
        ("gpus:\n  - id: x\n    name: X\n    vendor: nvidai\n", "field 'vendor' must be one of"),
        # a key given twice would keep only the last (a second `models:` line drops every model before it)
        (OVERLAY_MODEL + "models: []\n", "duplicate key 'models' at line"),
        (OVERLAY_MODEL.replace("layers: 16", "layers: 16\n    layers: 32"), "duplicate key 'layers' at line"),
    ],
)
def test_broken_overlay_names_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CatalogError) as e:
        load_catalog([path])
    msg = e.value.one_line()
    assert path in msg and needle in msg
    assert "\n" not in msg


def test_missing_overlay(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog([str(tmp_path / "nope.yaml")])


def test_parsed_catalog_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(cache))
    first = load_catalog()
    files = sorted(cache.glob("catalog-*.jsonl"))
    assert len(files) == 2
    # a corrupt cache file is ignored (and the answer unchanged)
    files[0].write_text("{not json", encoding="utf-8")
    assert load_catalog().models == first.models
    # a cache cut short (fewer entry lines than its header names) is not used either
    whole = files[1].read_text(encoding="utf-8").split("\n")
    files[1].write_text("\n".join(whole[:-3]), encoding="utf-8")
    assert load_catalog().gpus == first.gpus and len(files[1].read_text(encoding="utf-8").split("\n")) == len(whole)
    # an edited catalog file gets a new cache entry: the key is the content's hash
    path = _write(tmp_path, OVERLAY_MODEL)
    assert load_catalog([path]).model("tiny-test-1b").layers == 16
    Path(path).write_text(OVERLAY_MODEL.replace("layers: 16", "layers: 18"), encoding="utf-8")
    assert load_catalog([path]).model("tiny-test-1b").layers == 18


def test_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(blocker / "sub"))  # a path under a file cannot be created
    assert len(load_catalog().models) >= 30
    monkeypatch.delenv("WILLITRUN_CACHE_DIR")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert len(load_catalog().gpus) >= 40


def test_measured_rows_name_catalog_entries(catalog: Catalog) -> None:
    from willitrun.catalog.measured import check_ids, load_measured

    rows = load_measured()
    assert len(rows) >= 100
    assert check_ids(rows, catalog) == []
    assert all(r.source and r.tokens_per_s > 0 for r in rows)


def test_readme_states_the_catalog_as_it_is(catalog: Catalog) -> None:
    """The README's catalog counts and newest release month are the catalog's own (issue 16's must-show)."""
    import calendar
    import re

    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\((\d+) models released up to (\w+) (\d{4}), (\d+) accelerators and systems\)", text)
    assert m, "README lost its catalog line"
    newest = max(x.released or "" for x in catalog.models)
    month = calendar.month_name[int(newest[5:7])]
    assert (int(m[1]), m[2], m[3], int(m[4])) == (len(catalog.models), month, newest[:4], len(catalog.gpus))
