"""Domain errors: a one-line message and an optional hint. Only the CLI prints them (exit 2)."""

from __future__ import annotations


class WillItRunError(Exception):
    """A problem the user can fix: bad input, unknown name, unreadable file."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


# where to look when a name matches nothing at all, per kind of name
_WHERE_TO_LOOK = {
    "model": "see 'willitrun models' for the catalog",
    "term": "see 'willitrun explain --list' for every term",
    "CPU": "write it as its maker does, e.g. 'Ryzen 9 7950X' or 'Core i7-13700K'",
}


class UnknownNameError(WillItRunError):
    """A model or hardware name that resolves to nothing; carries suggestions."""

    def __init__(self, kind: str, name: str, suggestions: list[str]) -> None:
        hint = None
        if suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in suggestions[:4]) + "?"
        else:
            hint = _WHERE_TO_LOOK.get(kind, "see 'willitrun gpus' for the catalog")
        super().__init__(f"unknown {kind} {name!r}", hint)
        self.kind = kind
        self.name = name
        self.suggestions = suggestions


class BadValueError(WillItRunError):
    """An option value outside its allowed range."""


class CatalogError(WillItRunError):
    """A catalog file that cannot be read or holds an invalid entry."""
