"""Hardware names that several memory variants answer to: a deliberate default, and the others announced."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.catalog.resolve import _hw_words, _ids, parse_hardware, resolve_gpu_variants
from willitrun.estimate.types import GIB
from willitrun.hardware import build_machine

DOCS = Path(__file__).resolve().parent.parent / "docs" / "catalog.md"


def _bare_claims(catalog: Catalog) -> dict[str, set[str]]:
    """key -> the entries that list it as a name without a memory size."""
    out: dict[str, set[str]] = {}
    for gid, names in catalog.gpu_names():
        for n in names:
            words, mem = _hw_words(n)
            if mem is None:
                out.setdefault("".join(words), set()).add(gid)
    return out


def test_every_ambiguous_name_has_one_deliberate_default(catalog: Catalog) -> None:
    """A name several entries answer to resolves to the one entry that claims it without a size, never to
    whichever variant happens to come first in the file."""
    tables = _ids(catalog)
    claims = _bare_claims(catalog)
    checked = 0
    for key, ids in tables["variants"].items():
        if key not in tables["gpus"]:
            continue  # only reachable as a prefix; covered below
        owners = claims.get(key, set()) & set(ids)
        assert len(owners) == 1, f"{key!r} is answered to by {ids} and claimed by {sorted(owners) or 'none'}"
        assert tables["gpus"][key] in owners
        checked += 1
    assert checked >= 20


def test_defaults_are_documented(catalog: Catalog) -> None:
    """docs/catalog.md names the default of every family of memory variants (by catalog id)."""
    tables = _ids(catalog)
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Names with several variants") :]
    documented = set(re.findall(r"`([a-z0-9.\-]+)`", section))
    for key, ids in tables["variants"].items():
        if key in tables["gpus"] and any(catalog.gpu(i).memory_gib != catalog.gpu(ids[0]).memory_gib for i in ids):
            assert tables["gpus"][key] in documented, f"default for {key!r} not in docs/catalog.md"


@pytest.mark.parametrize(
    ("name", "default", "mem", "also"),
    [
        ("Arc A770", "arc-a770-16gb", 16, ("arc-a770-8gb", 8)),
        ("Intel Arc A770", "arc-a770-16gb", 16, ("arc-a770-8gb", 8)),
        ("RTX 4060 Ti", "rtx-4060-ti-8gb", 8, ("rtx-4060-ti-16gb", 16)),
        ("RX 9060 XT", "rx-9060-xt-16gb", 16, ("rx-9060-xt-8gb", 8)),
        ("RTX 3060", "rtx-3060-12gb", 12, ("rtx-3060-8gb", 8)),
        ("A100", "a100-sxm-80gb", 80, ("a100-pcie-40gb", 40)),
        ("V100", "v100-pcie-16gb", 16, ("v100-sxm2-32gb", 32)),
        ("Ryzen AI Max+ 395", "ryzen-ai-max-plus-395", 128, ("ryzen-ai-max-plus-395", 64)),
        ("M4 Max", "apple-m4-max-40c", 48, ("apple-m4-max-32c", 36)),
        ("M4 Max", "apple-m4-max-40c", 48, ("apple-m4-max-40c", 128)),
        # accelerators added for issue 16, as people write them
        ("Ryzen AI Max+ 395", "ryzen-ai-max-plus-395", 128, ("ryzen-ai-max-plus-395", 96)),
        ("AMD Ryzen AI Max+ PRO 395", "ryzen-ai-max-plus-395", 128, ("ryzen-ai-max-plus-395", 64)),
        ("Framework Desktop", "framework-desktop-ryzen-ai-max-395", 64, ("framework-desktop-ryzen-ai-max-385", 32)),
        ("GMKtec EVO-X2", "gmktec-evo-x2", 128, ("gmktec-evo-x2", 64)),
        ("Bosgame M5", "bosgame-m5", 128, ("bosgame-m5", 96)),
        ("M5", "apple-m5-10c", 16, ("apple-m5-10c", 32)),
        ("M5 Pro", "apple-m5-pro-20c", 24, ("apple-m5-pro-16c", 24)),
        ("M5 Max", "apple-m5-max-40c", 48, ("apple-m5-max-32c", 36)),
        ("Apple M5 Max", "apple-m5-max-40c", 48, ("apple-m5-max-40c", 128)),
        ("Jetson Orin NX", "jetson-orin-nx-16gb", 16, ("jetson-orin-nx-8gb", 8)),
        ("Orin NX", "jetson-orin-nx-16gb", 16, ("jetson-orin-nx-8gb", 8)),
        ("Jetson AGX Orin", "jetson-agx-orin-64gb", 64, ("jetson-agx-orin-32gb", 32)),
        ("Jetson Orin Nano", "jetson-orin-nano-8gb", 8, ("jetson-orin-nano-4gb", 4)),
        ("RTX 2080 Ti", "rtx-2080-ti", 11, ("rtx-2080-ti-22gb", 22)),
        ("2080 Ti", "rtx-2080-ti", 11, ("rtx-2080-ti-22gb", 22)),
        ("RTX PRO 5000", "rtx-pro-5000-blackwell", 48, ("rtx-pro-5000-blackwell-72gb", 72)),
        ("V100 SXM2", "v100-sxm2-16gb", 16, ("v100-sxm2-32gb", 32)),
        ("V100 PCIe", "v100-pcie-16gb", 16, ("v100-pcie-32gb", 32)),
        ("P100", "tesla-p100-16gb", 16, ("tesla-p100-12gb", 12)),
        ("MI50", "mi50", 32, ("mi50-16gb", 16)),
        ("RTX 3080", "rtx-3080-10gb", 10, ("rtx-3080-12gb", 12)),
        ("RTX 5060 Ti", "rtx-5060-ti-16gb", 16, ("rtx-5060-ti-8gb", 8)),
        ("Radeon 880M", "radeon-880m", 16, ("radeon-880m", 32)),
        ("Ryzen AI 9 HX 370", "radeon-890m", 16, ("radeon-890m", 64)),
        # boards of one chip: the form word (PCIe, SXM, NVL) makes a variant, at the same memory size too
        ("H100", "h100-sxm-80gb", 80, ("h100-pcie-80gb", 80)),
        ("NVIDIA H100", "h100-sxm-80gb", 80, ("h100-nvl", 94)),
        ("H200", "h200", 141, ("h200-nvl", 141)),
        ("A100", "a100-sxm-80gb", 80, ("a100-pcie-80gb", 80)),
        ("V100", "v100-pcie-16gb", 16, ("v100-sxm2-16gb", 16)),
        # Apple's machines of August-September 2026: bins by GPU cores, and the M6's bandwidth by memory size
        ("M5 Ultra", "apple-m5-ultra-80c", 96, ("apple-m5-ultra-64c", 96)),
        ("Mac Studio M5 Ultra", "mac-studio-m5-ultra", 96, ("mac-studio-m5-ultra-64c", 96)),
        ("M6", "apple-m6-12c", 16, ("apple-m6-12c-24gb", 24)),
        ("Mac mini M6", "mac-mini-m6", 16, ("mac-mini-m6-24gb", 32)),
    ],
)
def test_ambiguous_names_say_what_else_they_could_be(
    catalog: Catalog, name: str, default: str, mem: float, also: tuple[str, float]
) -> None:
    g, m, alts = resolve_gpu_variants(catalog, name)
    assert (g.id, m) == (default, mem)
    assert also in [(i, a_mem) for i, _, a_mem in alts]
    assert (default, mem) not in [(i, a_mem) for i, _, a_mem in alts]


@pytest.mark.parametrize(
    ("name", "gid"),
    [
        ("Arc A770 8GB", "arc-a770-8gb"),
        ("Arc A770 16GB", "arc-a770-16gb"),
        ("RTX 4060 Ti 16GB", "rtx-4060-ti-16gb"),
        ("Ryzen AI Max+ 395 64GB", "ryzen-ai-max-plus-395"),
        ("M4 Max 36GB", "apple-m4-max-32c"),
        ("RTX 4090", "rtx-4090"),
        ("H200 SXM", "h200"),
        ("H200 NVL", "h200-nvl"),
        ("NVIDIA H200 NVL", "h200-nvl"),
        ("H100 PCIe", "h100-pcie-80gb"),
        ("H100 NVL", "h100-nvl"),
        ("Mac mini M6 32GB", "mac-mini-m6-24gb"),
        ("M5 Ultra 64-core GPU 256GB", "apple-m5-ultra-64c"),
        # accelerators added for issue 16, as people write them
        ("Ryzen AI Max+ 395 128GB", "ryzen-ai-max-plus-395"),
        ("Ryzen AI Max+ 395 96GB", "ryzen-ai-max-plus-395"),
        ("Framework Desktop 64GB", "framework-desktop-ryzen-ai-max-395"),
        ("Framework Desktop 32GB", "framework-desktop-ryzen-ai-max-385"),
        ("GMKtec EVO-X2 64GB", "gmktec-evo-x2"),
        ("HP Z2 Mini G1a", "hp-z2-mini-g1a"),
        ("Minisforum MS-S1 MAX", "minisforum-ms-s1-max"),
        ("Radeon 880M 32GB", "radeon-880m"),
        ("M5 Max 36GB", "apple-m5-max-32c"),
        ("M5 Max 128GB", "apple-m5-max-40c"),
        ("M5 Pro 20-Core GPU 64GB", "apple-m5-pro-20c"),
        ("Jetson Orin NX 16GB", "jetson-orin-nx-16gb"),
        ("Jetson Orin NX 8GB", "jetson-orin-nx-8gb"),
        ("Jetson AGX Orin 32GB", "jetson-agx-orin-32gb"),
        ("Jetson AGX Orin Developer Kit", "jetson-agx-orin-devkit-32gb"),
        ("Jetson Orin Nano 4GB", "jetson-orin-nano-4gb"),
        ("Jetson AGX Thor", "jetson-agx-thor"),
        ("DGX Spark", "nvidia-gb10"),
        ("Dell Pro Max GB10", "nvidia-gb10"),
        ("ASUS Ascent GX10", "asus-ascent-gx10"),
        ("RX 9060 XT 16GB", "rx-9060-xt-16gb"),
        ("RX 9060 XT 8GB", "rx-9060-xt-8gb"),
        ("RX 9070 GRE", "rx-9070-gre"),
        ("Radeon RX 9070 XT", "rx-9070-xt"),
        ("Radeon AI PRO R9700", "radeon-ai-pro-r9700"),
        ("Arc Pro B60", "arc-pro-b60"),
        ("Arc Pro B70", "arc-pro-b70"),
        ("MI300X", "mi300x"),
        ("Instinct MI355X", "mi355x"),
        ("RTX 2080 Ti 22GB", "rtx-2080-ti-22gb"),
        ("RTX PRO 5000 72GB", "rtx-pro-5000-blackwell-72gb"),
        ("RTX PRO 5000 Blackwell 48GB", "rtx-pro-5000-blackwell"),
        ("RTX PRO 4000 SFF", "rtx-pro-4000-blackwell-sff"),
        ("RTX PRO 2000 Blackwell", "rtx-pro-2000-blackwell"),
        ("RTX PRO 6000 Blackwell Server Edition", "rtx-pro-6000-blackwell-server"),
        ("RTX PRO 6000 Max-Q", "rtx-pro-6000-blackwell-max-q"),
        ("RTX 5060 Laptop", "rtx-5060-laptop"),
        ("RTX 5050 Laptop", "rtx-5050-laptop"),
        ("GeForce RTX 5050 Laptop GPU", "rtx-5050-laptop"),
        ("RTX 5090 Laptop GPU", "rtx-5090-laptop"),
        ("Tesla V100-PCIE-32GB", "v100-pcie-32gb"),
        ("Tesla V100-SXM2-16GB", "v100-sxm2-16gb"),
        ("Tesla P40", "tesla-p40"),
        ("RTX 3090 Ti", "rtx-3090-ti"),
        ("RTX 3060 8GB", "rtx-3060-8gb"),
    ],
)
def test_names_that_say_which_are_not_ambiguous(catalog: Catalog, name: str, gid: str) -> None:
    g, _, alts = resolve_gpu_variants(catalog, name)
    assert g.id == gid and alts == ()


def test_a_size_narrows_core_bins_to_those_sold_with_it(catalog: Catalog) -> None:
    # both M4 Pro GPU bins come with 24 GB: still two chips
    g, m, alts = resolve_gpu_variants(catalog, "M4 Pro 24GB")
    assert g.id == "apple-m4-pro-20c" and m == 24 and [(i, a) for i, _, a in alts] == [("apple-m4-pro-16c", 24)]


def test_the_machine_carries_and_notes_the_alternatives(catalog: Catalog) -> None:
    (item,) = parse_hardware(catalog, "2x Arc A770")
    assert item.count == 2 and item.asked == "Arc A770"
    mach = build_machine(catalog, gpu="2x Arc A770", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=None, detected=None)
    assert all(("arc-a770-8gb", "Intel Arc A770 8GB", 8 * GIB) in d.alternatives for d in mach.devices)
    (note,) = [n for n in mach.notes if "Arc A770" in n]
    assert "assumed Intel Arc A770 16GB (16 GB)" in note and "Intel Arc A770 8GB (8 GB)" in note
    plain = build_machine(catalog, gpu="RTX 4090", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=None, detected=None)
    assert plain.devices[0].alternatives == () and not any("more than one" in n for n in plain.notes)


def test_check_says_which_a770_it_assumed(run: Callable[..., Result]) -> None:
    r = run("check", "llama3-8b", "--gpu", "Arc A770", "-q", "Q4_K_M")
    assert r.code == 0
    note = next(line for line in r.err.splitlines() if line.startswith("note: 'Arc A770'"))
    assert "Arc A770 16GB" in note and "Arc A770 8GB (8 GB)" in note
    d = run("check", "llama3-8b", "--gpu", "Arc A770", "-q", "Q4_K_M", "--json").json()
    (dev,) = d["hardware"]["devices"]
    assert dev["catalog_id"] == "arc-a770-16gb"
    assert dev["alternatives"] == [{"id": "arc-a770-8gb", "name": "Intel Arc A770 8GB", "memory_bytes": 8 * GIB}]
    d = run("check", "llama3-8b", "--gpu", "Arc A770 8GB", "-q", "Q4_K_M", "--json").json()
    assert d["hardware"]["devices"][0]["alternatives"] == []


def test_strix_halo_name_alone_is_the_128_gb_system(run: Callable[..., Result]) -> None:
    """A bare 'Ryzen AI Max+ 395' is the 128 GB machine, so a 70B at Q4 runs; the smaller ones are named."""
    r = run("check", "llama3.1-70b", "--gpu", "Ryzen AI Max+ 395", "-q", "Q4_K_M", "--ctx", "4096", "--json")
    d = r.json()
    assert d["options"][0]["verdict"] != "no"
    alts = d["hardware"]["devices"][0]["alternatives"]
    assert sorted(a["memory_bytes"] // GIB for a in alts) == [32, 64, 96]


def test_bosgame_m5_is_not_the_apple_m5(catalog: Catalog) -> None:
    """A system whose name ends in 'M5' is not taken for Apple's chip, and the chip is not taken for it."""
    assert resolve_gpu_variants(catalog, "Bosgame M5")[0].id == "bosgame-m5"
    assert resolve_gpu_variants(catalog, "M5")[0].id == "apple-m5-10c"
    assert resolve_gpu_variants(catalog, "Apple M5 Pro")[0].id == "apple-m5-pro-20c"


