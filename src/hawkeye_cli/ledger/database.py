"""The ledger's SQLite database: written by every `ask` and by `serve`'s worker threads, read by `hawkeye logs`.

Safe for many writers, threads and processes alike: a connection per call (never shared between threads), WAL
(readers never wait for a writer), and one short transaction per entry that takes the write lock at once and
waits up to BUSY_SECONDS for it. A read writes nothing (but a migration) and still works on a full disk. Any
failure becomes a LedgerError that names the file and the fix.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hawkeye_cli.errors import HawkeyeError, LedgerError
from hawkeye_cli.ledger.entries import BASELINE_STAGE, SAVING_KINDS, Entry, Saving, SavingKind, StageRow
from hawkeye_cli.ledger.estimates import Baseline, estimate
from hawkeye_cli.ledger.schema import SCHEMA_VERSION, migrate, schema_version, transaction
from hawkeye_cli.outputs import write_problem
from hawkeye_cli.store import paths

BUSY_SECONDS = 5.0
"""How long a write waits for another writer's lock before the entry is given up (with a warning)."""

WAL_HEADER_BYTES = 32
SHM_REGION_BYTES = 32 * 1024
"""SQLite's WAL header, and the region its shared-memory file is sized by: files smaller were never used."""
FULL_BELOW_BYTES = 1024 * 1024
"""Free space under which a disk I/O error is taken for a full disk: SQLite reports ENOSPC while it sizes the
shared-memory file of WAL mode as a plain I/O error."""

ENTRY_COLUMNS = tuple(field.name for field in fields(Entry) if field.name not in ("stages", "measured"))
STAGE_COLUMNS = tuple(field.name for field in fields(StageRow))
BASELINE_COLUMNS = tuple(field.name for field in fields(Baseline) if field.name not in ("id", "recorded_utc"))
SQLITE_INTEGERS = (-(2**63), 2**63 - 1)
"""What an INTEGER column holds; Python's sqlite3 refuses (OverflowError) any integer beyond."""


@dataclass(frozen=True)
class Logged:
    """An entry as stored: when, and the saving recorded with it (measured, estimated, or none)."""

    id: int
    when: datetime
    entry: Entry
    saving: Saving | None
    baseline: Baseline | None
    """An estimated saving's reference: the planner alone in a bench (or calibrate)."""


@dataclass(frozen=True)
class Saved:
    """Savings of one kind added up over questions."""

    questions: int
    tokens: float
    seconds: float
    cost: float

    @classmethod
    def sum(cls, parts: Sequence[Saved]) -> Saved:
        return cls(sum(p.questions for p in parts), sum(p.tokens for p in parts), sum(p.seconds for p in parts),
                   sum(p.cost for p in parts))


