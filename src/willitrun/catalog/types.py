"""Catalog value types beyond the model architecture (which lives with the estimate core)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuSpec:
    """An accelerator or unified-memory chip/system from data/gpus.yaml."""

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

    @property
    def backend(self) -> str:
        return self.backends[0] if self.backends else "vulkan"
