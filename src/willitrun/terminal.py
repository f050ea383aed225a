"""The one output object: data to stdout, notes and errors to stderr, one configured console.

Every command writes through a `Terminal`: `line` for text people read, `show` for tables and other rich
renderables, `json` for the one document `--json` prints, `note` for remarks on stderr. Text is never parsed as
rich markup (model names contain brackets); colour only where stdout is a terminal and NO_COLOR is unset.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

# The version of the JSON contract in docs/cli.md: a new major number when a field is renamed, removed or moves.
# 2: every document is an object with schema_version; `models`, `gpus` and `explain --list` put their lists under
# a key; errors under --json are documents on stdout.
SCHEMA_VERSION = "2.0"


class Terminal:
    def __init__(self) -> None:
        self._out: Console | None = None

    @property
    def console(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(highlight=False, soft_wrap=False, markup=False)
        self._out.width = self.width  # tables fill the same width as the text around them ($COLUMNS included)
        return self._out

    @property
    def color(self) -> bool:
        return self.console.is_terminal and not os.environ.get("NO_COLOR")

    @property
    def width(self) -> int:
        """Columns to fill: $COLUMNS, else the terminal's width, else 80 (as when piped)."""
        cols = os.environ.get("COLUMNS", "")
        if cols.isdigit() and int(cols) > 0:
            return int(cols)
        if sys.stdout.isatty():
            import shutil

            return shutil.get_terminal_size((80, 24)).columns
        return 80

    def wrap(self, text: str, *, indent: str = "", first: str | None = None, style: str | None = None) -> None:
        """Prose, wrapped to the width at spaces only (a path, a flag or a URL is never split), continuation
        lines indented by `indent`; `first` replaces the indent on the first line (a bullet, a number); `style`
        as `line` gives it (a heading that may run past the width)."""
        import textwrap

        lead = indent if first is None else first
        lines = textwrap.wrap(
            text,
            width=max(40, self.width),
            initial_indent=lead,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for ln in lines or [lead.rstrip()]:
            self.line(ln, style=style)

    def bullet(self, text: str, *, depth: int = 1) -> None:
        """A note under a heading: '  - text', its continuation indented under the text."""
        pad = "  " * depth
        self.wrap(text, indent=pad + "  ", first=pad + "- ")

    def line(self, text: str = "", *, style: str | None = None) -> None:
        """One line as it is: never re-wrapped (a command stays whole to paste), styled only on a colour terminal."""
        if style and self.color:
            self.console.print(text, style=style)
        else:
            sys.stdout.write(text + "\n")

    def segments(self, parts: list[tuple[str, str | None]]) -> None:
        """One line from pieces, each styled on a colour terminal (a bar's segments); plain text otherwise."""
        if self.color and any(style for _, style in parts):
            from rich.text import Text

            self.console.print(Text.assemble(*((t, st or "") for t, st in parts)), soft_wrap=True)
        else:
            sys.stdout.write("".join(t for t, _ in parts) + "\n")

    def show(self, renderable: RenderableType) -> None:
        """A table or other rich renderable; as plain text (piped, NO_COLOR) with no padding at the line ends."""
        if self.color:
            self.console.print(renderable)
            return
        with self.console.capture() as cap:
            self.console.print(renderable)
        sys.stdout.write("".join(line.rstrip() + "\n" for line in cap.get().splitlines()))

    def json(self, payload: dict[str, Any]) -> None:
        """The one JSON document of a command: an object whose first field is `schema_version` (docs/cli.md)."""
        doc = {"schema_version": SCHEMA_VERSION, **payload}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

    def json_error(self, message: str, code: int, kind: str) -> None:
        """An error under --json: a document on stdout, so a script reads failures the way it reads answers."""
        self.json({"error": message, "code": code, "kind": kind})

    def note(self, text: str) -> None:
        """A remark on stderr; on a terminal wrapped to the width, its continuation indented under the text (one
        line each when redirected, for scripts that read them)."""
        if not sys.stderr.isatty():
            sys.stderr.write(f"note: {text}\n")
            return
        import textwrap

        lines = textwrap.wrap(
            text,
            width=max(40, self.width),
            initial_indent="note: ",
            subsequent_indent="      ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        sys.stderr.write("\n".join(lines or ["note:"]) + "\n")

    @staticmethod
    def error(text: str) -> None:
        sys.stderr.write(text + "\n")
