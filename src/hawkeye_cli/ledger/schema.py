"""The ledger's tables, as a list of forward migrations; the database's `PRAGMA user_version` counts those applied.

A migration is appended, never edited: a database written by an older hawkeye is brought forward on its next
write, in one transaction, so two processes opening it at once cannot both apply a migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Migration = Callable[[sqlite3.Connection], None]


def _m001_entries_and_stages(db: sqlite3.Connection) -> None:
    """One row per answered question; its stages in a child table, so that a new kind of stage needs no column."""
    db.execute("""
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            datetime_utc TEXT NOT NULL,
            source TEXT NOT NULL,
            profile TEXT,
            planner TEXT,
            expander TEXT,
            budget INTEGER,
            effort TEXT,
            max_tokens INTEGER,
            temperature REAL,
            seed INTEGER,
            question TEXT NOT NULL,
            plan TEXT,
            answer TEXT,
            final_answer TEXT,
            stop_reason TEXT,
            agree REAL,
            saving_kind TEXT CHECK (saving_kind IN ('measured', 'estimated')),
            saved_tokens REAL,
            saved_seconds REAL,
            saved_cost REAL,
            saving_lower_bound INTEGER
        )""")
    db.execute("CREATE INDEX entries_datetime ON entries (datetime_utc)")
    db.execute("""
        CREATE TABLE stages (
            entry_id INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            stage TEXT NOT NULL,
            model TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            seconds REAL,
            cost REAL,
            finish_reason TEXT,
            PRIMARY KEY (entry_id, position)
        )""")


def _m002_baselines(db: sqlite3.Connection) -> None:
    """The planner alone per item, from bench (later calibrate): what savings are estimated against."""
    db.execute("""
        CREATE TABLE baselines (
            id INTEGER PRIMARY KEY,
            recorded_utc TEXT NOT NULL,
            source TEXT NOT NULL,
            planner TEXT NOT NULL,
            dataset TEXT,
            n INTEGER NOT NULL,
            mean_tokens REAL NOT NULL,
            mean_seconds REAL NOT NULL,
            mean_cost REAL NOT NULL,
            max_tokens INTEGER,
            cut INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("CREATE INDEX baselines_planner ON baselines (planner, id)")
    db.execute("ALTER TABLE entries ADD COLUMN baseline_id INTEGER REFERENCES baselines (id)")


MIGRATIONS: list[Migration] = [_m001_entries_and_stages, _m002_baselines]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite3.Connection) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the write lock at once (waiting up to the busy timeout for it), so that it
    never fails half-way on another writer. `db` is in autocommit mode (isolation_level None)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations the database lacks; the caller has checked that it is not newer than this hawkeye."""
    if schema_version(db) >= SCHEMA_VERSION:
        return
    with transaction(db):
        applied = schema_version(db)  # again, under the write lock: another process may have migrated meanwhile
        for migration in MIGRATIONS[applied:]:
            migration(db)
        db.execute(f"PRAGMA user_version = {max(applied, SCHEMA_VERSION)}")
