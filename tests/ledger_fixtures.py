"""What the ledger tests share: a hawkeye home of their own, with the session's models linked in (so the tiny
models are not assembled again), and the document of a question answered by scripted models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.backends.model import Model
from hawkeye_cli.loading import choose_pair
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.reporting.ask import ask_document
from hawkeye_cli.store.paths import NO_LOG_ENV
from hawkeye_cli.store.registry import Registry

FULL_COT = "a b c d e f g h i j k l m n o p q r s t </think> so #### 72"


def home_with_models(directory: Path, session_home: Path) -> Path:
    """A fresh hawkeye home whose models folder is the session's."""
    (session_home / "models").mkdir(exist_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "models").symlink_to(session_home / "models", target_is_directory=True)
    return directory


@pytest.fixture
def ledger_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye_home: Path) -> Path:
    home = home_with_models(tmp_path / "home", hawkeye_home)
    monkeypatch.setenv("HAWKEYE_HOME", str(home))
    monkeypatch.delenv(NO_LOG_ENV, raising=False)
    return home


def scripted_document(registry: Registry, question: str = "How many clips?", *, compare: bool = False,
                      max_tokens: int = 50) -> dict[str, Any]:
    """What `ask --json` prints for `question` answered by scripted models in the roles of profile tiny (one word
    is one token); with `compare`, the baseline writes FULL_COT, cut when max_tokens is shorter."""
    pair = choose_pair(registry, profile="tiny")
    decode = DecodeSettings(budget=10, max_tokens=max_tokens)
    planner = Model(pair.planner, ScriptedBackend(["48 / 2 = 24 ;", FULL_COT]))
    collaboration = Collaboration(planner, Model(pair.expander, ScriptedBackend(["x y #### 72"])))
    return ask_document(collaboration.ask(question, decode, compare=compare), pair, decode)
