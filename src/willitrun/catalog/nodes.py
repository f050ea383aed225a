"""Several machines in one hardware spec: `--gpu "2 nodes x 8x H100 SXM5 80GB"` (also `2 nodes of ...`,
`2x node: ...`). The part after the node count is an ordinary `--gpu` text for one node; parse_hardware is left
as it is for every input it already takes."""

from __future__ import annotations

import re

from willitrun.errors import BadValueError

_NODES = re.compile(r"^\s*(\d{1,3})\s*(?:x\s*)?nodes?\s*(?:[x×*:]|of)\s*(.+)$", re.IGNORECASE)
MAX_NODES = 64


def split_nodes(spec: str) -> tuple[int, str]:
    """(node count, one node's --gpu text); (1, spec) when the text names no nodes."""
    m = _NODES.match(spec)
    if m is None:
        return 1, spec
    n = int(m.group(1))
    if not 1 <= n <= MAX_NODES:
        raise BadValueError(f"--gpu {spec!r}: {n} nodes is out of range", f"use 1 to {MAX_NODES} nodes")
    return n, m.group(2).strip()
