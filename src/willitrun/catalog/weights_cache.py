"""The per-quantization weight breakdowns of a model, kept in the cache between runs.

Computing them applies llama.cpp's per-tensor rules to every tensor of every mix, which is most of what
`check` computes; the result depends only on the model's shapes and this code, so it is keyed on both.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from willitrun.estimate.tensors import LayerBytes, WeightsBreakdown, weights_breakdown
from willitrun.estimate.types import ModelSpec
from willitrun.fingerprint import fingerprint
from willitrun.paths import cache_dir, read_cache, write_cache

LAYOUT = "2"


def _key(spec: ModelSpec, mixes: tuple[str, ...]) -> str:
    from willitrun import __version__

    text = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str)
    return fingerprint(f"{text}|{','.join(mixes)}|{LAYOUT}|{__version__}".encode())


def _revive(d: dict[str, Any]) -> WeightsBreakdown:
    return WeightsBreakdown(
        mix=d["mix"],
        total_bytes=d["total_bytes"],
        token_embd_bytes=d["token_embd_bytes"],
        output_bytes=d["output_bytes"],
        output_is_tied=d["output_is_tied"],
        layers=tuple(LayerBytes(*x) for x in d["layers"]),  # [layer, total, dense, experts], as written below
        types=d["types"],
        input_extra_bytes=d["input_extra_bytes"],
    )


def cached_weights(spec: ModelSpec, mixes: tuple[str, ...]) -> tuple[WeightsBreakdown, ...]:
    cdir = cache_dir()
    path = cdir / f"weights-{_key(spec, mixes)}.json" if cdir else None
    data = read_cache(path) if path is not None else None
    if isinstance(data, list):
        try:
            return tuple(_revive(d) for d in data)
        except (KeyError, TypeError, ValueError):
            pass
    out = tuple(weights_breakdown(spec, m) for m in mixes)
    if path is not None:
        rows = [
            {
                "mix": w.mix,
                "total_bytes": w.total_bytes,
                "token_embd_bytes": w.token_embd_bytes,
                "output_bytes": w.output_bytes,
                "output_is_tied": w.output_is_tied,
                "layers": [[lb.layer, lb.bytes_total, lb.bytes_dense, lb.bytes_experts] for lb in w.layers],
                "types": w.types,
                "input_extra_bytes": w.input_extra_bytes,
            }
            for w in out
        ]
        write_cache(path, rows)
    return out
