"""Two processes writing the ledger at once, from the first write on (both create and migrate the database),
while this one reads it: no entry is lost or half-written. (Eight concurrent requests to a real `hawkeye serve`
are in test_ledger_cli.py.)"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hawkeye_cli.ledger.database import Ledger
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import Registry
from ledger_fixtures import ledger_home, scripted_document  # noqa: F401 - a fixture

WRITER = Path(__file__).with_name("ledger_writer.py")
ENTRIES_EACH = 150


@pytest.mark.usefixtures("ledger_home")
def test_two_processes_writing_at_once_lose_no_entry(registry: Registry, tmp_path: Path) -> None:
    document = tmp_path / "answer.json"
    document.write_text(json.dumps(scripted_document(registry, compare=True)), encoding="utf-8")
    start = tmp_path / "start"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writers = [subprocess.Popen([sys.executable, str(WRITER), str(document), tag, str(ENTRIES_EACH), str(start)],
                                stderr=subprocess.PIPE, text=True, env=env) for tag in ("first", "second")]
    start.touch()
    log = Ledger(paths.ledger_path())
    seen = []
    for _ in range(20):  # reading meanwhile: WAL readers never wait for the writers, and see whole entries
        seen.append(log.count())
        assert all(len(item.entry.stages) == 4 for item in log.entries(count=5))
    outcomes = [(writer.wait(timeout=600), writer.stderr.read() if writer.stderr else "") for writer in writers]
    assert outcomes == [(0, ""), (0, "")]
    assert seen == sorted(seen)
    entries = log.entries()
    assert sorted(item.entry.question for item in entries) == sorted(
        f"{tag}-{n}" for tag in ("first", "second") for n in range(ENTRIES_EACH))
    assert len({item.id for item in entries}) == 2 * ENTRIES_EACH
    assert all([stage.stage for stage in item.entry.stages] == ["plan", "probe", "expand", "baseline"]
               for item in entries)
    assert all(item.saving is not None and item.saving.kind == "measured" for item in entries)
    writers_in_order = [item.entry.question.split("-")[0] for item in entries]
    assert sum(a != b for a, b in itertools.pairwise(writers_in_order)) > 1  # they did write at once
