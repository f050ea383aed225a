"""The speed model's constants: a handful per backend and quantization family, nothing per GPU or per model.

How they were obtained: `python benchmarks/accuracy.py --fit` fits them on ../shared/calibration/tokens_per_s.csv
(llama-bench runs on RTX 3070/3090/4090, A100, RTX A6000, Apple M1/M1 Max/M2 Ultra, NVIDIA GB10), and the
same script reports the leave-one-GPU-out error with them. Where no calibration row covers a backend (ROCm,
Vulkan, SYCL, CPU) the value is an assumption, marked as such, and the speed range is widened.

Meaning:
- `eta[family]`: share of peak memory bandwidth a decode step achieves when reading weights of that family
  (estimation.md section 7: 0.55 to 0.86 measured; lower for i-quants, whose dequantisation costs compute).
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
    layer_s: float
    token_s: float
    hop_s: float
    compute_eff: dict[str, float]
    range: tuple[float, float]
    calibrated: bool


# Families: float (F16/BF16/F32), q8 (Q8_0), k (k-quants), legacy (Q4_0/Q5_0...), iq (i-quants), mxfp4.
BACKENDS: dict[str, BackendConstants] = {
    "cuda": BackendConstants(
        eta={"float": 0.87, "q8": 0.855, "k": 0.80, "legacy": 0.79, "iq": 0.56, "mxfp4": 0.865},
        layer_s=42e-6,
        token_s=1.26e-3,
        hop_s=0.15e-3,
        # float > 1: GeForce cards run llama.cpp's FP16 GEMMs with FP16 accumulation, twice the catalog's
        # FP32-accumulate figure; q8/legacy/iq/mxfp4 from few rows (iq assumed from k-quants' ratio, 1c(b)).
        compute_eff={"float": 1.15, "q8": 0.31, "k": 0.75, "legacy": 0.39, "iq": 0.35, "mxfp4": 0.365},
        range=(0.7, 1.1),
        calibrated=True,
    ),
    "metal": BackendConstants(
        eta={"float": 0.756, "q8": 0.84, "k": 0.466, "legacy": 0.83, "iq": 0.40, "mxfp4": 0.62},
        layer_s=19e-6,
        token_s=3.08e-3,
        hop_s=0.0,
        compute_eff={"float": 0.745, "q8": 0.71, "k": 0.59, "legacy": 0.70, "iq": 0.50, "mxfp4": 0.55},
        range=(0.85, 1.28),
        calibrated=True,
    ),
    # No calibration rows yet: assumed from CUDA with the lower efficiencies users report.
    "rocm": BackendConstants(
        eta={"float": 0.70, "q8": 0.66, "k": 0.60, "legacy": 0.62, "iq": 0.45, "mxfp4": 0.55},
        layer_s=10e-6,
        token_s=1.5e-3,
        hop_s=0.5e-3,
        compute_eff={"float": 0.35, "q8": 0.30, "k": 0.28, "legacy": 0.30, "iq": 0.25, "mxfp4": 0.28},
        range=(0.7, 1.3),
        calibrated=False,
    ),
    "vulkan": BackendConstants(
        eta={"float": 0.68, "q8": 0.64, "k": 0.58, "legacy": 0.60, "iq": 0.42, "mxfp4": 0.52},
        layer_s=12e-6,
        token_s=1.8e-3,
        hop_s=0.6e-3,
        compute_eff={"float": 0.30, "q8": 0.26, "k": 0.24, "legacy": 0.26, "iq": 0.20, "mxfp4": 0.24},
        range=(0.65, 1.35),
        calibrated=False,
    ),
    "sycl": BackendConstants(
        eta={"float": 0.60, "q8": 0.56, "k": 0.50, "legacy": 0.52, "iq": 0.38, "mxfp4": 0.45},
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
