"""Text from outside (a client's question, a model's output, an engine's error) made safe to show on a terminal.

Such text is data: an escape sequence in it (ESC ] 0 ; … BEL sets the window title, ESC [ 2 J clears the screen,
ESC ] 8 makes a hyperlink) must never reach the operator's terminal. Every human-readable view passes it through
`printable`; `--json` keeps the exact text, which JSON escapes.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 controls (ESC, BEL, CR, backspace…), DEL and C1 controls (CSI and OSC as single characters)."""
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""The same, less newline and tab."""


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with each control character shown as its Python escape (ESC as `\\x1b`), so nothing in it acts on
    the terminal; `lines`: newlines and tabs stay, for a view that shows several lines (a panel, a stream)."""
    return (_CONTROLS_BUT_LINES if lines else _CONTROLS).sub(lambda found: repr(found[0])[1:-1], text)
