"""`hawkeye pull`: placeholder until the hub download lands."""

from __future__ import annotations

from hawkeye_cli.errors import HawkeyeError


def pull(alias: str) -> None:
    """Download a model (not implemented yet)."""
    raise HawkeyeError("pull is not implemented yet")
