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
        ("H200", "h200"),
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
    assert sorted(a["memory_bytes"] // GIB for a in alts) == [32, 64]
