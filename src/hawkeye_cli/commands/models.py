"""`hawkeye models`: being written."""

from __future__ import annotations


def list_models() -> None:
    """Being written."""
