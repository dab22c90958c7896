"""The ledger's logic on scripted answers: entries built from `ask --json` documents, measured and estimated
savings, migrations of an old database, and each way a log can fail becoming one warning."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hawkeye_cli import ledger
from hawkeye_cli.errors import HawkeyeError, LedgerError
from hawkeye_cli.ledger import database
from hawkeye_cli.ledger.database import Ledger, Totals
from hawkeye_cli.ledger.entries import entry_of
from hawkeye_cli.ledger.estimates import Baseline
from hawkeye_cli.ledger.schema import MIGRATIONS, SCHEMA_VERSION, schema_version
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import Registry
from ledger_fixtures import FULL_COT, ledger_home, scripted_document  # noqa: F401 - a fixture

PLAN_TOKENS, ANSWER_TOKENS = 6, 4
"""The scripted plan ("48 / 2 = 24 ;") and answer ("x y #### 72"), one token a word."""


def baseline(planner: str = "gemma3-270m", mean_tokens: float = 100.0, cut: int = 0) -> Baseline:
    return Baseline(planner=planner, source="bench", dataset="gsm8k", n=20, mean_tokens=mean_tokens,
                    mean_seconds=10.0, mean_cost=1.0, max_tokens=512, cut=cut)


def test_an_entry_has_every_stage_and_a_measured_saving_against_its_baseline(registry: Registry) -> None:
    document = scripted_document(registry, compare=True)
    entry = entry_of(document, "ask")
    assert [stage.stage for stage in entry.stages] == ["plan", "probe", "expand", "baseline"]
    assert (entry.profile, entry.planner, entry.expander) == ("tiny", "gemma3-270m", "smollm2-135m-instruct")
    assert (entry.budget, entry.max_tokens, entry.final_answer) == (10, 50, "72")
    assert entry.tokens == PLAN_TOKENS + ANSWER_TOKENS
    full = document["baseline"]["stage"]
    assert entry.measured is not None and entry.measured.kind == "measured"
    assert entry.measured.tokens == full["completion_tokens"] - entry.tokens == len(FULL_COT.split()) - 10
    assert entry.measured.cost == pytest.approx(full["cost"] - document["plan"]["cost"]
                                                - document["stages"]["probe"]["cost"] - document["expansion"]["cost"])
    assert not entry.measured.lower_bound
    cut = entry_of(scripted_document(registry, compare=True, max_tokens=5), "ask").measured
    assert cut is not None and cut.lower_bound and cut.tokens == 5 - entry.tokens


@pytest.mark.usefixtures("ledger_home")
def test_a_stage_the_pipeline_adds_later_is_recorded_without_a_migration(registry: Registry) -> None:
    document = scripted_document(registry)
    check = {**document["stages"]["probe"], "stage": "check", "completion_tokens": 3}
    entry = entry_of({**document, "stages": {**document["stages"], "check": check}, "agree": True}, "serve")
    Ledger(paths.ledger_path()).add(entry)
    [logged] = Ledger(paths.ledger_path()).entries()
    assert [stage.stage for stage in logged.entry.stages] == ["plan", "probe", "check", "expand"]
    assert (logged.entry.stop_reason, logged.entry.agree, logged.entry.source) == ("ended", 1.0, "serve")
    assert logged.entry.tokens == PLAN_TOKENS + ANSWER_TOKENS + 3


@pytest.mark.usefixtures("ledger_home")
def test_without_compare_the_saving_is_estimated_from_the_latest_baseline_of_the_same_planner(
    registry: Registry,
) -> None:
    log = Ledger(paths.ledger_path())
    entry = entry_of(scripted_document(registry), "ask")
    log.add(entry)  # no baseline yet: no saving claimed
    log.add_baselines([baseline(mean_tokens=50.0), baseline("another-planner", mean_tokens=999.0)])
    log.add_baselines([baseline(mean_tokens=100.0, cut=2)])
    log.add(entry)
    log.add(entry_of(scripted_document(registry, compare=True), "ask"))  # measured wins over any estimate
    unsaved, estimated, measured = log.entries()
    assert unsaved.saving is None and unsaved.baseline is None
    assert estimated.saving is not None and estimated.saving.kind == "estimated"
    assert estimated.saving.tokens == 100.0 - entry.tokens
    assert estimated.saving.seconds == pytest.approx(10.0 - entry.seconds)
    assert estimated.saving.cost == pytest.approx(1.0 - entry.cost)
    assert estimated.saving.lower_bound  # the bench's baseline was cut twice
    assert estimated.baseline is not None and estimated.baseline.mean_tokens == 100.0
    assert measured.saving is not None and measured.saving.kind == "measured" and measured.baseline is None


@pytest.mark.usefixtures("ledger_home")
def test_totals_keep_measured_and_estimated_apart_per_profile_and_overall(registry: Registry) -> None:
    log = Ledger(paths.ledger_path())
    log.add_baselines([baseline(mean_tokens=100.0)])
    estimated = entry_of(scripted_document(registry), "ask")
    measured = entry_of(scripted_document(registry, compare=True), "serve")
    other = entry_of({**scripted_document(registry), "profile": "other"}, "ask")
    for entry in (estimated, estimated, measured, other):
        log.add(entry)
    other_totals, tiny = log.totals()
    assert (tiny.profile, tiny.questions, tiny.tokens) == ("tiny", 3, 3 * (PLAN_TOKENS + ANSWER_TOKENS))
    assert tiny.saved["estimated"].questions == 2
    assert tiny.saved["estimated"].tokens == 2 * (100.0 - estimated.tokens)
    assert measured.measured is not None
    assert tiny.saved["measured"].questions == 1 and tiny.saved["measured"].tokens == measured.measured.tokens
    overall = Totals.overall([other_totals, tiny])
    assert overall.questions == 4 and overall.saved["estimated"].questions == 3
    assert overall.saved["measured"].cost == pytest.approx(measured.measured.cost)


@pytest.mark.usefixtures("ledger_home")
def test_search_is_literal_and_count_keeps_the_latest(registry: Registry) -> None:
    log = Ledger(paths.ledger_path())
    for question in ("Tom has 3 apples", "50% of 8?", "50 of 8?", "Two APPLES and a pear"):
        log.add(entry_of(scripted_document(registry, question), "ask"))
    assert [item.entry.question for item in log.entries(query="apples")] == ["Tom has 3 apples",
                                                                           "Two APPLES and a pear"]
    assert [item.entry.question for item in log.entries(query="50%")] == ["50% of 8?"]
    assert [item.entry.question for item in log.entries(count=2)] == ["50 of 8?", "Two APPLES and a pear"]


def test_an_old_database_migrates_forward_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    old = sqlite3.connect(path)
    MIGRATIONS[0](old)  # the database as the first version of the ledger wrote it
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO entries (datetime_utc, source, profile, planner, question, saving_kind, saved_tokens, "
                "saved_cost, saving_lower_bound) VALUES ('2025-01-02T03:04:05+00:00', 'ask', 'tiny', 'p', 'old?', "
                "'measured', 7, 0.5, 0)")
    old.execute("INSERT INTO stages VALUES (1, 0, 'plan', 'p', 10, 4, 0.5, 0.1, 'eos')")
    old.commit()
    old.close()

    log = Ledger(path)
    [logged] = log.entries()
    assert logged.entry.question == "old?" and logged.entry.stages[0].completion_tokens == 4
    assert logged.saving is not None and logged.saving.tokens == 7 and logged.baseline is None
    log.add_baselines([baseline("p")])  # a table the old version did not have
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION == len(MIGRATIONS)


def test_a_database_from_a_newer_hawkeye_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError, match="written by a newer hawkeye") as error:
        Ledger(path).entries()
    assert error.value.fix == "upgrade hawkeye, or move the file away to start a new log"
    with pytest.raises(LedgerError, match="written by a newer hawkeye"):
        Ledger(path).add_baselines([baseline()])
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION + 1
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    assert sorted(tmp_path.iterdir()) == [path]


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not bind root")
def test_a_log_that_cannot_be_read_names_its_permissions(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    Ledger(path).add(entry_of(scripted_document(registry), "ask"))
    path.chmod(0)
    with pytest.raises(LedgerError) as error:
        Ledger(path).entries()
    assert error.value.one_line() == (
        f"cannot read the log {path}: permission denied — give your user read and write permission on it "
        f"(chmod u+rw {path}), or set HAWKEYE_HOME to a writable folder, or HAWKEYE_NO_LOG=1 to stop logging")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a small tmpfs of its own, for the test to fill (mounting one needs root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> None:
    with pytest.raises(OSError, match="No space left on device"), (disk / "filler").open("wb", buffering=0) as filler:
        while True:
            filler.write(b"x" * 4096)


def test_on_a_full_disk_a_write_says_to_free_space_and_a_read_still_reads(registry: Registry,
                                                                          full_disk: Path) -> None:
    path = full_disk / "logs.db"
    Ledger(path).add(entry_of(scripted_document(registry, "Before the disk filled?"), "ask"))
    fill(full_disk)

    with pytest.raises(LedgerError) as error:
        Ledger(path).add(entry_of(scripted_document(registry), "ask"))
    assert error.value.one_line() == (
        f"cannot write the log {path}: the disk is full — free some disk space, set HAWKEYE_HOME to a writable "
        "folder, or HAWKEYE_NO_LOG=1 to stop logging")
    assert [item.entry.question for item in Ledger(path).entries()] == ["Before the disk filled?"]
    assert Ledger(path).count() == 1 and Ledger(path).totals()[0].questions == 1
    assert sorted(item.name for item in full_disk.iterdir()) == ["filler", "logs.db"]  # no -wal or -shm left


def record_warnings(document: dict) -> list[str]:
    warnings: list[HawkeyeError] = []
    ledger.record(document, "ask", warn=warnings.append)
    return [warning.one_line() for warning in warnings]


def test_a_data_folder_that_cannot_be_made_is_one_warning(registry: Registry, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path / "file" / "home"))
    assert record_warnings(scripted_document(registry)) == [
        f"not logged: cannot write hawkeye's data folder {tmp_path / 'file' / 'home'}: {tmp_path / 'file'} is a "
        "file, not a folder — set HAWKEYE_HOME to a writable folder"
    ]


@pytest.mark.usefixtures("ledger_home")
def test_a_log_locked_for_too_long_is_one_warning(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    Ledger(paths.ledger_path()).count()  # creates the database
    monkeypatch.setattr(database, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(paths.ledger_path(), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        warnings = record_warnings(scripted_document(registry))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert warnings == [f"not logged: the log {paths.ledger_path()} stayed locked by another process for 0.2 s — "
                        "if no hawkeye is running, another program holds it open: close that program"]
    assert Ledger(paths.ledger_path()).count() == 0


@pytest.mark.usefixtures("ledger_home")
def test_logging_off_by_marker_or_environment_records_nothing(registry: Registry,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    paths.ledger_off_marker().touch()
    assert ledger.off_reason() == "turned off by hawkeye logs off"
    assert record_warnings(scripted_document(registry)) == []
    paths.ledger_off_marker().unlink()
    monkeypatch.setenv(paths.NO_LOG_ENV, "1")
    assert ledger.off_reason() == "HAWKEYE_NO_LOG is set"
    assert record_warnings(scripted_document(registry)) == []
    assert not paths.ledger_path().exists()
    monkeypatch.setenv(paths.NO_LOG_ENV, "0")
    assert ledger.off_reason() is None


@pytest.mark.usefixtures("ledger_home")
def test_numbers_beyond_sqlites_64_bits_are_recorded_at_its_ends_not_lost(registry: Registry) -> None:
    """A seed or a token count past 64 bits (an engine's usage, a setting no edge bounded) once cost the entry
    ("internal error OverflowError"); now it is kept at the nearest end, and the totals still add up."""
    document = scripted_document(registry)
    huge = {**document["expansion"], "completion_tokens": 10**30}
    for seed in (-(2**70), 2**64):
        document = {**document, "settings": {**document["settings"], "seed": seed, "max_tokens": 10**29},
                    "expansion": huge}
        assert record_warnings(document) == []
    first, second = Ledger(paths.ledger_path()).entries()
    assert (first.entry.seed, second.entry.seed) == database.SQLITE_INTEGERS
    assert first.entry.max_tokens == database.SQLITE_INTEGERS[1]
    assert [stage.completion_tokens for stage in first.entry.stages if stage.stage == "expand"] == [2**63 - 1]
    [totals] = Ledger(paths.ledger_path()).totals()
    assert totals.questions == 2 and totals.tokens >= 2 * (2**63 - 1)
