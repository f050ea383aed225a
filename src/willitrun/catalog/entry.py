"""Reading a YAML data file and the entries in it, with errors that name the file, the entry and the field.

Every loader (models, GPUs, CPUs, prices, street prices, --prices and --catalog files) reads through these, so a
bad file reads the same everywhere: `path: gpu rtx-4090: field 'memory_gb' must be a number, not 'x'`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, overload

from willitrun.errors import CatalogError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def read_yaml_bytes(path: Path) -> bytes:
    """The file's bytes, checked to be UTF-8 text; a missing, unreadable or binary file is a CatalogError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a folder, not a YAML file") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: is not UTF-8 text") from None
    return data


_LOADER: Any = None
_DUPLICATE = "duplicate key"


def _loader() -> Any:
    """A safe loader (libyaml's when present: 20x faster, equally safe) that refuses a key given twice in one
    mapping: plain YAML keeps the last, which would silently drop what came before (a second `models:` line
    would leave only the models after it)."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class _UniqueKeys(base):  # type: ignore[misc,valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        dup = key in seen
                    except TypeError:  # an unhashable key: the base constructor says so
                        break
                    if dup:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"{_DUPLICATE} {key!r}", key_node.start_mark
                        )
                    seen.add(key)
                return super().construct_mapping(node, deep=deep)

        _LOADER = _UniqueKeys
    return _LOADER


def parse_yaml(path: Path, data: bytes) -> Any:
    """The document in data (read from path), with the line of the first fault when it is not YAML or gives a
    key twice in one mapping."""
    import yaml

    loader = _loader()  # CSafeLoader or SafeLoader underneath
    try:
        return yaml.load(data, Loader=loader)  # a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = str(getattr(exc, "problem", "") or "")
        if problem.startswith(_DUPLICATE):
            raise CatalogError(f"{path}: {problem}{where}") from None
        raise CatalogError(f"{path}: not valid YAML{where}") from None


def read_yaml(path: Path) -> Any:
    """read_yaml_bytes then parse_yaml."""
    return parse_yaml(path, read_yaml_bytes(path))


class Entry:
    """Typed access to one YAML mapping. A required field returns its value (never None) or raises
    CatalogError naming file, entry and field."""

    def __init__(self, path: str | Path, kind: str, index: int, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise CatalogError(f"{path}: {kind} entry {index + 1} is not a mapping")
        self.path = str(path)
        self.raw: dict[str, Any] = raw
        self.label = f"{kind} {raw.get('id', f'#{index + 1}')!s}"

    def fail(self, fld: str, why: str) -> CatalogError:
        return CatalogError(f"{self.path}: {self.label}: field '{fld}' {why}")

    def req(self, fld: str) -> Any:
        if fld not in self.raw or self.raw[fld] is None or self.raw[fld] == "":
            raise self.fail(fld, "is required")
        return self.raw[fld]

    @overload
    def str_(self, fld: str, required: Literal[True]) -> str: ...
    @overload
    def str_(self, fld: str, required: bool = False) -> str | None: ...
    def str_(self, fld: str, required: bool = False) -> str | None:
        v = self.req(fld) if required else self.raw.get(fld)
        if v is None:
            return None
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise self.fail(fld, f"must be text, not {type(v).__name__}")
        return str(v)

    @overload
    def int_(self, fld: str, *, required: Literal[True], lo: int = 0, hi: int = 10**15) -> int: ...
    @overload
    def int_(self, fld: str, *, lo: int = 0, hi: int = 10**15, default: int) -> int: ...
    @overload
    def int_(
        self, fld: str, *, required: bool = False, lo: int = 0, hi: int = 10**15, default: int | None = None
    ) -> int | None: ...
    def int_(
        self, fld: str, *, required: bool = False, lo: int = 0, hi: int = 10**15, default: int | None = None
    ) -> int | None:
        v = self.req(fld) if required else self.raw.get(fld, default)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(fld, f"must be a whole number, not {v!r}")
        if not lo <= v <= hi:
            raise self.fail(fld, f"must be between {lo} and {hi}, not {v}")
        return v

    @overload
    def num(self, fld: str, *, required: Literal[True], lo: float = 0.0, hi: float = 1e9) -> float: ...
    @overload
    def num(self, fld: str, *, required: bool = False, lo: float = 0.0, hi: float = 1e9) -> float | None: ...
    def num(self, fld: str, *, required: bool = False, lo: float = 0.0, hi: float = 1e9) -> float | None:
        v = self.req(fld) if required else self.raw.get(fld)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(fld, f"must be a number, not {v!r}")
        if not lo <= float(v) <= hi:
            raise self.fail(fld, f"must be between {lo:g} and {hi:g}, not {v}")
        return float(v)

    def bool_(self, fld: str, default: bool = False) -> bool:
        v = self.raw.get(fld, default)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise self.fail(fld, f"must be true or false, not {v!r}")
        return v

    def strs(self, fld: str, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
        v = self.raw.get(fld) or []
        if not isinstance(v, list) or not all(isinstance(x, (str, int, float)) for x in v):
            raise self.fail(fld, "must be a list of text")
        out = tuple(str(x) for x in v)
        if allowed is not None:
            bad = [x for x in out if x not in allowed]
            if bad:
                raise self.fail(fld, f"has {bad[0]!r}; allowed: {', '.join(sorted(allowed))}")
        return out

    def date(self, fld: str) -> str | None:
        v = self.raw.get(fld)
        if v is None:
            return None
        s = str(v)
        if not DATE_RE.match(s):
            raise self.fail(fld, f"must be a date YYYY-MM-DD, not {s!r}")
        return s

    def ident(self) -> str:
        v = self.str_("id", required=True)
        if not ID_RE.match(v):
            raise self.fail("id", f"must be lowercase letters, digits, '.' and '-', not {v!r}")
        return v
