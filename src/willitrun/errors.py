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


class UnknownNameError(WillItRunError):
    """A model or hardware name that resolves to nothing; carries suggestions."""

    def __init__(self, kind: str, name: str, suggestions: list[str]) -> None:
        hint = None
        if suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in suggestions[:4]) + "?"
        elif kind == "model":
            hint = "see 'willitrun models' for the catalog"
        else:
            hint = "see 'willitrun gpus' for the catalog"
        super().__init__(f"unknown {kind} {name!r}", hint)
        self.kind = kind
        self.name = name
        self.suggestions = suggestions


class BadValueError(WillItRunError):
    """An option value outside its allowed range."""


class CatalogError(WillItRunError):
    """A catalog file that cannot be read or holds an invalid entry."""
