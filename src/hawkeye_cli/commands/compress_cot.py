"""`hawkeye compress-cot`: placeholder until compression lands."""

from __future__ import annotations

from hawkeye_cli.errors import HawkeyeError


def compress_cot(path: str) -> None:
    """Compress chains of thought (not implemented yet)."""
    raise HawkeyeError("compress-cot is not implemented yet")
