"""Every location on disk that hawkeye reads or writes, in one place.

HAWKEYE_HOME moves all of hawkeye's own data (tests use it); the Hugging Face cache stays where
huggingface-hub puts it (HF_HOME, HF_HUB_CACHE), so models are shared with other tools.
"""

from __future__ import annotations

import errno
import os
from importlib import resources
from pathlib import Path

import platformdirs

from hawkeye_cli.errors import OutputError
from hawkeye_cli.outputs import write_problem

APP_NAME = "hawkeye"
HOME_ENV = "HAWKEYE_HOME"
USER_REGISTRY_ENV = "HAWKEYE_MODELS"
PROFILE_ENV = "HAWKEYE_PROFILE"
"""The profile used when a command names none, instead of the first one whose models are on disk."""
NO_LOG_ENV = "HAWKEYE_NO_LOG"
"""Set (to anything but 0 or nothing), hawkeye records nothing in its ledger, as after `hawkeye logs off`."""


def data_dir() -> Path:
    """Where hawkeye keeps files it makes itself (assembled models)."""
    override = os.environ.get(HOME_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def user_registry() -> Path:
    """The user's models.yaml that adds to or overrides the bundled registry."""
    return explicit_user_registry() or config_dir() / "models.yaml"


def explicit_user_registry() -> Path | None:
    """The file HAWKEYE_MODELS names: unlike the default user file, it must exist."""
    override = os.environ.get(USER_REGISTRY_ENV)
    return Path(override) if override else None


def assembled_models_dir() -> Path:
    """GGUF files that hawkeye builds locally from PyPI packages that ship them in parts."""
    return data_dir() / "models"


def prompt_cache_dir() -> Path:
    """The KV caches of the worked examples prompts begin with, one folder per model file and llama.cpp setup: a
    later process restores them instead of evaluating them again. Safe to delete."""
    override = os.environ.get(HOME_ENV)
    return Path(override) / "cache" if override else Path(platformdirs.user_cache_dir(APP_NAME))


def ledger_path() -> Path:
    """The savings ledger (`hawkeye logs`): one SQLite database of every question asked and served."""
    return data_dir() / "logs.db"


def ledger_off_marker() -> Path:
    """While this file exists, nothing is recorded in the ledger (`hawkeye logs off` makes it)."""
    return data_dir() / "logs-off"


def make_data_dir(directory: Path) -> Path:
    """Create `directory` inside hawkeye's data folder; one line naming HAWKEYE_HOME when that cannot be done."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise data_dir_error(directory, exc) from exc
    return directory


def data_dir_error(path: Path, exc: OSError) -> OutputError:
    """Writing `path` in hawkeye's data folder failed: the fix is a writable HAWKEYE_HOME (or disk space)."""
    problem = write_problem(path) or exc.strerror or str(exc)
    space = "free some disk space, or " if exc.errno == errno.ENOSPC else ""
    return OutputError(f"cannot write hawkeye's data folder {data_dir()}: {problem}",
                       fix=f"{space}set {HOME_ENV} to a writable folder")


def bundled_registry() -> Path:
    """models.yaml inside the installed wheel, or at the root of a source checkout (editable install)."""
    packaged = resources.files("hawkeye_cli") / "models.yaml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "models.yaml"


def default_results_dir() -> Path:
    """Where `hawkeye bench` writes results unless --out says otherwise."""
    return Path.cwd() / "hawkeye-results"
