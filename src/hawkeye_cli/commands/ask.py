"""`hawkeye ask`: being written."""

from __future__ import annotations


def ask() -> None:
    """Being written."""
