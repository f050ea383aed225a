"""The speed model's constants: a handful per backend and quantization family, nothing per GPU or per model.

How they were obtained: `python benchmarks/accuracy.py --fit` fits them on ../shared/calibration/tokens_per_s.csv
(llama-bench runs on RTX 3070/3090/4090, A100, RTX A6000, Apple M1/M1 Max/M2 Ultra, NVIDIA GB10), and the
same script reports the leave-one-GPU-out error with them. Where no calibration row covers a backend (ROCm,
Vulkan, SYCL, CPU) the value is an assumption, marked as such, and the speed range is widened.

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


@dataclass(frozen=True)
class BackendConstants:
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
    # Fitted by benchmarks/accuracy.py --fit (2026-11-28) on 443 current rows. i-quant values (IQ1-IQ3) are not in
    # the calibration data: eta as the k-quants, dq_ops from the relative tg128 speeds of llama.cpp's quantize
    # README table (estimation.md 1c(b)).
    "cuda": BackendConstants(
        eta={"float": 0.92, "q8": 0.882, "k": 0.92, "legacy": 0.799, "iq": 0.92, "mxfp4": 0.92},
        kv_eta=0.756,
        kv_eta_nofa=0.422,
        dq_ops={"float": 9.53, "q8": 4.563, "k": 5.513, "legacy": 3.464, "iq": 25.0, "mxfp4": 3.727},
        kq_bytes=0.0,
        layer_s=28.8e-6,
        token_s=1.28e-3,
        hop_s=0.127e-3,
        # relative to the rate prefill uses: FP16-accumulate tensor TFLOPS for F16, INT8 TOPS for quantized (MMQ)
        compute_eff={"float": 0.715, "q8": 0.206, "k": 0.206, "legacy": 0.206, "iq": 0.206, "mxfp4": 0.206},
        range=(0.87, 1.15),
        calibrated=True,
    ),
    "metal": BackendConstants(
        eta={"float": 0.79, "q8": 0.92, "k": 0.564, "legacy": 0.92, "iq": 0.564, "mxfp4": 0.75},
        kv_eta=0.7,
        kv_eta_nofa=0.126,
        dq_ops={"float": 4.853, "q8": 5.425, "k": 6.143, "legacy": 5.915, "iq": 28.0, "mxfp4": 4.0},
        kq_bytes=7.06,
        layer_s=6.86e-6,
        token_s=1.4e-3,
        hop_s=0.3e-3,
        compute_eff={"float": 0.761, "q8": 0.602, "k": 0.602, "legacy": 0.602, "iq": 0.602, "mxfp4": 0.602},
        range=(0.83, 1.31),
        calibrated=True,
    ),
    # No calibration rows yet: assumed from CUDA with the lower efficiencies users report.
    "rocm": BackendConstants(
        eta={"float": 0.70, "q8": 0.66, "k": 0.60, "legacy": 0.62, "iq": 0.45, "mxfp4": 0.55},
        kv_eta=0.7,
        kv_eta_nofa=0.4,
        dq_ops={"float": 2.0, "q8": 4.0, "k": 6.0, "legacy": 4.0, "iq": 10.0, "mxfp4": 6.0},
        kq_bytes=12.0,
        layer_s=10e-6,
        token_s=1.5e-3,
        hop_s=0.5e-3,
        compute_eff={"float": 0.35, "q8": 0.30, "k": 0.28, "legacy": 0.30, "iq": 0.25, "mxfp4": 0.28},
        range=(0.7, 1.3),
        calibrated=False,
    ),
    "vulkan": BackendConstants(
        eta={"float": 0.68, "q8": 0.64, "k": 0.58, "legacy": 0.60, "iq": 0.42, "mxfp4": 0.52},
        kv_eta=0.7,
        kv_eta_nofa=0.4,
        dq_ops={"float": 2.0, "q8": 4.0, "k": 6.0, "legacy": 4.0, "iq": 10.0, "mxfp4": 6.0},
        kq_bytes=12.0,
        layer_s=12e-6,
        token_s=1.8e-3,
        hop_s=0.6e-3,
        compute_eff={"float": 0.30, "q8": 0.26, "k": 0.24, "legacy": 0.26, "iq": 0.20, "mxfp4": 0.24},
        range=(0.65, 1.35),
        calibrated=False,
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
    # CPU decode: a Raspberry Pi 5 reaches size x t/s ~ 10 GB/s flat across quants (llama.cpp #26484), about
    # 60% of its 17 GB/s; desktop parts report 55-70%.
    "cpu": BackendConstants(
        eta={"float": 0.62, "q8": 0.62, "k": 0.60, "legacy": 0.60, "iq": 0.45, "mxfp4": 0.55},
        kv_eta=0.7,
        kv_eta_nofa=0.4,
        dq_ops={"float": 2.0, "q8": 4.0, "k": 6.0, "legacy": 4.0, "iq": 10.0, "mxfp4": 6.0},
        kq_bytes=12.0,
        layer_s=15e-6,
        token_s=1.0e-3,
        hop_s=0.0,
        compute_eff={"float": 0.5, "q8": 0.5, "k": 0.45, "legacy": 0.5, "iq": 0.35, "mxfp4": 0.45},
        range=(0.65, 1.35),
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

# System RAM bandwidth assumed when neither --ram-bandwidth nor a measurement is available (dual-channel DDR5).
DEFAULT_RAM_BANDWIDTH_GBPS = 64.0

# A useful decode speed for the recommendation (tokens/s), and the floor below which an option is "slow".
USEFUL_TOKENS_PER_S = 10.0


def backend(name: str) -> BackendConstants:
    return BACKENDS.get(name, BACKENDS["vulkan"])
