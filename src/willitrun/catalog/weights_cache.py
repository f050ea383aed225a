"""The per-quantization weight breakdowns of a model, kept in the cache between runs.

Computing them applies llama.cpp's per-tensor rules to every tensor of every mix, which is most of what
`check` computes; the result depends only on the model's shapes and this code, so it is keyed on both.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from willitrun.estimate.tensors import LayerBytes, WeightsBreakdown, weights_breakdown
from willitrun.estimate.types import ModelSpec
from willitrun.fingerprint import fingerprint
from willitrun.paths import cache_dir

LAYOUT = "2"


def _key(spec: ModelSpec, mixes: tuple[str, ...]) -> str:
    from willitrun import __version__

    text = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str)
    return fingerprint(f"{text}|{','.join(mixes)}|{LAYOUT}|{__version__}".encode())


def _revive(d: dict[str, Any]) -> WeightsBreakdown:
    layers = tuple(LayerBytes(*x) for x in d["layers"])
    return WeightsBreakdown(
        d["mix"],
        d["total_bytes"],
        d["token_embd_bytes"],
        d["output_bytes"],
        d["output_is_tied"],
        layers,
        d["types"],
        d["input_extra_bytes"],
    )


def cached_weights(spec: ModelSpec, mixes: tuple[str, ...]) -> tuple[WeightsBreakdown, ...]:
    cdir = cache_dir()
    path = cdir / f"weights-{_key(spec, mixes)}.json" if cdir else None
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return tuple(_revive(d) for d in data)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    out = tuple(weights_breakdown(spec, m) for m in mixes)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
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
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
    return out
