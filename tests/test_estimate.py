"""Placement, verdicts, speed and max context on simulated machines."""

from __future__ import annotations

import math

from willitrun.catalog.load import Catalog
from willitrun.estimate.core import Request, estimate
from willitrun.estimate.placement import Placing, best_plan, plan
from willitrun.estimate.runtime import LLAMA_CPP
from willitrun.estimate.tensors import weights_breakdown
from willitrun.estimate.types import GIB, Cpu, Machine
from willitrun.hardware import build_machine


def machine(cat: Catalog, gpu: str, ram: float = 64, ram_bw: float = 60) -> Machine:
    return build_machine(cat, gpu=gpu, vram_gb=None, ram_gb=ram, ram_bandwidth_gbps=ram_bw, detected=None)


def test_8b_fits_a_4090(catalog: Catalog) -> None:
    est = estimate(catalog.model("llama3-8b"), machine(catalog, "RTX 4090"), Request())
    q4 = next(o for o in est.options if o.quant == "Q4_K_M")
    assert q4.verdict == "gpu"
    assert q4.gpu_layers == q4.layers == 33
    assert abs(q4.weights_bytes / GIB - 4.58) / 4.58 < 0.01
    assert q4.total_bytes == q4.weights_bytes + q4.kv_cache_bytes + q4.compute_bytes + q4.overhead_bytes
    # calibration: 4090 Llama-3-8B Q4_K_M tg128 ~ 128 t/s; the estimate's range must hold it
    assert q4.tokens_per_s_low is not None and q4.tokens_per_s_high is not None
    assert q4.tokens_per_s_low <= 128 <= q4.tokens_per_s_high
    assert est.recommended is not None


def test_70b_partial_on_one_4090(catalog: Catalog) -> None:
    m = catalog.model("llama3-70b")
    est = estimate(m, machine(catalog, "RTX 4090", ram=64), Request(quants=("Q4_K_M",)))
    o = est.options[0]
    assert o.verdict == "partial"
    gpu, ram = o.placement
    assert 0 < o.gpu_layers < m.layers + 1
    assert gpu.layers + ram.layers == m.layers
    assert gpu.total_bytes <= gpu.capacity_bytes
    assert ram.total_bytes <= ram.capacity_bytes
    # the same model fully on two GPUs is much faster than with RAM layers
    two = estimate(m, machine(catalog, "2x RTX 4090", ram=64), Request(quants=("Q4_K_M",), ctx=4096)).options[0]
    assert two.verdict == "gpu"
    assert o.tokens_per_s is not None and two.tokens_per_s is not None
    assert o.tokens_per_s < two.tokens_per_s / 3
    # slower RAM means slower partial offload
    slow = estimate(m, machine(catalog, "RTX 4090", ram=64, ram_bw=30), Request(quants=("Q4_K_M",))).options[0]
    assert slow.tokens_per_s is not None and slow.tokens_per_s < o.tokens_per_s


def test_70b_on_two_3090s(catalog: Catalog) -> None:
    m = catalog.model("llama3-70b")
    est = estimate(m, machine(catalog, "2x RTX 3090"), Request(quants=("Q4_K_M",), ctx=4096))
    o = est.options[0]
    assert o.verdict == "gpu"
    a, b, ram = o.placement
    assert a.layers + b.layers == m.layers and ram.layers == 0
    assert abs(a.layers - b.layers) <= 2  # split in proportion to (equal) memory
    # calibration: 2x 3090 Llama-3-70B Q4_K_M tg128 = 16.3 t/s
    assert o.tokens_per_s is not None and 12 < o.tokens_per_s < 21


def test_cpu_only_and_no(catalog: Catalog) -> None:
    cpu = build_machine(catalog, gpu="none", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=None, detected=None)
    est = estimate(catalog.model("llama3-8b"), cpu, Request())
    assert {o.verdict for o in est.options} == {"cpu"}
    assert all(o.gpu_layers == 0 for o in est.options)
    small = build_machine(catalog, gpu="none", vram_gb=None, ram_gb=8, ram_bandwidth_gbps=None, detected=None)
    est = estimate(catalog.model("llama3-70b"), small, Request(quants=("F16",)))
    assert est.options[0].verdict == "no"
    assert est.options[0].tokens_per_s is None
    assert est.recommended is None


