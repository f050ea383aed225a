"""Known problems (data/errors.yaml) matched in pasted text or a whole log, ranked by specificity.

Lines are read one at a time, decoded leniently and cut to a sane length, so a 100 MB log with binary junk
costs memory for the evidence only. One combined expression picks candidate lines; each problem's own patterns
then decide.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from willitrun.catalog.entry import Entry
from willitrun.catalog.load import cached_records, data_dir, revive
from willitrun.errors import BadValueError, CatalogError
from willitrun.estimate.types import Record

MAX_LINE = 4000
MAX_EVIDENCE = 3


@dataclass(frozen=True, eq=False, repr=False)
class Problem(Record):
    id: str
    title: str
    runtimes: tuple[str, ...]
    patterns: tuple[str, ...]
    weight: int
    cause: str
    fixes: tuple[str, ...]
    examples: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[str, ...] = ()


def _build(path: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("problems"), list):
        raise CatalogError(f"{path}: must be a mapping with a 'problems:' list")
    out: list[Problem] = []
    for i, r in enumerate(raw["problems"]):
        e = Entry(path, "problem", i, r)
        patterns = e.strs("patterns")
        if not patterns:
            raise e.fail("patterns", "needs at least one regular expression")
        for pat in patterns:
            try:
                re.compile(pat, re.IGNORECASE)
            except re.error as exc:
                raise e.fail("patterns", f"has an invalid expression {pat!r} ({exc})") from None
        fixes = e.strs("fixes")
        if not fixes:
            raise e.fail("fixes", "needs at least one fix")
        out.append(
            Problem(
                id=e.ident(),
                title=e.str_("title", required=True),
                runtimes=e.strs("runtimes"),
                patterns=patterns,
                weight=e.int_("weight", required=True, lo=1, hi=5),
                cause=e.str_("cause", required=True).strip(),
                fixes=fixes,
                examples=e.strs("examples"),
                related=e.strs("related"),
                sources=e.strs("sources"),
            )
        )
    return {"problems": out}


def load_problems(path: Path | None = None) -> list[Problem]:
    p = path or data_dir() / "errors.yaml"
    return revive(Problem, cached_records(p, "problems", lambda raw: _build(str(p), raw))["problems"])


@dataclass
class Match:
    problem: Problem
    count: int = 0
    evidence: list[tuple[int, str]] = field(default_factory=list)
    last_line: int = 0

    @property
    def score(self) -> float:
        return self.problem.weight + 0.5 * math.log10(1 + self.count)

    @property
    def confidence(self) -> float:
        """0..1: how sure we are this is the problem (weight, then repetition)."""
        return round(min(1.0, 0.25 + 0.15 * self.problem.weight + 0.05 * math.log2(1 + self.count)), 2)


def anchor_of(pattern: str) -> str | None:
    """The longest literal run a pattern needs at its top level (lower case, 4+ characters), or None.

    A line without it cannot match, so scanning looks for anchors with fast substring searches over big chunks
    and runs the regular expressions only on the few lines that hold one."""
    import importlib

    try:
        P: Any = importlib.import_module("re._parser")
        C: Any = importlib.import_module("re._constants")
    except ImportError:  # Python 3.10
        P = importlib.import_module("sre_parse")
        C = importlib.import_module("sre_constants")
    try:
        parsed = P.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    best, run = "", []
    for op, av in [*list(parsed), (None, None)]:
        if op is C.LITERAL and isinstance(av, int):
            run.append(chr(av))
            continue
        text = "".join(run)
        if len(text) > len(best):
            best = text
        run = []
    best = best.lower()
    return best if len(best) >= 4 else None


CHUNK_LINES = 20000


class Matcher:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.compiled = [(p, [re.compile(x, re.IGNORECASE) for x in p.patterns]) for p in problems]
        anchors = [anchor_of(x) for p in problems for x in p.patterns]
        self.anchors = sorted({a for a in anchors if a})
        # patterns with no usable anchor are tried on every line
        self.always = [(p, rx) for p, pats in self.compiled for rx in pats if anchor_of(rx.pattern) is None]

    def _candidates(self, lines: list[str], needles: tuple[str, ...]) -> set[int]:
        text = "\n".join(lines).lower()
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        import bisect

        hits: set[int] = set()
        for a in (*self.anchors, *needles):
            pos = text.find(a)
            while pos >= 0:
                i = bisect.bisect_right(starts, pos) - 1
                hits.add(i)
                nxt = starts[i + 1] if i + 1 < len(starts) else len(text)
                pos = text.find(a, nxt)
        return hits

    def scan(self, lines: Iterable[str], facts: LogFacts | None = None) -> list[Match]:
        found: dict[str, Match] = {}
        needles = FACT_NEEDLES if facts is not None else ()
        n0 = 0
        batch: list[str] = []

        def flush() -> None:
            cand = self._candidates(batch, needles)
            for i, line in enumerate(batch):
                n = n0 + i + 1
                if i not in cand:
                    if self.always and any(rx.search(line) for _, rx in self.always):
                        self._check(line, n, found)
                    continue
                if facts is not None:
                    facts.take(line)
                self._check(line, n, found)

        for line in lines:
            batch.append(line[:MAX_LINE] if len(line) > MAX_LINE else line)
            if len(batch) >= CHUNK_LINES:
                flush()
                n0 += len(batch)
                batch = []
        if batch:
            flush()
        return sorted(found.values(), key=lambda m: (-m.score, -m.last_line))

    def _check(self, line: str, n: int, found: dict[str, Match]) -> None:
        for p, pats in self.compiled:
            if any(x.search(line) for x in pats):
                m = found.setdefault(p.id, Match(p))
                m.count += 1
                m.last_line = n
                text = line.strip()
                if len(m.evidence) < MAX_EVIDENCE and all(text != e for _, e in m.evidence):
                    m.evidence.append((n, text[:300]))


def read_lines(stream: Any, chunk: int = 65536) -> Iterable[str]:
    """Lines of a binary or text stream, decoded leniently (a log may hold binary junk). A "line" of more than
    `chunk` characters arrives in pieces, so memory stays bounded whatever the input."""
    while True:
        raw = stream.readline(chunk)
        if not raw:
            return
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        yield raw.rstrip("\r\n")


# --- facts a log gives away: the model file, its quantization, the context, the layers offloaded --------------

_FACTS = (
    ("file", re.compile(r"([\w.+\-]+\.gguf)\b", re.IGNORECASE), ".gguf"),
    ("name", re.compile(r"general\.name\s+str\s*=\s*(.+)$"), "general.name"),
    ("ctx", re.compile(r"\bn_ctx(?:_per_seq)?\s*=\s*(\d+)"), "n_ctx"),
    ("ctx", re.compile(r"(?:\s-c|--ctx-size|num_ctx[\s=:\"]+)\s*(\d{3,7})\b"), "-c"),
    ("ctx", re.compile(r"(?:\s-c|--ctx-size|num_ctx[\s=:\"]+)\s*(\d{3,7})\b"), "ctx-size"),
    ("ctx", re.compile(r"(?:\s-c|--ctx-size|num_ctx[\s=:\"]+)\s*(\d{3,7})\b"), "num_ctx"),
    ("ftype", re.compile(r"file type\s*=\s*([A-Z0-9_]+(?: - \w+)?)"), "file type"),
    ("offloaded", re.compile(r"offloaded (\d+)/(\d+) layers to GPU"), "offloaded"),
)
FACT_NEEDLES = tuple(sorted({needle.lower() for _, _, needle in _FACTS}))
_FTYPE_WORDS = {"Small": "S", "Medium": "M", "Large": "L"}


@dataclass
class LogFacts:
    file: str | None = None
    name: str | None = None
    ctx: int | None = None
    quant: str | None = None
    offloaded: tuple[int, int] | None = None

    def take(self, line: str) -> None:
        for key, rx, needle in _FACTS:
            if needle not in line:
                continue
            m = rx.search(line)
            if not m:
                continue
            if key == "file":
                self.file = m.group(1)
            elif key == "name":
                self.name = m.group(1).strip()
            elif key == "ctx":
                self.ctx = int(m.group(1))
            elif key == "ftype":
                q = m.group(1).replace(" - ", "_")
                for word, letter in _FTYPE_WORDS.items():
                    q = q.replace(word, letter)
                self.quant = q
            elif key == "offloaded":
                self.offloaded = (int(m.group(1)), int(m.group(2)))

    def quant_from_file(self) -> str | None:
        if not self.file:
            return None
        from willitrun.estimate.quants import MIX_DEFAULT

        up = self.file.upper()
        for mix in sorted(MIX_DEFAULT, key=len, reverse=True):
            if re.search(rf"(?:^|[.\-_]){mix}(?:[.\-_]|$)", up):
                return mix
        return None

    def model_names(self) -> list[str]:
        """Candidate names for the catalog: the GGUF's general.name, and the file name without its quantization."""
        out = []
        if self.name:
            out.append(self.name)
        if self.file:
            stem = re.sub(r"\.gguf$", "", self.file, flags=re.IGNORECASE)
            stem = re.sub(r"-\d{5}-of-\d{5}$", "", stem)
            q = self.quant_from_file()
            if q:
                stem = re.sub(r"[.\-_]" + re.escape(q) + r"$", "", stem, flags=re.IGNORECASE)
            out.append(stem)
        return out


