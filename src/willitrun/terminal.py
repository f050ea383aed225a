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
    from rich.console import Console


class Terminal:
    def __init__(self) -> None:
        self._out: Console | None = None

    @property
    def console(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(highlight=False, soft_wrap=False, markup=False)
        return self._out

    @property
    def color(self) -> bool:
        return self.console.is_terminal and not os.environ.get("NO_COLOR")

    @property
    def width(self) -> int:
        return self.console.width

    def line(self, text: str = "", *, style: str | None = None) -> None:
        self.console.print(text, style=style if self.color else None)

    def show(self, renderable: Any) -> None:
        self.console.print(renderable)

    def json(self, payload: Any) -> None:
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")

    @staticmethod
    def note(text: str) -> None:
        sys.stderr.write(f"note: {text}\n")

    @staticmethod
    def error(text: str) -> None:
        sys.stderr.write(text + "\n")
