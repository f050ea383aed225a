"""The glossary behind `willitrun explain`: data/glossary.yaml, looked up forgivingly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from willitrun.catalog.entry import Entry
from willitrun.catalog.load import cached_records, data_dir, revive
from willitrun.errors import CatalogError, UnknownNameError
from willitrun.estimate.types import Record

CATEGORIES = (
    "Hardware",
    "Memory",
    "Quantization & formats",
    "Inference & runtimes",
    "Models & architectures",
    "Training & fine-tuning",
    "Data & datasets",
    "Evaluation",
)


@dataclass(frozen=True, eq=False, repr=False)
class Term(Record):
    id: str
    title: str
    category: str
    aliases: tuple[str, ...]
    definition: str
    details: str
    example: str
    workflow: str
    related: tuple[str, ...]


def _build(path: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("terms"), list):
        raise CatalogError(f"{path}: must be a mapping with a 'terms:' list")
    out: list[Term] = []
    for i, r in enumerate(raw["terms"]):
        e = Entry(path, "term", i, r)
        cat = e.str_("category", required=True)
        if cat not in CATEGORIES:
            raise e.fail("category", f"must be one of {', '.join(CATEGORIES)}, not {cat!r}")
        out.append(
            Term(
                id=e.ident(),
                title=e.str_("title", required=True),
                category=cat,
                aliases=e.strs("aliases"),
                definition=e.str_("definition", required=True).strip(),
                details=e.str_("details", required=True).strip(),
                example=e.str_("example", required=True).strip(),
                workflow=e.str_("workflow", required=True).strip(),
                related=e.strs("related"),
            )
        )
    ids = {t.id for t in out}
    for t in out:
        missing = [r for r in t.related if r not in ids]
        if missing:
            raise CatalogError(f"{path}: term {t.id}: field 'related' names unknown term {missing[0]!r}")
    return {"terms": out}


def load_glossary(path: Path | None = None) -> list[Term]:
    p = path or data_dir() / "glossary.yaml"
    return revive(Term, cached_records(p, "glossary", lambda raw: _build(str(p), raw))["terms"])


def term_key(text: str) -> str:
    return re.sub(r"[\s_\-./]+", "", text.strip().casefold())


def find_term(terms: list[Term], query: str) -> Term:
    """By id, title or alias, ignoring case, spaces, dashes and underscores; a close misspelling that points at
    one term is taken as that term; otherwise UnknownNameError with suggestions."""
    key = term_key(query)
    if not key:
        from willitrun.errors import BadValueError

        raise BadValueError("the term is empty", "e.g. 'willitrun explain kv-cache', or --list")
    index: dict[str, Term] = {}
    for t in terms:
        for name in (t.id, t.title, *t.aliases):
            index.setdefault(term_key(name), t)
    if key in index:
        return index[key]
    import difflib

    close = difflib.get_close_matches(key, list(index), n=6, cutoff=0.75)
    hits = list(dict.fromkeys(index[c].id for c in close))
    if len(hits) == 1 and difflib.SequenceMatcher(None, key, close[0]).ratio() >= 0.85:
        return index[close[0]]
    if not hits:
        loose = difflib.get_close_matches(key, list(index), n=6, cutoff=0.5)
        hits = list(dict.fromkeys(index[c].id for c in loose))
    raise UnknownNameError("term", query.strip(), hits[:4])