@dataclass(frozen=True, eq=False, repr=False)
class Diagnosis(Record):
    """What a log or message showed: the known problems found, the facts read along the way, and fixes sized for
    this machine (by problem id) that come before each problem's own."""

    matches: list[Match]
    facts: LogFacts
    sized_fixes: dict[str, list[str]] = field(default_factory=dict)

    def fixes(self, m: Match) -> list[str]:
        return self.sized_fixes.get(m.problem.id, []) + list(m.problem.fixes)


def scan_log(source: str | None, stdin: Any) -> tuple[list[Match], LogFacts]:
    """Match the known problems in `source`: '-' or None reads `stdin`, a path reads that file, anything else is
    the message itself."""
    import io

    stream: Any
    if source is None or source == "-":
        stream = stdin.buffer if hasattr(stdin, "buffer") else stdin
    elif len(source) < 4096 and "\n" not in source and _is_file(source):
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise BadValueError(f"{source}: cannot be read ({exc.__class__.__name__})") from None
    else:
        stream = io.StringIO(source)
    facts = LogFacts()
    try:
        matches = Matcher(load_problems()).scan(read_lines(stream), facts)
    finally:
        if stream not in (stdin, getattr(stdin, "buffer", None)):
            stream.close()
    return matches, facts


def _is_file(text: str) -> bool:
    import os.path

    try:
        return os.path.isfile(text)
    except (OSError, ValueError):
        return False