def test_more_context_never_needs_less_memory(catalog: Catalog) -> None:
    m = catalog.model("llama3.1-8b")
    mach = machine(catalog, "RTX 4090")
    totals = [estimate(m, mach, Request(quants=("Q4_K_M",), ctx=c)).options[0].total_bytes for c in (2048, 8192, 32768)]
    assert totals == sorted(totals)


def test_max_context_is_the_largest_that_fits(catalog: Catalog) -> None:
    m = catalog.model("llama3.1-8b")
    mach = machine(catalog, "RTX 4060 Ti 16GB")
    o = estimate(m, mach, Request(quants=("Q8_0",), ctx=4096)).options[0]
    assert o.max_context is not None and 4096 < o.max_context < m.context_max
    w = weights_breakdown(m, "Q8_0")
    at = plan(Placing(m, w, mach, o.max_context, "f16", 1, LLAMA_CPP), m.layers + 1)
    over = plan(Placing(m, w, mach, o.max_context + 256, "f16", 1, LLAMA_CPP), m.layers + 1)
    assert at.fits_gpus and not over.fits_gpus


def test_auto_context_is_fitted_like_llama_cpp(catalog: Catalog) -> None:
    # 128k of KV (16 GiB) does not fit beside F16 weights on 24 GB: llama.cpp's fit shrinks the context
    est = estimate(catalog.model("llama3.1-8b"), machine(catalog, "RTX 4090"), Request(quants=("F16", "Q4_K_M")))
    f16, q4 = est.options
    assert est.context == 131072 and est.context_auto
    assert f16.verdict == "gpu" and f16.context < 131072 and f16.context == f16.max_context
    assert any("context reduced" in n for n in f16.notes)
    # Q4_K_M with 16 GiB of cache still fits at the full 128k
    assert q4.verdict == "gpu" and q4.context == 131072


def test_unified_memory_uses_working_set(catalog: Catalog) -> None:
    mac = build_machine(
        catalog, gpu="M2 Ultra 192GB", vram_gb=None, ram_gb=None, ram_bandwidth_gbps=None, detected=None
    )
    (d,) = mac.devices
    assert d.unified and d.memory_bytes == int(192 * GIB * 3 / 4)
    assert mac.ram_bytes == 192 * GIB
    o = estimate(catalog.model("llama3-70b"), mac, Request(quants=("Q8_0",), ctx=8192)).options[0]
    assert o.verdict == "gpu"
    small = build_machine(catalog, gpu="M1 Max 32GB", vram_gb=None, ram_gb=None, ram_bandwidth_gbps=None, detected=None)
    assert small.devices[0].memory_bytes == int(32 * GIB * 2 / 3)


def test_moe_reads_only_active_experts(catalog: Catalog) -> None:
    mach = machine(catalog, "RTX 5090")
    moe = estimate(catalog.model("qwen3-30b-a3b"), mach, Request(quants=("Q4_K_M",), ctx=4096)).options[0]
    dense = estimate(catalog.model("qwen3-32b"), mach, Request(quants=("Q4_K_M",), ctx=4096)).options[0]
    assert moe.tokens_per_s is not None and dense.tokens_per_s is not None
    # measured on an RTX 5090: 30B-A3B 134 t/s vs a dense 27B at 30 t/s (estimation.md section 7)
    assert moe.tokens_per_s > 3 * dense.tokens_per_s


def test_speeds_positive_and_finite(catalog: Catalog) -> None:
    mach = machine(catalog, "RTX 3060 12GB", ram=32)
    for mid in ("qwen3-0.6b", "gemma3-27b", "mixtral-8x7b", "deepseek-r1-distill-qwen-32b"):
        for o in estimate(catalog.model(mid), mach, Request(ctx=4096)).options:
            if o.verdict != "no":
                assert o.tokens_per_s is not None and o.prefill_tokens_per_s is not None
                assert 0 < o.tokens_per_s < 10000 and math.isfinite(o.tokens_per_s)
                assert 0 < o.prefill_tokens_per_s < 1e6
                assert o.tokens_per_s_low is not None and o.tokens_per_s_high is not None
                assert o.tokens_per_s_low <= o.tokens_per_s <= o.tokens_per_s_high


def test_placement_never_exceeds_a_device(catalog: Catalog) -> None:
    m = catalog.model("qwen2.5-72b")
    mach = machine(catalog, "RTX 4090,RTX 3090", ram=128)
    w = weights_breakdown(m, "Q4_K_M")
    p = best_plan(Placing(m, w, mach, 8192, "f16", 1, LLAMA_CPP))
    for dev in p.devices[:-1]:
        assert dev.total_bytes <= dev.capacity_bytes