def test_check_names_the_other_jetson_orin_nx(run: Callable[..., Result]) -> None:
    """A bare 'Jetson Orin NX' is the 16 GB module; the JSON names the 8 GB one, and a size removes it."""
    d = run("check", "llama3-8b", "--gpu", "Jetson Orin NX", "-q", "Q4_K_M", "--json").json()
    (dev,) = d["hardware"]["devices"]
    assert dev["catalog_id"] == "jetson-orin-nx-16gb"
    assert dev["alternatives"] == [
        {"id": "jetson-orin-nx-8gb", "name": "NVIDIA Jetson Orin NX 8GB", "memory_bytes": 8 * GIB}
    ]
    d = run("check", "llama3-8b", "--gpu", "Jetson Orin NX 8GB", "-q", "Q4_K_M", "--json").json()
    assert d["hardware"]["devices"][0]["catalog_id"] == "jetson-orin-nx-8gb"
    assert d["hardware"]["devices"][0]["alternatives"] == []


def test_strix_halo_96_gb_is_a_size_of_the_chip(run: Callable[..., Result]) -> None:
    r = run("check", "llama3.1-70b", "--gpu", "Ryzen AI Max+ 395 96GB", "-q", "Q4_K_M", "--ctx", "4096", "--json")
    (dev,) = r.json()["hardware"]["devices"]
    assert dev["catalog_id"] == "ryzen-ai-max-plus-395" and dev["alternatives"] == []