@dataclass(frozen=True)
class Totals:
    """Questions of one profile (or all), what their answers generated, and what they saved, kind by kind."""

    profile: str
    questions: int
    tokens: int
    seconds: float
    cost: float
    saved: dict[SavingKind, Saved]

    @classmethod
    def overall(cls, profiles: Sequence[Totals]) -> Totals:
        return cls("all", sum(p.questions for p in profiles), sum(p.tokens for p in profiles),
                   sum(p.seconds for p in profiles), sum(p.cost for p in profiles),
                   {kind: Saved.sum([p.saved[kind] for p in profiles]) for kind in SAVING_KINDS})


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, entry: Entry) -> int:
        """Record one entry, with its measured saving or, without one, the saving estimated from the latest
        baseline of its planner (none without either); its id."""
        with self._connection() as db, transaction(db):
            saving = entry.measured
            if saving is None and entry.planner is not None:
                baseline = self._latest_baseline(db, entry.planner)
                saving = None if baseline is None else estimate(entry, baseline)
            columns = [*ENTRY_COLUMNS, "datetime_utc", "saving_kind", "saved_tokens", "saved_seconds", "saved_cost",
                       "saving_lower_bound", "baseline_id"]
            values = [*(getattr(entry, name) for name in ENTRY_COLUMNS), _now()]
            values += [None] * 6 if saving is None else [saving.kind, saving.tokens, saving.seconds, saving.cost,
                                                          saving.lower_bound, saving.baseline_id]
            cursor = db.execute(f"INSERT INTO entries ({', '.join(columns)}) VALUES ({_marks(len(columns))})",
                                [_storable(value) for value in values])
            entry_id = cursor.lastrowid
            assert entry_id is not None
            db.executemany(
                f"INSERT INTO stages (entry_id, position, {', '.join(STAGE_COLUMNS)}) "
                f"VALUES ({_marks(len(STAGE_COLUMNS) + 2)})",
                [(entry_id, position, *(_storable(getattr(stage, name)) for name in STAGE_COLUMNS))
                 for position, stage in enumerate(entry.stages)])
        return entry_id

    def add_baselines(self, baselines: Sequence[Baseline]) -> None:
        with self._connection() as db, transaction(db):
            db.executemany(
                f"INSERT INTO baselines (recorded_utc, {', '.join(BASELINE_COLUMNS)}) "
                f"VALUES ({_marks(len(BASELINE_COLUMNS) + 1)})",
                [(_now(), *(_storable(getattr(baseline, name)) for name in BASELINE_COLUMNS))
                 for baseline in baselines])

    def entries(self, *, count: int | None = None, query: str | None = None,
                since: datetime | None = None) -> list[Logged]:
        """The latest `count` entries (all: None) matching `query` and `since`, oldest first."""
        if not self.path.exists():
            return []
        where, parameters = _filter(query, since)
        limit = "" if count is None else f"LIMIT {int(count)}"
        baseline_columns = ", ".join(f"b.{name} AS b_{name}" for name in (*BASELINE_COLUMNS, "recorded_utc"))
        chosen = f"SELECT e.id FROM entries e {where} ORDER BY e.id DESC {limit}"
        with self._connection(reading=True) as db:
            db.execute("BEGIN")  # one snapshot for both queries, whatever is written meanwhile
            rows = db.execute(f"SELECT e.*, {baseline_columns} FROM entries e "
                              f"LEFT JOIN baselines b ON b.id = e.baseline_id WHERE e.id IN ({chosen}) "
                              "ORDER BY e.id", parameters).fetchall()
            stages: dict[int, list[StageRow]] = {row["id"]: [] for row in rows}
            found = db.execute(f"SELECT * FROM stages WHERE entry_id IN ({chosen}) ORDER BY entry_id, position",
                               parameters)
            for stage in found:
                stages[stage["entry_id"]].append(StageRow(*(stage[name] for name in STAGE_COLUMNS)))
            db.execute("COMMIT")
        return [_logged(row, tuple(stages[row["id"]])) for row in rows]

    def totals(self, *, since: datetime | None = None) -> list[Totals]:
        """Per profile, by name."""
        if not self.path.exists():
            return []
        where, parameters = _filter(None, since)
        kinds = ", ".join(
            f"SUM(e.saving_kind = '{kind}'), TOTAL(CASE WHEN e.saving_kind = '{kind}' THEN e.saved_tokens END), "
            f"TOTAL(CASE WHEN e.saving_kind = '{kind}' THEN e.saved_seconds END), "
            f"TOTAL(CASE WHEN e.saving_kind = '{kind}' THEN e.saved_cost END)"
            for kind in SAVING_KINDS)
        with self._connection(reading=True) as db:
            rows = db.execute(
                f"""WITH generated AS (
                        SELECT entry_id, TOTAL(completion_tokens) AS tokens, SUM(seconds) AS seconds,
                               SUM(cost) AS cost
                        FROM stages WHERE stage != '{BASELINE_STAGE}' GROUP BY entry_id)
                    SELECT COALESCE(e.profile, '?'), COUNT(*), TOTAL(g.tokens), TOTAL(g.seconds), TOTAL(g.cost),
                           {kinds}
                    FROM entries e LEFT JOIN generated g ON g.entry_id = e.id {where}
                    GROUP BY 1 ORDER BY 1""", parameters).fetchall()
        return [Totals(row[0], row[1], int(row[2]), row[3], row[4],
                       {kind: Saved(row[5 + 4 * at] or 0, *row[6 + 4 * at:9 + 4 * at])
                        for at, kind in enumerate(SAVING_KINDS)})
                for row in rows]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._connection(reading=True) as db:
            found: int = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        return found

    @staticmethod
    def _latest_baseline(db: sqlite3.Connection, planner: str) -> Baseline | None:
        row = db.execute("SELECT * FROM baselines WHERE planner = ? ORDER BY id DESC LIMIT 1", (planner,)).fetchone()
        return None if row is None else Baseline(**dict(row))

    @contextmanager
    def _connection(self, *, reading: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection to an up-to-date database (created or migrated on the way; one newer than this hawkeye is
        refused before anything is written to it, WAL mode included); closed at the end. A read writes nothing
        unless the database must be migrated."""
        if not reading:
            paths.make_data_dir(self.path.parent)
        absent = self._absent_side_files()
        try:
            db = self._open(absent, reading=reading)
        except HawkeyeError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc, reading=reading) from exc
        try:
            db.row_factory = sqlite3.Row
            if not reading or schema_version(db) < SCHEMA_VERSION:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable at checkpoints, never corrupt
                db.execute("PRAGMA foreign_keys = ON")
                migrate(db)
            yield db
        except HawkeyeError:
            raise
        except (sqlite3.Error, OSError) as exc:
            db.close()
            if self._disk_full(exc):
                self._remove(absent)
            raise self._error(exc, reading=reading) from exc
        finally:
            db.close()

    def _open(self, absent: list[Path], *, reading: bool) -> sqlite3.Connection:
        """The database, its schema version checked. On a full disk, where SQLite cannot size the shared-memory
        file of a WAL database, the unused -wal and -shm files its attempt left are removed and a read reads the file
        as it stands (immutable)."""
        db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            version = schema_version(db)
        except sqlite3.Error as exc:
            db.close()
            if not self._disk_full(exc):
                raise
            self._remove(absent)
            if not reading:
                raise
            db = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro&immutable=1", uri=True,
                                 isolation_level=None)
            version = schema_version(db)
        if version > SCHEMA_VERSION:
            db.close()
            raise LedgerError(f"the log {self.path} was written by a newer hawkeye (schema version {version}; "
                              f"this one knows up to {SCHEMA_VERSION})",
                              fix="upgrade hawkeye, or move the file away to start a new log")
        return db

    def _absent_side_files(self) -> list[Path]:
        """The WAL and shared-memory files SQLite keeps beside the database, those not there now."""
        return [side for side in (Path(f"{self.path}-wal"), Path(f"{self.path}-shm")) if not side.exists()]

    @staticmethod
    def _remove(side_files: list[Path]) -> None:
        """Those of `side_files` that no connection can have used: a WAL file without even its header, a
        shared-memory file smaller than its first region (a failed attempt leaves these)."""
        for side in side_files:
            try:
                unused = side.stat().st_size < (WAL_HEADER_BYTES if side.name.endswith("-wal") else SHM_REGION_BYTES)
                if unused:
                    side.unlink()
            except FileNotFoundError:
                pass

    def _disk_full(self, exc: sqlite3.Error | OSError) -> bool:
        if isinstance(exc, OSError):
            return exc.errno == errno.ENOSPC
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_FULL":
            return True
        try:
            return name.startswith("SQLITE_IOERR") and shutil.disk_usage(self.path.parent).free < FULL_BELOW_BYTES
        except OSError:
            return False

    def _error(self, exc: sqlite3.Error | OSError, *, reading: bool = False) -> LedgerError:
        """SQLite's message (its errstr for each error code) turned into what to do."""
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            moved = shlex.quote(f"{self.path}.corrupt")
            return LedgerError(f"{self.path} is not a readable hawkeye log ({text})",
                               fix=f"move it away (mv {shlex.quote(str(self.path))} {moved}): hawkeye then starts "
                               "a new one")
        if "locked" in text or "busy" in text:
            return LedgerError(f"the log {self.path} stayed locked by another process for {BUSY_SECONDS:g} s",
                               fix="if no hawkeye is running, another program holds it open: close that program")
        full = self._disk_full(exc)
        problem = "the disk is full" if full else (_read_problem if reading else write_problem)(self.path) or text
        elsewhere = f"set {paths.HOME_ENV} to a writable folder"
        if problem == "permission denied":
            elsewhere = f"give your user read and write permission on it (chmod u+rw {shlex.quote(str(self.path))}), " \
                        f"or {elsewhere}"
        space = "free some disk space, " if full else ""
        return LedgerError(f"cannot {'read' if reading else 'write'} the log {self.path}: {problem}",
                           fix=f"{space}{elsewhere}, or {paths.NO_LOG_ENV}=1 to stop logging")


def _read_problem(path: Path) -> str | None:
    """Why `path` could not be opened for reading, or None when it could."""
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        return "permission denied" if exc.errno == errno.EACCES else exc.strerror or str(exc)
    return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _storable(value: Any) -> Any:
    """`value` as a column holds it: an integer beyond 64 bits (a token count an engine reported, a setting a
    client sent) at the nearest end of SQLite's range, so that no entry is lost to a number it was handed."""
    return min(max(value, SQLITE_INTEGERS[0]), SQLITE_INTEGERS[1]) if isinstance(value, int) else value


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _filter(query: str | None, since: datetime | None) -> tuple[str, list[Any]]:
    """The WHERE clause of a text search (question, answer and final answer; case-insensitive for ASCII) and a
    start time."""
    conditions: list[str] = []
    parameters: list[Any] = []
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append("(" + " OR ".join(f"e.{column} LIKE ? ESCAPE '\\'"
                                            for column in ("question", "answer", "final_answer")) + ")")
        parameters += [pattern] * 3
    if since is not None:
        conditions.append("e.datetime_utc >= ?")
        parameters.append(since.astimezone(timezone.utc).isoformat(timespec="seconds"))
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", parameters


def _logged(row: sqlite3.Row, stages: tuple[StageRow, ...]) -> Logged:
    saving = None if row["saving_kind"] is None else Saving(
        row["saving_kind"], row["saved_tokens"], row["saved_seconds"], row["saved_cost"],
        bool(row["saving_lower_bound"]), row["baseline_id"])
    entry = Entry(**{name: row[name] for name in ENTRY_COLUMNS}, stages=stages,
                  measured=saving if saving is not None and saving.kind == "measured" else None)
    baseline = None if row["baseline_id"] is None else Baseline(
        **{name: row[f"b_{name}"] for name in BASELINE_COLUMNS}, id=row["baseline_id"],
        recorded_utc=row["b_recorded_utc"])
    return Logged(row["id"], datetime.fromisoformat(row["datetime_utc"]), entry, saving, baseline)
