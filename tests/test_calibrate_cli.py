"""`hawkeye calibrate` through the CLI with scripted models: the choice, --save into the user's registry file (and
`ask -p` using it), a calibrate resuming a bench and itself after Ctrl-C, and the ways saving can fail."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from cli_runner import run_hawkeye
from hawkeye_cli.evaluation.results import read_results
from hawkeye_cli.store import paths
from test_bench_cli import Answering, Models, calls, scripted_models  # noqa: F401 - a fixture

QUESTIONS = ["Natalia sold 48 clips in April and half as many in May. How many clips in total?",
             "A box holds 36 pens and another 36. How many pens?",
             "Tom had 80 marbles and lost 8. How many are left?"]
USER_FILE = """\
models:
  my-planner:
    source: {path: /models/planner.gguf}
profiles:
  other: {planner: gemma3-270m, expander: smollm2-135m-instruct, budget: 32}
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Three problems whose answer is 72: the scripted models answer every one right (or, scripted so, wrong)."""
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps({"question": q, "answer": "... #### 72"}) + "\n" for q in QUESTIONS),
                    encoding="utf-8")
    return path


@pytest.fixture
def script(request: pytest.FixtureRequest) -> Callable[..., Models]:
    """test_bench_cli's scripted planner and expander, installed by calling this."""
    install: Callable[..., Models] = request.getfixturevalue("scripted_models")
    return install


@pytest.fixture
def user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config" / "models.yaml"
    path.parent.mkdir()
    path.write_text(USER_FILE, encoding="utf-8")
    monkeypatch.setenv(paths.USER_REGISTRY_ENV, str(path))
    return path


def calibrate(data: Path, out: Path, *args: str) -> Result:
    return run_hawkeye("calibrate", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                                    "--budgets", "4,8,auto", "--max-budget", "16", *args)


def test_the_cheapest_setting_is_saved_and_ask_uses_it(
    data: Path, tmp_path: Path, user_file: Path, script: Callable[..., Models]
) -> None:
    script()  # every answer is 72: every setting is as accurate as the planner alone
    out = tmp_path / "results"
    result = calibrate(data, out, "--max-tokens", "40", "--save", "mine", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["baseline"]["accuracy"] == {"value": 1.0, "stderr": 0.0}
    assert [(c["label"], c["loss"], c["bound"], c["qualifies"]) for c in document["candidates"]] == [
        ("hawkeye@4", 0.0, 0.0, True), ("hawkeye@8", 0.0, 0.0, True), ("hawkeye@auto", 0.0, 0.0, True)]
    tokens = {c["label"]: c["mean_tokens"] for c in document["candidates"]}
    assert tokens["hawkeye@4"] < tokens["hawkeye@8"] < tokens["hawkeye@auto"]
    assert document["chosen"] == "hawkeye@4" and document["tolerance"] == 2.0
    assert "1.645 * sqrt(se_baseline² + se_setting²)" in document["guard"]
    assert Path(document["plot"]) == out / "calibrate-gsm8k.png"
    assert (out / "calibrate-gsm8k.png").read_bytes().startswith(b"\x89PNG")
    assert f"saved profile mine (budget 4) in {user_file}" in " ".join(result.stderr.split())

    saved = yaml.safe_load(user_file.read_text(encoding="utf-8"))
    mine = saved["profiles"]["mine"]
    assert {key: mine[key] for key in ("planner", "expander", "budget", "max_tokens")} == {
        "planner": "gemma3-270m", "expander": "smollm2-135m-instruct", "budget": 4, "max_tokens": 40}
    assert "max_budget" not in mine  # a fixed budget has no cap
    assert mine["description"].startswith("calibrated by hawkeye calibrate on GSM8K (3 problems), within 2 points")
    assert saved["profiles"]["other"]["budget"] == 32  # the rest of the file is kept
    assert saved["models"]["my-planner"] == {"source": {"path": "/models/planner.gguf"}}

    script()
    asked = run_hawkeye("ask", "-p", "mine", "How many clips?", "--json", "--no-log")
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert (answer["profile"], answer["budget"], answer["settings"]["max_tokens"]) == ("mine", 4, 40)


def test_an_adaptive_choice_is_saved_with_its_cap(
    data: Path, tmp_path: Path, user_file: Path, script: Callable[..., Models]
) -> None:
    script()
    result = calibrate(data, tmp_path / "results", "--budgets", "auto,high", "--save", "adaptive")
    assert result.exit_code == 0, result.output
    profile = yaml.safe_load(user_file.read_text(encoding="utf-8"))["profiles"]["adaptive"]
    assert (profile["budget"], profile["max_budget"]) == ("auto", 16)


def test_saving_again_updates_the_profile_and_keeps_its_other_keys(
    data: Path, tmp_path: Path, user_file: Path, script: Callable[..., Models]
) -> None:
    script()
    assert calibrate(data, tmp_path / "results", "--save", "other").exit_code == 0
    profile = yaml.safe_load(user_file.read_text(encoding="utf-8"))["profiles"]["other"]
    assert profile["budget"] == 4 and profile["description"].startswith("calibrated")


def test_no_setting_within_the_tolerance_saves_nothing(
    data: Path, tmp_path: Path, user_file: Path, script: Callable[..., Models]
) -> None:
    script(expander=Answering("So 5 . #### 5"))  # hawkeye answers wrong, the planner alone right
    out = tmp_path / "results"
    shown = calibrate(data, out)
    assert shown.exit_code == 0, shown.output  # only asked to show: nothing failed
    text = " ".join(shown.stdout.split())
    assert "no setting is within 2 points of the planner alone; the closest is hawkeye@4 (+100.0 points" in text
    assert "hawkeye@4 3 0.0% ± 0.0% +100.0 +100.0" in text and "yes" not in text

    script()  # nothing to compute again: the same rows
    saving = calibrate(data, out, "--save", "mine")
    assert saving.exit_code == 1
    errors = [line for line in saving.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: nothing saved as profile mine: no setting qualified — see the table; try more "
                      "problems, larger budgets or a larger --tolerance"]
    assert user_file.read_text(encoding="utf-8") == USER_FILE


def test_ctrl_c_keeps_finished_rows_and_the_same_command_resumes(
    data: Path, tmp_path: Path, script: Callable[..., Models]
) -> None:
    out = tmp_path / "results"
    script(planner=Answering("48 + 24 = 72", interrupt_at=6))  # problem #1's plan at budget 8
    result = calibrate(data, out, "--seed", "3")
    assert result.exit_code == 130
    assert len(read_results(out / "gsm8k.jsonl")) == 5  # problem #0 in all four tasks, #1's baseline
    assert "interrupted" in result.stderr and "5 of 12 results saved" in result.stderr
    resume = result.stderr.split("resume with: ")[1].strip()
    assert resume.startswith("hawkeye calibrate gsm8k ") and f"--data {data}" in resume and "--seed 3" in resume
    assert "--budgets 4,8,auto" in resume
    assert not (out / "calibrate-gsm8k.png").exists()

    again = script()
    result = calibrate(data, out, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert calls(again) == [7, 6]  # plans of #1 at 3 budgets, #2 in all four tasks: nothing saved is redone
    assert len(read_results(out / "gsm8k.jsonl")) == 12


def test_a_calibrate_resumes_a_bench(data: Path, tmp_path: Path, script: Callable[..., Models]) -> None:
    out = tmp_path / "results"
    script()
    bench = run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                                     "--modes", "baseline,hawkeye", "--budget", "8", "--max-budget", "16")
    assert bench.exit_code == 0, bench.output
    planner, expander = script()
    result = calibrate(data, out)
    assert result.exit_code == 0, result.output
    assert "6 results already in" in result.stderr
    assert calls((planner, expander)) == [6, 6]  # hawkeye@4 and @auto only: the baseline and @8 were there


def test_an_unwritable_registry_file_is_refused_before_the_run(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: Callable[..., Models]
) -> None:
    home = tmp_path / "home"
    (home / "models.yaml").mkdir(parents=True)  # where the user's registry file should be
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    models = script()
    result = calibrate(data, tmp_path / "results", "--save", "mine")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: cannot write the user registry {home / 'models.yaml'}: it is a folder — make it writable, or set "
        "HAWKEYE_MODELS to a models.yaml you can write"]
    assert calls(models) == [0, 0] and not (tmp_path / "results").exists()


