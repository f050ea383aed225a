"""Properties of the estimate core, checked by hypothesis over the catalog."""

from __future__ import annotations

import itertools
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from willitrun.catalog.load import load_catalog
from willitrun.estimate.core import Request, estimate
from willitrun.estimate.quants import DEFAULT_MIXES
from willitrun.estimate.tensors import weights_breakdown
from willitrun.estimate.types import Machine
from willitrun.hardware import build_machine

CAT = load_catalog()
# every architecture kind, but not the giants (they make each example slow without adding cases)
MODELS = [m.id for m in CAT.models if m.params < 130e9]
GPUS = [g.id for g in CAT.gpus if g.kind == "gpu"]
RANK = {"no": 0, "cpu": 1, "partial": 2, "gpu": 3}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def machine(gpu: str, vram: float | None = None, ram: float = 64) -> Machine:
    return build_machine(CAT, gpu=gpu, vram_gb=vram, ram_gb=ram, ram_bandwidth_gbps=60, detected=None)


@FAST
@given(st.sampled_from(MODELS), st.sampled_from(DEFAULT_MIXES), st.integers(256, 65536), st.integers(1, 65536))
def test_more_context_never_needs_less_memory(mid: str, quant: str, a: int, b: int) -> None:
    m = CAT.model(mid)
    mach = machine("8x H200")  # room for everything: the placement stays the same, only the context changes
    lo, hi = sorted((a, b))
    t_lo = estimate(m, mach, Request(quants=(quant,), ctx=lo, max_context=False)).options[0]
    t_hi = estimate(m, mach, Request(quants=(quant,), ctx=hi, max_context=False)).options[0]
    assert t_hi.kv_cache_bytes >= t_lo.kv_cache_bytes
    assert t_hi.total_bytes >= t_lo.total_bytes


def _block_aligned(mid: str) -> bool:
    from willitrun.estimate.tensors import model_tensors

    return all(t.ne[0] % 256 == 0 for t in model_tensors(CAT.model(mid)) if t.n_dims >= 2)


ALIGNED = [m for m in MODELS if _block_aligned(m)]


def test_unaligned_rows_make_quantizations_converge() -> None:
    # gpt-oss's 2880-wide rows fit no 256-block: llama.cpp falls back to IQ4_NL/Q5_0/Q8_0 for them, so its low-bit
    # files are barely smaller than Q4 ones (published gpt-oss-20b GGUFs are all about 11-13 GB)
    m = CAT.model("gpt-oss-20b")
    assert not _block_aligned("gpt-oss-20b")
    q2, q4 = weights_breakdown(m, "Q2_K").total_bytes, weights_breakdown(m, "Q4_K_M").total_bytes
    assert q2 > 0.85 * q4


@FAST
@given(st.sampled_from(ALIGNED))
def test_higher_bit_quantization_is_never_smaller(mid: str) -> None:
    m = CAT.model(mid)
    ladder = ["IQ1_S", "IQ2_XXS", "Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16"]
    sizes = [weights_breakdown(m, q).total_bytes for q in ladder]
    assert all(a <= b for a, b in itertools.pairwise(sizes)), list(zip(ladder, sizes, strict=True))


@FAST
@given(st.sampled_from(MODELS), st.sampled_from(DEFAULT_MIXES), st.floats(2, 96), st.floats(2, 96))
def test_more_vram_never_gives_a_worse_verdict(mid: str, quant: str, a: float, b: float) -> None:
    m = CAT.model(mid)
    lo, hi = sorted((a, b))
    req = Request(quants=(quant,), ctx=4096, max_context=False)
    v_lo = estimate(m, machine("RTX 4090", lo), req).options[0]
    v_hi = estimate(m, machine("RTX 4090", hi), req).options[0]
    assert RANK[v_hi.verdict] >= RANK[v_lo.verdict]
    assert v_hi.gpu_layers >= v_lo.gpu_layers


@FAST
@given(st.sampled_from(MODELS), st.sampled_from(DEFAULT_MIXES), st.sampled_from(GPUS), st.integers(1, 4))
def test_speeds_positive_parts_add_up_and_devices_never_overfill(mid: str, quant: str, gid: str, n: int) -> None:
    m = CAT.model(mid)
    mach = machine(f"{n}x {gid}")
    o = estimate(m, mach, Request(quants=(quant,), ctx=4096)).options[0]
    assert o.total_bytes == o.weights_bytes + o.kv_cache_bytes + o.compute_bytes + o.overhead_bytes
    if o.verdict == "no":
        assert o.tokens_per_s is None
        return
    for v in (o.tokens_per_s, o.tokens_per_s_low, o.tokens_per_s_high, o.prefill_tokens_per_s):
        assert v is not None and v > 0 and math.isfinite(v)
    assert o.tokens_per_s_low <= o.tokens_per_s <= o.tokens_per_s_high  # type: ignore[operator]
    for p in o.placement:
        assert p.total_bytes == p.weights_bytes + p.kv_cache_bytes + p.compute_bytes + p.overhead_bytes
        assert p.total_bytes <= p.capacity_bytes, p
    assert sum(p.layers for p in o.placement) == m.layers
