"""A bounded fuzz of the GGUF reading path: arbitrary bytes and mutated valid files either read or give a
WillItRunError naming the file, never another exception (CI affords a few hundred cases)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_sources_gguf import write_llama
from willitrun.errors import WillItRunError
from willitrun.sources.gguf_file import read_gguf

_DIR = Path(tempfile.mkdtemp(prefix="wir-fuzz-"))
_VALID = write_llama(_DIR / "valid-Q8_0.gguf").path.read_bytes()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(data: bytes) -> None:
    f = _DIR / "case.gguf"
    f.write_bytes(data)
    try:
        g = read_gguf(str(f))
    except WillItRunError as e:
        assert "\n" not in e.one_line() and "case.gguf" in e.one_line()
        return
    # whatever was read must be self-consistent
    assert g.weights.total_bytes == sum(g.weights.types.values())
    assert g.spec.layers >= 1


@FUZZ
@given(st.binary(max_size=4096), st.booleans())
def test_arbitrary_bytes(data: bytes, with_magic: bool) -> None:
    _read((b"GGUF\x03\x00\x00\x00" + data) if with_magic else data)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2047), st.integers(0, 255)), min_size=1, max_size=12))
def test_mutated_header(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_VALID)
    for pos, val in flips:
        data[pos % len(data)] = val
    _read(bytes(data))


@FUZZ
@given(st.integers(0, len(_VALID) - 1))
def test_truncated_anywhere(cut: int) -> None:
    _read(_VALID[:cut])
