"""The speed model's constants: a handful per backend and quantization family, nothing per GPU or per model.

How they were obtained: `python benchmarks/accuracy.py --fit` fits them on ../shared/calibration/tokens_per_s.csv
(llama-bench runs on RTX 3070/3090/4090, A100, RTX A6000, Apple M1/M1 Max/M2 Ultra, NVIDIA GB10), and the
same script reports the leave-one-GPU-out error with them. backends.csv (ROCm, Vulkan, SYCL, CPU and many
more CUDA and Metal devices) calibrates Metal, ROCm, Vulkan and the CPU's prompt processing; SYCL has one device
there, too few to fit, and CPU decode fitted on five CPUs did not hold on the held-out offload runs: both keep
assumed values with a wide range.

Meaning:
- `eta[family]`: share of peak memory bandwidth a decode step achieves when reading weights of that family
  (estimation.md section 7: 0.55 to 0.86 measured).
- `kv_eta`, `kv_eta_nofa`: the same for reading the KV cache, with and without flash attention.
- `dq_ops[family]`: shader operations per weight per token (dequantising and multiplying), spent at the FP32
  rate on top of the memory time; large for i-quants, whose look-up grids cost compute.
- `kq_bytes`: bytes of memory traffic per KQ element in prompt processing without flash attention (the f32
  matrix is written, soft-maxed and read again).
- `layer_s`: fixed time per layer per token (kernel launches, synchronisation) on that backend.
- `token_s`: fixed time per generated token (sampling, graph launch, host round trip).
- `hop_s`: extra time per token for each further GPU in a layer split (activations cross PCIe).
- `compute_eff`: share of dense FP16 tensor TFLOPS that prompt processing reaches, per family.
- `range`: (low, high) multipliers around the estimate: the spread of calibrated residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.estimate.types import Record


@dataclass(frozen=True, eq=False, repr=False)
class BackendConstants(Record):
    eta: dict[str, float]
    kv_eta: float
    kv_eta_nofa: float
    dq_ops: dict[str, float]
    kq_bytes: float
    layer_s: float
    token_s: float
    hop_s: float
    compute_eff: dict[str, float]
    range: tuple[float, float]
    calibrated: bool


# Families: float (F16/BF16/F32), q8 (Q8_0), k (k-quants), legacy (Q4_0/Q5_0...), iq (i-quants), mxfp4.
BACKENDS: dict[str, BackendConstants] = {
    # Refitted by benchmarks/accuracy.py --fit (2026-12-03) on tokens_per_s.csv together with the CUDA rows of
    # backends.csv (21 more cards, Maxwell to Blackwell). i-quant values (IQ1-IQ3) are not in the calibration
    # data: eta as the k-quants, dq_ops from the relative tg128 speeds of llama.cpp's quantize README table
    # (estimation.md 1c(b)).
    "cuda": BackendConstants(
        eta={"float": 0.92, "q8": 0.876, "k": 0.92, "legacy": 0.92, "iq": 0.92, "mxfp4": 0.92},
        kv_eta=0.735,
        kv_eta_nofa=0.385,
        dq_ops={"float": 9.227, "q8": 3.727, "k": 5.513, "legacy": 2.039, "iq": 25.0, "mxfp4": 4.881},
        kq_bytes=0.0,
        layer_s=27.7e-6,
        token_s=1.17e-3,
        hop_s=0.137e-3,
        # relative to the rate prefill uses: FP16-accumulate tensor TFLOPS for F16, INT8 TOPS for quantized (MMQ)
        compute_eff={"float": 0.715, "q8": 0.205, "k": 0.205, "legacy": 0.205, "iq": 0.205, "mxfp4": 0.205},
        range=(0.84, 1.15),
        calibrated=True,
    ),
    # Refitted 2026-12-03 on tokens_per_s.csv together with backends.csv (20+ Apple chips, M1 to M4 Ultra);
    # i-quant values as before (no i-quant rows).
    "metal": BackendConstants(
        eta={"float": 0.862, "q8": 0.92, "k": 0.553, "legacy": 0.92, "iq": 0.564, "mxfp4": 0.671},
        kv_eta=0.7,
        kv_eta_nofa=0.167,
        dq_ops={"float": 6.527, "q8": 2.136, "k": 4.905, "legacy": 1.751, "iq": 28.0, "mxfp4": 4.0},
        kq_bytes=47.8,
        layer_s=60e-6,
        token_s=1.49e-3,
        hop_s=0.3e-3,
        compute_eff={"float": 0.817, "q8": 0.693, "k": 0.693, "legacy": 0.693, "iq": 0.693, "mxfp4": 0.693},
        range=(0.82, 1.19),
        calibrated=True,
    ),
    # ROCm and Vulkan: fitted 2026-12-03 by benchmarks/accuracy.py --fit on backends.csv (Strix Halo, MI100,
    # W7800, RX 5700 XT/570 under ROCm; Strix Halo, RX 7900 XT/5700 XT/580/480, Arc A310, RTX 3090/3060/2070
    # under Vulkan). Strix Halo holds most of the ROCm and Vulkan rows. Families without rows (i-quants) keep the
    # earlier assumptions. The range is set by hand where the leave-one-device-out
    # spread is too wide to be a useful range (ROCm, Vulkan): the README table gives the real coverage.
    "rocm": BackendConstants(
        eta={"float": 0.92, "q8": 0.86, "k": 0.784, "legacy": 0.92, "iq": 0.45, "mxfp4": 0.92},
        kv_eta=0.552,
        kv_eta_nofa=1.0,
        dq_ops={"float": 0.0, "q8": 10.473, "k": 3.742, "legacy": 2.448, "iq": 10.0, "mxfp4": 0.0},
        kq_bytes=200.0,
        layer_s=100e-6,
        token_s=0.868e-3,
        hop_s=0.3e-3,
        compute_eff={"float": 0.385, "q8": 0.263, "k": 0.263, "legacy": 0.263, "iq": 0.263, "mxfp4": 0.263},
        range=(0.7, 1.6),
        calibrated=True,
    ),
    "vulkan": BackendConstants(
        eta={"float": 0.92, "q8": 0.716, "k": 0.92, "legacy": 0.916, "iq": 0.42, "mxfp4": 0.92},
        kv_eta=0.672,
        kv_eta_nofa=1.0,
        # float 60 is the fit's upper bound: BF16 weights decode far below bandwidth under Vulkan (Strix Halo)
        dq_ops={"float": 60.0, "q8": 1.417, "k": 15.719, "legacy": 2.435, "iq": 10.0, "mxfp4": 9.537},
        kq_bytes=46.4,
        layer_s=44.7e-6,
        token_s=0.317e-3,
        hop_s=0.6e-3,
        compute_eff={"float": 0.129, "q8": 0.175, "k": 0.175, "legacy": 0.175, "iq": 0.175, "mxfp4": 0.175},
        range=(0.6, 1.6),
        calibrated=True,
    ),
    "sycl": BackendConstants(
        eta={"float": 0.60, "q8": 0.56, "k": 0.50, "legacy": 0.52, "iq": 0.38, "mxfp4": 0.45},
        kv_eta=0.7,
        kv_eta_nofa=0.4,
        dq_ops={"float": 2.0, "q8": 4.0, "k": 6.0, "legacy": 4.0, "iq": 10.0, "mxfp4": 6.0},
        kq_bytes=12.0,
        layer_s=15e-6,
        token_s=2.0e-3,
        hop_s=0.6e-3,
        compute_eff={"float": 0.25, "q8": 0.22, "k": 0.20, "legacy": 0.22, "iq": 0.18, "mxfp4": 0.20},
        range=(0.6, 1.4),
        calibrated=False,
    ),
    # CPU decode: not fitted. Fitting it on the five CPUs of backends.csv (Apple M4 Max CPU side, Cix CP8180,
    # Snapdragon 8cx Gen 3, QCS6490, i5-4278U) made the held-out x86 offload runs (benchmarks/offload.py, an
    # i9-10900X) 40-50% fast, so it stays an assumption: a Raspberry Pi 5 reaches size x t/s ~ 10 GB/s flat across
    # quants (llama.cpp #26484), about 60% of its 17 GB/s; desktop parts report 55-70%. What the CPU rows do fix
    # is structural: threads cap the bandwidth (CPU_THREAD_GBPS), efficiency cores set the pace once used, and
    # the arithmetic runs at the int8 dot-product rate (CPU_INT8_GAIN).
    "cpu": BackendConstants(
        eta={"float": 0.62, "q8": 0.62, "k": 0.60, "legacy": 0.60, "iq": 0.45, "mxfp4": 0.55},
        kv_eta=0.7,
        kv_eta_nofa=0.4,
        dq_ops={"float": 2.0, "q8": 4.0, "k": 6.0, "legacy": 4.0, "iq": 10.0, "mxfp4": 6.0},
        kq_bytes=12.0,
        layer_s=15e-6,
        token_s=1.0e-3,
        hop_s=0.0,
        # fitted (one value for every family) on the five CPUs' prompt-processing rows
        compute_eff={"float": 0.398, "q8": 0.398, "k": 0.398, "legacy": 0.398, "iq": 0.398, "mxfp4": 0.398},
        # high end from the leave-one-device-out spread (the CPUs run up to 1.8x the estimate); low end wide enough
        # for the held-out offload runs, which come out up to 20% fast
        range=(0.6, 1.8),
        calibrated=False,
    ),
}

# A GPU whose speed figures are not in the catalog (detected but unknown): widen the range by this much.
UNKNOWN_DEVICE_RANGE = (0.5, 1.6)

# Host link for partial offload during prompt processing (llama.cpp copies CPU-resident weights to the GPU for
# batches of 32 tokens or more). PCIe 4.0 x16 moves about 25 GB/s in practice.
PCIE_GBPS = 25.0

# CPU arithmetic when nothing better is known: FP32 FMA lanes x 2 x clock, per physical core.
CPU_FLOPS_PER_CYCLE = {"avx512": 64, "avx2": 32, "neon": 16, "none": 8}
CPU_CLOCK_GHZ = 3.0
# The CPU multiplies quantized weights with int8 dot-product instructions: the gain over the FP32 FMA rate per
# extension, from the instruction widths (VNNI, Arm dotprod and i8mm: four int8 products per 32-bit lane in one
# instruction where FP32 does one FMA; AMX tiles far more), not fitted: few calibration CPUs. SME is left out:
# llama.cpp uses it only through the optional KleidiAI kernels.
CPU_INT8_GAIN = {
    "avx_vnni": 2.0,
    "avx512_vnni": 2.0,
    "avx512vnni": 2.0,
    "asimddp": 2.0,
    "i8mm": 2.0,
    "amx_int8": 8.0,
}
# Matrix-tile extensions: they multiply matrices, so they speed up prompt processing, not one token's
# matrix-vector products.
CPU_MATRIX_TILES = frozenset({"amx_int8"})
# Peak RAM bandwidth one CPU thread can use while decoding (GB/s; what it reaches is eta times this). The CPU
# rows of backends.csv bound it from below: 8 threads of an M4 Max read 177 GB/s (llama 8B Q4_K at 38 t/s),
# 22 GB/s each, 37 GB/s of peak at the CPU's eta of 0.6. With few threads, or a CPU cluster on a wide unified
# memory, this and not the RAM is the limit.
CPU_THREAD_GBPS = 37.0
# Throughput of an efficiency core (Intel E-core, Apple E-core, Cortex-A55/A520) relative to a performance core
# of the same chip, per thread: about a third for Arm's little in-order cores (one 128-bit pipe against two to
# four) and Apple's E-cores, a half for Intel's Gracemont (two 128-bit pipes against two 256-bit). Assumed.
CPU_EFFICIENCY_CORE_SPEED = 0.4

# System RAM bandwidth assumed when neither --ram-bandwidth nor a measurement is available (dual-channel DDR5).
DEFAULT_RAM_BANDWIDTH_GBPS = 64.0

# A useful decode speed for the recommendation (tokens/s), and the floor below which an option is "slow".
USEFUL_TOKENS_PER_S = 10.0


def backend(name: str) -> BackendConstants:
    return BACKENDS.get(name, BACKENDS["vulkan"])
