"""`hawkeye calibrate` on the real tiny models: it writes a profile into the user's registry file that `ask -p`
then uses, its baseline feeds the ledger's estimates, and the same command resumes with nothing left to run.

The tiny models score about 0 % on MATH, so every setting ties on accuracy: this checks the mechanics (the
cheapest of the ties is chosen, saved and used), not which budget is best."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cli_runner import run_hawkeye
from hawkeye_cli.evaluation.results import read_results
from hawkeye_cli.store import paths
from ledger_fixtures import ledger_home  # noqa: F401 - a fixture

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "math500-tiny.jsonl"
FAST = ["--max-tokens", "16", "--ctx", "2048", "--threads", "2"]


@pytest.mark.usefixtures("ledger_home")
def test_calibrate_saves_a_profile_that_ask_uses(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = ["calibrate", "math500", "--data", str(DATA), "--limit", "2", "--budgets", "8,auto", "--max-budget",
               "16", "--profile", "tiny", "--out", str(out), "--save", "tuned", "--json", *FAST]
    result = run_hawkeye(*command)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    candidates = document["candidates"]
    assert [c["label"] for c in candidates] == ["hawkeye@8", "hawkeye@auto"]
    assert all(c["qualifies"] == (c["bound"] <= 2) for c in candidates)
    qualified = [c for c in candidates if c["qualifies"]]
    cheapest = min(qualified, key=lambda c: (c["mean_tokens"], c["mean_seconds"]))
    assert document["chosen"] == cheapest["label"]
    rows = read_results(out / "math500.jsonl")
    assert [(r.index, r.mode, r.budget) for r in rows] == [
        (i, mode, budget) for i in (0, 1) for mode, budget in (("baseline", None), ("hawkeye", 8),
                                                                ("hawkeye", "auto"))]
    assert (out / "calibrate-math500.png").read_bytes().startswith(b"\x89PNG")

    user_file = paths.config_dir() / "models.yaml"  # the user's registry file, in HAWKEYE_HOME
    saved = yaml.safe_load(user_file.read_text(encoding="utf-8"))["profiles"]["tuned"]
    assert saved["budget"] == cheapest["budget"] and saved["max_tokens"] == 16
    assert saved.get("max_budget") == (16 if cheapest["budget"] == "auto" else None)

    asked = run_hawkeye("ask", "-p", "tuned", "What is 2 + 3?", "--json", "--ctx", "2048",
                                     "--threads", "2")
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert (answer["profile"], answer["budget"], answer["settings"]["max_tokens"]) == ("tuned", cheapest["budget"], 16)

    logged = json.loads(run_hawkeye("logs", "--json", "-n", "1").stdout)["entries"][0]
    against = logged["saving"]["against"]
    assert logged["saving"]["kind"] == "estimated"
    assert (against["source"], against["dataset"], against["n"]) == ("calibrate", "math500", 2)
    assert against["mean_tokens"] == pytest.approx(document["baseline"]["mean_tokens"])

    again = run_hawkeye(*command)  # everything is saved: nothing runs, the same choice
    assert again.exit_code == 0, again.output
    assert "6 results already in" in again.stderr and "Ctrl-C stops" not in again.stderr
    assert json.loads(again.stdout)["chosen"] == document["chosen"]
    assert read_results(out / "math500.jsonl") == rows
