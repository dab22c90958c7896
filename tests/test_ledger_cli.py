"""`hawkeye logs` end to end on the real tiny models: a bench records the planner's baseline, two `ask` and
requests to a real `hawkeye serve` are recorded, listed and added up; turning the log off, and a log that
cannot be written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cli_runner import Hawkeye, run_hawkeye
from hawkeye_cli.store import paths
from ledger_fixtures import home_with_models, ledger_home  # noqa: F401 - a fixture
from test_serve import Server, serve

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "math500-tiny.jsonl"
FAST = ["--profile", "tiny", "--budget", "8", "--max-tokens", "16", "--threads", "2", "--ctx", "2048"]
QUESTION = "Tom has 3 apples and buys 5 more. How many apples does he have?"
OTHER = "What is 6 times 7?"


def listed(*options: str) -> list[dict[str, Any]]:
    result = run_hawkeye("logs", "--json", *options)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["version"] == 1
    entries: list[dict[str, Any]] = document["entries"]
    return entries


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(("warning:", "error:"))]


@dataclass(frozen=True)
class Recorded:
    bench: dict[str, Any]
    asked: list[dict[str, Any]]
    served: Any
    entries: list[dict[str, Any]]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, hawkeye_home: Path) -> Iterator[Path]:
    directory = home_with_models(tmp_path_factory.mktemp("ledger") / "home", hawkeye_home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAWKEYE_HOME", str(directory))
        patch.delenv(paths.NO_LOG_ENV, raising=False)
        yield directory


@pytest.fixture(scope="module")
def server(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("serve")) as running:  # inherits HAWKEYE_HOME
        yield running


@pytest.fixture(scope="module")
def recorded(home: Path, server: Server, tmp_path_factory: pytest.TempPathFactory, hawkeye: Hawkeye) -> Recorded:
    """A bench of the planner alone (2 problems), then two questions asked and one served."""
    bench = hawkeye("bench", "math500", "--data", str(DATA), "--modes", "baseline", "--limit", "2", "--json",
                    "--out", str(tmp_path_factory.mktemp("results")), *FAST)
    assert bench.exit_code == 0, bench.output
    asked = []
    for options in ([], ["--compare"]):
        result = hawkeye("ask", QUESTION if not options else OTHER, "--json", *options, *FAST)
        assert result.exit_code == 0 and warnings(result) == [], result.output
        asked.append(json.loads(result.stdout))
    served = server.client().chat.completions.create(model="hawkeye/tiny",
                                                     messages=[{"role": "user", "content": OTHER}])
    return Recorded(json.loads(bench.stdout), asked, served, listed())


def test_two_asks_and_a_served_request_are_listed_with_their_stage_tokens(recorded: Recorded) -> None:
    entries = recorded.entries
    assert [entry["source"] for entry in entries] == ["ask", "ask", "serve"]
    assert [entry["question"] for entry in entries] == [QUESTION, OTHER, OTHER]
    for entry, asked in zip(entries, recorded.asked, strict=False):
        expected = [asked["plan"], *asked["stages"].values(), asked["expansion"]] + (
            [asked["baseline"]["stage"]] if asked["baseline"] else [])
        assert [(s["stage"], s["model"], s["prompt_tokens"], s["completion_tokens"], s["seconds"]) for s in
                entry["stages"]] == [(s["stage"], s["model"], s["prompt_tokens"], s["completion_tokens"], s["seconds"])
                                     for s in expected]
        assert (entry["plan"], entry["answer"], entry["final_answer"]) == (
            asked["plan"]["cot"], asked["expansion"]["text"], asked["final_answer"])
        assert (entry["profile"], entry["models"], entry["budget"]) == (asked["profile"], asked["models"], 8)
    usage = recorded.served.usage.model_extra["stages"]
    served = entries[2]
    assert [(s["stage"], s["completion_tokens"], s["prompt_tokens"]) for s in served["stages"]] == [
        (name, usage[name]["completion_tokens"], usage[name]["prompt_tokens"]) for name in ("plan", "probe", "expand")]
    assert served["answer"] == recorded.served.choices[0].message.content


def test_savings_are_measured_with_compare_and_otherwise_estimated_from_the_latest_bench(
    recorded: Recorded,
) -> None:
    [summary] = recorded.bench["summaries"]
    estimated, measured, served = recorded.entries
    for entry in (estimated, served):
        saving = entry["saving"]
        assert saving["kind"] == "estimated"
        assert saving["tokens"] == pytest.approx(summary["mean_tokens"] - entry["generated"]["tokens"])
        assert saving["seconds"] == pytest.approx(summary["mean_seconds"] - entry["generated"]["seconds"])
        assert saving["cost"] == pytest.approx(summary["mean_cost"] - entry["generated"]["cost"])
        against = saving["against"]
        assert (against["source"], against["dataset"], against["n"], against["planner"]) == (
            "bench", "math500", 2, "gemma3-270m")
        assert against["mean_tokens"] == pytest.approx(summary["mean_tokens"])
    baseline = recorded.asked[1]["baseline"]["stage"]
    saving = measured["saving"]
    assert saving["kind"] == "measured" and saving["against"] == {"source": "compare"}
    assert saving["tokens"] == baseline["completion_tokens"] - measured["generated"]["tokens"]
    assert saving["lower_bound"] == (baseline["finish_reason"] == "length")


def test_stats_add_up_the_entries_and_keep_measured_and_estimated_apart(recorded: Recorded, hawkeye: Hawkeye) -> None:
    entries = listed("-n", "0")
    result = hawkeye("logs", "stats", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["version"] == 1
    [tiny] = stats["profiles"]
    assert stats["overall"] == {**tiny, "profile": "all"}
    assert tiny["questions"] == len(entries)
    assert tiny["generated"]["tokens"] == sum(entry["generated"]["tokens"] for entry in entries)
    for kind in ("measured", "estimated"):
        savings = [entry["saving"] for entry in entries if entry["saving"] and entry["saving"]["kind"] == kind]
        assert savings, kind
        assert tiny["saved"][kind]["questions"] == len(savings)
        for amount in ("tokens", "seconds", "cost"):
            assert tiny["saved"][kind][amount] == pytest.approx(sum(saving[amount] for saving in savings))
    text = hawkeye("logs", "stats").stdout
    assert "measured" in text and "estimated" in text and "tiny" in text


def test_listing_searches_counts_and_goes_back_in_time(recorded: Recorded, hawkeye: Hawkeye) -> None:
    assert [entry["question"] for entry in listed("-q", "APPLES")] == [QUESTION]
    assert [entry["id"] for entry in listed("-n", "1")] == [recorded.entries[-1]["id"]]
    assert listed("--since", "1h") == recorded.entries
    assert listed("--since", "2999-01-01") == []
    bad = hawkeye("logs", "--since", "yesterday")
    assert bad.exit_code == 2 and "use an ISO date or time" in bad.output
    text = hawkeye("logs", "-n", "0").stdout
    assert f"Q: {QUESTION}" in text and "(measured: the planner alone on this question" in text
    assert "(estimated: bench math500, 2 items" in text


def test_eight_concurrent_served_requests_lose_no_entry(recorded: Recorded, server: Server) -> None:
    questions = [f"What is {n} plus {n}?" for n in range(8)]

    def ask(question: str) -> str | None:
        reply = server.client(timeout=600).chat.completions.create(
            model="hawkeye/tiny", messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, questions))
    assert all(answer is not None for answer in answers)
    served = [entry for entry in listed("-n", "0") if entry["question"] in questions]
    assert sorted(entry["question"] for entry in served) == sorted(questions)
    assert all(entry["source"] == "serve" and [s["stage"] for s in entry["stages"]] == ["plan", "probe", "expand"]
               for entry in served)
    assert "warning" not in server.log()


@pytest.mark.usefixtures("ledger_home")
def test_off_no_log_and_the_environment_each_stop_recording(monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye) -> None:
    assert hawkeye("logs", "path").stdout.strip() == str(paths.ledger_path())
    off = hawkeye("logs", "off")
    assert off.exit_code == 0 and "Logging is off" in off.stderr
    assert "logging: off (turned off by hawkeye logs off)" in hawkeye("logs", "status").stdout
    assert hawkeye("ask", OTHER, *FAST).exit_code == 0
    assert hawkeye("logs", "on").exit_code == 0
    assert hawkeye("ask", OTHER, "--no-log", *FAST).exit_code == 0
    monkeypatch.setenv(paths.NO_LOG_ENV, "1")
    assert hawkeye("ask", OTHER, *FAST).exit_code == 0
    still_off = hawkeye("logs", "on")
    assert "still off: HAWKEYE_NO_LOG is set" in still_off.stderr
    assert listed() == [] and "Logging is off (HAWKEYE_NO_LOG is set)" in hawkeye("logs").stderr
    monkeypatch.delenv(paths.NO_LOG_ENV)
    assert hawkeye("ask", OTHER, *FAST).exit_code == 0
    assert len(listed()) == 1  # the same command records once nothing turns the log off
    assert "logging: on" in hawkeye("logs", "status").stdout


@pytest.mark.usefixtures("ledger_home")
def test_an_unwritable_log_is_one_warning_and_the_answer_still_prints(hawkeye: Hawkeye) -> None:
    paths.ledger_path().mkdir()
    result = hawkeye("ask", QUESTION, "--json", *FAST)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["question"] == QUESTION
    assert warnings(result) == [
        f"warning: not logged: cannot write the log {paths.ledger_path()}: it is a folder — set HAWKEYE_HOME to "
        "a writable folder, or HAWKEYE_NO_LOG=1 to stop logging"]


@pytest.mark.usefixtures("ledger_home")
def test_a_corrupt_log_is_one_warning_naming_the_file_and_the_fix(hawkeye: Hawkeye) -> None:
    log = paths.ledger_path()
    log.write_bytes(b"this is not SQLite\n" * 200)
    result = hawkeye("ask", QUESTION, *FAST)
    assert result.exit_code == 0 and "Answer · smollm2-135m-instruct" in result.stdout
    problem = (f"{log} is not a readable hawkeye log (file is not a database) — move it away (mv {log} "
               f"{log}.corrupt): hawkeye then starts a new one")
    assert warnings(result) == [f"warning: not logged: {problem}"]
    listing = hawkeye("logs")
    assert listing.exit_code == 1 and warnings(listing) == [f"error: {problem}"]
    assert log.read_bytes() == b"this is not SQLite\n" * 200  # left as it was


@pytest.mark.parametrize("count", ["100000000000000000000", "1e20"])
@pytest.mark.usefixtures("ledger_home")
def test_a_count_beyond_any_log_is_a_usage_error(count: str, hawkeye: Hawkeye) -> None:
    result = hawkeye("logs", "-n", count)
    assert result.exit_code == 2
    assert "'--count' / '-n'" in result.stderr and "cannot write" not in result.stderr