def test_more_vram_never_worse(catalog: Catalog) -> None:
    rank = {"no": 0, "cpu": 1, "partial": 2, "gpu": 3}
    m = catalog.model("qwen2.5-32b")
    prev = -1
    for vram in (8, 12, 16, 24, 32, 48):
        mach = build_machine(catalog, gpu="RTX 4090", vram_gb=vram, ram_gb=64, ram_bandwidth_gbps=60, detected=None)
        o = estimate(m, mach, Request(quants=("Q4_K_M",), ctx=8192)).options[0]
        assert rank[o.verdict] >= prev
        prev = rank[o.verdict]


def test_cpu_machine_speed_uses_ram_bandwidth(catalog: Catalog) -> None:
    slow = Machine((), 64 * GIB, 60 * GIB, 40.0, Cpu("x", 16, 32, ("avx2",)))
    fast = Machine((), 64 * GIB, 60 * GIB, 80.0, Cpu("x", 16, 32, ("avx2",)))
    m = catalog.model("llama3-8b")
    a = estimate(m, slow, Request(quants=("Q4_K_M",), ctx=4096)).options[0].tokens_per_s
    b = estimate(m, fast, Request(quants=("Q4_K_M",), ctx=4096)).options[0].tokens_per_s
    assert a is not None and b is not None and 1.6 < b / a < 2.1


def test_vllm_tensor_parallel_and_cache(catalog: Catalog) -> None:
    m = catalog.model("llama3.1-8b")
    one = estimate(m, machine(catalog, "RTX 4090"), Request(runtime="vllm", ctx=8192))
    bf16 = next(o for o in one.options if o.quant == "BF16")
    awq = next(o for o in one.options if o.quant == "AWQ")
    assert bf16.verdict == awq.verdict == "gpu"
    # AWQ at group 128: 4 + 20/128 bits on the linear layers, 16-bit embeddings and output
    assert awq.weights_bytes < bf16.weights_bytes / 2.5
    # vLLM gives every byte left under 90% of memory to the cache
    (p,) = bf16.placement
    assert p.total_bytes <= int(24 * GIB * 0.9) + 1
    assert bf16.max_context is not None and awq.max_context is not None and awq.max_context > bf16.max_context
    two = estimate(catalog.model("llama3-70b"), machine(catalog, "2x RTX 4090"), Request(runtime="vllm", ctx=4096))
    a = next(o for o in two.options if o.quant == "AWQ")
    assert a.verdict == "gpu" and len(a.placement) == 2
    assert any("--tensor-parallel-size 2" in n for n in a.notes)
    # an explicit --ctx the cache cannot hold fails like vLLM does at start-up
    big = estimate(m, machine(catalog, "RTX 3060 12GB"), Request(runtime="vllm", ctx=131072, quants=("BF16",)))
    assert big.options[0].verdict == "no"


def test_vllm_and_mlx_refuse_the_wrong_hardware(catalog: Catalog) -> None:
    m = catalog.model("qwen3-8b")
    mac = build_machine(catalog, gpu="M3 Max 64GB", vram_gb=None, ram_gb=None, ram_bandwidth_gbps=None, detected=None)
    assert {o.verdict for o in estimate(m, mac, Request(runtime="vllm")).options} == {"no"}
    assert {o.verdict for o in estimate(m, machine(catalog, "RTX 4090"), Request(runtime="mlx")).options} == {"no"}
    opts = estimate(m, mac, Request(runtime="mlx", ctx=8192)).options
    four = next(o for o in opts if o.quant == "4BIT")
    assert four.verdict == "gpu"
    # mlx affine 4-bit, group 64: 4.5 bits per weight, embeddings included
    assert 4.4 < four.bits_per_weight < 4.7


def test_slow_machine_is_not_pushed_to_the_smallest_file(catalog: Catalog) -> None:
    slow = Machine((), 32 * GIB, 30 * GIB, 20.0, Cpu("x", 2, 2, ("avx2",)))
    est = estimate(catalog.model("llama3-8b"), slow, Request(ctx=4096))
    by = {o.quant: o for o in est.options}
    assert all((o.tokens_per_s or 0) < 10 for o in est.options)
    rec = by[est.recommended or ""]
    fastest = max(o.tokens_per_s or 0 for o in est.options)
    assert (rec.tokens_per_s or 0) >= 0.75 * fastest
    assert rec.bits_per_weight > by["Q2_K"].bits_per_weight