@pytest.mark.parametrize("name", ["my profile", "tiny@64", "a/b", "-x"])
def test_a_profile_name_that_could_not_be_served_is_a_usage_error(data: Path, tmp_path: Path, name: str) -> None:
    result = calibrate(data, tmp_path / "results", "--save", name)
    assert result.exit_code == 2 and "profile name" in result.output


@pytest.mark.parametrize("option", ["--budget", "--effort", "--stop-when"])
def test_options_a_profile_cannot_hold_are_not_taken(data: Path, tmp_path: Path, option: str) -> None:
    result = calibrate(data, tmp_path / "results", option, "low")
    assert result.exit_code == 2 and "No such option" in result.output


def test_one_problem_with_save_is_refused_before_the_run(data: Path, tmp_path: Path, user_file: Path,
                                                          script: Callable[..., Models]) -> None:
    models = script()
    result = calibrate(data, tmp_path / "results", "--limit", "1", "--save", "mine")
    assert result.exit_code == 2
    assert "Invalid value for --limit: one problem gives no bound on the accuracy lost" in result.stderr
    assert calls(models) == [0, 0] and not (tmp_path / "results").exists()
    assert user_file.read_text(encoding="utf-8") == USER_FILE


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_tolerance_that_is_no_number_is_a_usage_error(data: Path, tmp_path: Path, value: str) -> None:
    result = calibrate(data, tmp_path / "results", "--tolerance", value)
    assert result.exit_code == 2 and "'--tolerance'" in result.stderr and "finite number" in result.stderr
    assert not (tmp_path / "results").exists()


def test_saving_as_a_bundled_profile_says_that_it_replaces_its_settings(
    data: Path, tmp_path: Path, user_file: Path, script: Callable[..., Models]
) -> None:
    script()
    result = calibrate(data, tmp_path / "results", "--save", "tiny")
    assert result.exit_code == 0, result.output
    assert (f"note: tiny is a bundled profile: these settings now replace its own wherever it is used, and every "
            f"hawkeye ask without -p, which uses it; delete profiles.tiny from {user_file} to go back to them"
            ) in " ".join(result.stderr.split())
    mine = calibrate(data, tmp_path / "results", "--save", "other")
    assert mine.exit_code == 0 and "bundled profile" not in mine.stderr
