"""Tables the project keeps in step with others: GGML's type sizes and llama.cpp's file types (against the gguf
package), and the estimate core's independence (it imports nothing of willitrun outside itself)."""

from __future__ import annotations

import ast
from pathlib import Path

import gguf.constants as gc
import pytest

from willitrun.estimate.quants import GGML_TYPES
from willitrun.sources.gguf_file import FILE_TYPES

SRC = Path(__file__).resolve().parent.parent / "src" / "willitrun"


def test_ggml_block_sizes_match_the_gguf_package() -> None:
    theirs = {t.name: size for t, size in gc.GGML_QUANT_SIZES.items()}
    checked = 0
    for name, t in GGML_TYPES.items():
        if name not in theirs:
            continue  # a type the installed gguf package predates
        assert (t.block, t.block_bytes) == theirs[name], name
        checked += 1
    assert checked >= 20


# Our name for a file type where it differs from llama-quantize's: its MXFP4_MOE mix is what we call MXFP4.
OUR_NAME = {"MXFP4_MOE": "MXFP4"}


def test_file_types_match_llama_cpp_ftypes() -> None:
    def ours(ft: gc.LlamaFileType) -> str:
        name = ft.name.removeprefix("MOSTLY_").removeprefix("ALL_")
        return OUR_NAME.get(name, name)

    theirs = {int(ft): ours(ft) for ft in gc.LlamaFileType}
    checked = 0
    for code, name in FILE_TYPES.items():
        if code not in theirs:
            continue
        assert theirs[code] == name, (code, name, theirs[code])
        checked += 1
    assert checked >= 20


def _imports(path: Path) -> set[str]:
    mods: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module)
    return mods


@pytest.mark.parametrize("path", sorted((SRC / "estimate").glob("*.py")), ids=lambda p: p.name)
def test_estimate_imports_nothing_outside_itself(path: Path) -> None:
    ours = {m for m in _imports(path) if m == "willitrun" or m.startswith("willitrun.")}
    outside = {m for m in ours if not m.startswith("willitrun.estimate")}
    assert not outside, f"{path.name} imports {sorted(outside)}"
