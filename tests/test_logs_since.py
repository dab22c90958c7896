"""`hawkeye logs --since` at the ends of time: an age or a date past what a datetime holds is the earliest (every
entry) or the latest (none), never a traceback, with or without --json and whatever the time zone."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.ledger.database import Ledger
from hawkeye_cli.ledger.entries import entry_of
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import Registry
from ledger_fixtures import ledger_home, scripted_document  # noqa: F401 - a fixture


@pytest.fixture
def one_entry(ledger_home: object, registry: Registry) -> None:  # noqa: F811 - the fixture, by name
    Ledger(paths.ledger_path()).add(entry_of(scripted_document(registry), "ask"))


@pytest.fixture
def no_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """TZ unset, where 0001-01-01 in local time once raised `year 0 is out of range`."""
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("one_entry", "no_time_zone")
@pytest.mark.parametrize("since", ["999999999d", "1000000w", "5000000000000000000000m", "9" * 5000 + "h",
                                   "0001-01-01", "0001-01-01T00:00+05:00"])
def test_a_start_before_the_first_date_is_every_entry(since: str, hawkeye: Hawkeye) -> None:
    listed = hawkeye("logs", "--json", "--since", since)
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)["entries"]) == 1
    stats = hawkeye("logs", "stats", "--json", "--since", since)
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["overall"]["questions"] == 1
    shown = hawkeye("logs", "--since", since)
    assert shown.exit_code == 0 and "Q: How many clips?" in shown.stdout


@pytest.mark.usefixtures("one_entry", "no_time_zone")
@pytest.mark.parametrize("since", ["9999-12-31", "9999-12-31T23:59-14:00"])
def test_a_start_after_the_last_date_is_no_entry(since: str, hawkeye: Hawkeye) -> None:
    listed = hawkeye("logs", "--json", "--since", since)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["entries"] == []
