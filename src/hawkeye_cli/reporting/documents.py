"""`--json` output: versioned documents on stdout, and a failure as a document too, so scripts read one thing.

Every document opens with `version` (this layout is 1). A command's documents are held until it ends and printed
by cli.py, so that a failure after a document was made (an output file that cannot be written, Ctrl-C) becomes
that document's `error` rather than a second document; a failure before any gives `{"version": 1, "error": ...}`.
`error` holds `code` (stable, per kind of failure: errors.py), `message` and `fix`; the exit code is the same as
without --json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import typer

JSON_VERSION = 1

_held: list[dict[str, Any]] = []

_UNESCAPED_CONTROLS = re.compile(r"[\x7f-\x9f]")
"""DEL and the C1 controls, which JSON lets through as they are (U+009B is CSI to some terminals)."""


def json_text(document: Mapping[str, Any]) -> str:
    """The document as printed, and as written to the files that hold the same (bench's summary, --summary).
    Every control character in it is escaped (JSON escapes C0 itself), so that it keeps outside text exact
    without letting it drive a terminal."""
    text = json.dumps({"version": JSON_VERSION, **document}, ensure_ascii=False, indent=2)
    return _UNESCAPED_CONTROLS.sub(lambda found: f"\\u{ord(found[0]):04x}", text)


def print_document(document: Mapping[str, Any]) -> None:
    """Printed when the command ends (release_documents)."""
    _held.append(dict(document))


def error_fields(code: str, message: str, fix: str | None) -> dict[str, Any]:
    return {"code": code, "message": message, "fix": fix}


def release_documents(error: dict[str, Any] | None = None) -> None:
    """Print the documents held, the last one with `error`, or `error` alone when the command made none."""
    documents = list(_held)
    _held.clear()
    if error is not None:
        documents = [*documents[:-1], {**(documents[-1] if documents else {}), "error": error}]
    for document in documents:
        typer.echo(json_text(document))
