"""From what the user typed to a model to estimate: a catalog name, a .gguf file, `ollama:NAME`, or a Hugging Face
repo id, with the exact weights of its files when we can know them."""

from __future__ import annotations

import os.path
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from willitrun.errors import UnknownNameError, WillItRunError
from willitrun.estimate.types import Record

if TYPE_CHECKING:
    from willitrun.catalog.load import Catalog
    from willitrun.estimate.tensors import WeightsBreakdown
    from willitrun.estimate.types import ModelSpec


@dataclass(frozen=True, eq=False, repr=False)
class ModelSource(Record):
    """A model to estimate: its architecture, and the exact weights of its files when we have them."""

    spec: ModelSpec
    weights: tuple[WeightsBreakdown, ...] = ()
    extra_bytes: int = 0  # beside the model on the GPU: a vision projector
    notes: tuple[str, ...] = ()
    path: str | None = None  # the .gguf file it was read from

    @property
    def quants(self) -> tuple[str, ...]:
        return tuple(w.mix for w in self.weights)


def quant_in_name(file_name: str) -> str | None:
    """The llama.cpp file type a GGUF file name carries ('...-Q4_K_M.gguf', '..._iq2_m-00001-of-00002.gguf')."""
    from willitrun.estimate.quants import MIX_DEFAULT

    up = file_name.upper()
    for q in sorted(MIX_DEFAULT, key=len, reverse=True):
        if re.search(rf"[.\-_]{q}[.\-_]", up):
            return q
    return None


def _is_file(text: str) -> bool:
    try:
        return os.path.isfile(text)
    except (OSError, ValueError):
        return False


def model_source(cat: Catalog, text: str, mmproj: str | None = None) -> ModelSource:
    """Catalog names first; then a .gguf path, ollama:NAME, or a Hugging Face repo id."""
    from willitrun.catalog.resolve import resolve_model

    extra = 0
    notes: list[str] = []
    if mmproj is not None:
        from willitrun.sources.gguf_file import mmproj_bytes

        extra = mmproj_bytes(mmproj)
        notes.append(f"vision projector {os.path.basename(mmproj)}: {extra / 2**30:.2f} GiB on the GPU")
    text = text.strip()
    if text.lower().endswith(".gguf") or (text and _is_file(text)):
        return _file_source(text, mmproj, extra, notes)
    if text.lower().startswith("ollama:"):
        return _ollama_source(text[7:].strip(), extra, notes)
    try:
        return ModelSource(resolve_model(cat, text), (), extra, tuple(notes))
    except UnknownNameError:
        if text.count("/") != 1 or text.startswith("/"):
            raise
    return _hub_source(cat, text, extra, notes)


def _file_source(path: str, mmproj: str | None, extra: int, notes: list[str]) -> ModelSource:
    from willitrun.sources.gguf_file import find_mmproj, mmproj_bytes, read_gguf

    g = read_gguf(path)
    if mmproj is None:
        beside = find_mmproj(path)
        if beside:
            extra = mmproj_bytes(beside)
            notes.append(f"vision projector found beside the model: {os.path.basename(beside)}")
    notes.append(f"read from the file: {g.spec.layers} layers, {g.quant}, {g.file_bytes / 2**30:.2f} GiB")
    return ModelSource(g.spec, (g.weights,), extra, tuple(notes), path=path)


def _ollama_source(name: str, extra: int, notes: list[str]) -> ModelSource:
    from willitrun.estimate.quants import normalize_mix
    from willitrun.estimate.tensors import scaled_to, weights_breakdown
    from willitrun.sources.ollama import show_model

    om = show_model(name)
    if om.spec is None:
        raise WillItRunError(f"Ollama did not report the architecture of {name!r}", "update Ollama and retry")
    quant = normalize_mix(om.quant or "") or "Q4_K_M"
    w = weights_breakdown(om.spec, quant)
    if om.size_bytes:
        w = scaled_to(w, om.size_bytes)
    notes.append(f"installed in Ollama: {om.name}, {om.quant or '?'}, {om.size_bytes / 2**30:.2f} GiB blob")
    return ModelSource(om.spec, (w,), extra, tuple(notes))


def _hub_source(cat: Catalog, repo: str, extra: int, notes: list[str]) -> ModelSource:
    from willitrun.catalog.resolve import resolve_model
    from willitrun.estimate.tensors import scaled_to, weights_breakdown
    from willitrun.sources.huggingface import fetch_model

    hm = fetch_model(repo)
    if hm.from_cache:
        notes.append(f"{repo}: from the local cache (the Hub was not reachable)")
    spec = hm.spec
    if spec is None:
        base = re.sub(r"(?i)[-_.]gguf$", "", repo.split("/", 1)[1])
        try:
            spec = resolve_model(cat, base)
            notes.append(f"{repo} has no config.json: architecture from the catalog entry {spec.id}")
        except WillItRunError:
            raise WillItRunError(
                f"{repo} has no config.json and matches no catalog model",
                "point willitrun at the original repo, or download a file and give its path",
            ) from None
    weights: list[WeightsBreakdown] = []
    for fname, size in hm.gguf_files:
        quant = quant_in_name(fname)
        if quant and "MMPROJ" not in fname.upper() and all(w.mix != quant for w in weights):
            weights.append(scaled_to(weights_breakdown(spec, quant), size))
    if hm.gguf_files:
        notes.append(f"{repo}: {len(weights)} GGUF files, sized as listed on the Hub")
    return ModelSource(spec, tuple(weights), extra, tuple(notes))
