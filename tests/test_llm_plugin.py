"""hawkeye from simonw/llm (`llm -m hawkeye/tiny "question"`), through llm's own CLI on the real tiny models.

The plugin is registered with llm's plugin manager for these tests (the shared environment was installed before
its entry point existed); llm's logs go to a temporary LLM_USER_PATH.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llm
import pytest
from click.testing import CliRunner, Result
from llm.cli import cli

from conftest import local_settings
from hawkeye_cli import backends, llm_plugin
from hawkeye_cli.loading import LoadedModels
from hawkeye_cli.pipeline import AskResult, Collaboration
from scripted_models import scripted_models

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Tom has 3 apples and buys 5 more. How many apples does he have?"
SMALL = ["-o", "budget", "8", "-o", "max_tokens", "16"]


@pytest.fixture(scope="module", autouse=True)
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """hawkeye's models for llm, loaded on 2 threads with the tests' context (instead of every core), and llm's
    logs in a folder of their own."""
    patch = pytest.MonkeyPatch()
    patch.setenv("LLM_USER_PATH", str(tmp_path_factory.mktemp("llm-user")))
    loaded = LoadedModels(local_settings())
    patch.setattr(llm_plugin, "LOADED", loaded)
    registered = None
    if not llm.plugins.pm.is_registered(llm_plugin):  # an installed entry point has registered it already
        registered = llm.plugins.pm.register(llm_plugin, name="hawkeye")
    yield
    if registered is not None:
        llm.plugins.pm.unregister(llm_plugin)
    loaded.close()
    patch.undo()


def run_llm(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def last_logged() -> dict[str, Any]:
    result = run_llm("logs", "-n", "1", "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    return row


def test_the_llm_entry_point_names_the_plugin_module() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["llm"] == {"hawkeye": "hawkeye_cli.llm_plugin"}
    assert llm_plugin.register_models.llm_impl  # type: ignore[attr-defined]  # pluggy's mark of a hookimpl


def test_models_lists_every_profile_without_loading_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_loading(*args: object) -> None:
        raise AssertionError("listing models loaded one")

    monkeypatch.setattr(backends, "load_model", no_loading)
    result = run_llm("models")
    assert result.exit_code == 0, result.output
    listed = result.stdout.splitlines()
    assert "Hawkeye: hawkeye/tiny" in listed and "Hawkeye: hawkeye/paper" in listed
    options = run_llm("models", "--options", "-m", "hawkeye/tiny").stdout
    assert all(f"    {name}:" in options for name in ("budget", "max_budget", "max_tokens", "temperature", "seed"))


def test_a_question_streams_the_plan_as_reasoning_and_the_answer_as_text() -> None:
    streamed = run_llm("-m", "hawkeye/tiny", *SMALL, QUESTION)
    assert streamed.exit_code == 0, streamed.output
    row = last_logged()
    answer, plan = row["response"], row["reasoning"]
    assert answer.strip() and plan.strip()
    assert streamed.stdout == answer + "\n"
    assert streamed.stderr == plan + "\n"  # llm writes reasoning to stderr, then a newline before the answer
    assert plan == plan.strip()  # stripped as the result's plan is

    details = json.loads(row["token_details"])
    stages = details["stages"]
    assert {"plan", "expand"} <= set(stages)
    assert stages["plan"]["model"] == "gemma3-270m" and stages["expand"]["model"] == "smollm2-135m-instruct"
    assert stages["plan"]["completion_tokens"] <= 8 and stages["expand"]["completion_tokens"] <= 16
    assert row["input_tokens"] == sum(stage["prompt_tokens"] for stage in stages.values())
    assert row["output_tokens"] == sum(stage["completion_tokens"] for stage in stages.values())
    assert details["budget"] == 8 and details["stop"] in ("ended", "budget")
    assert set(details) >= {"agree", "planner_answer", "final_answer"}
    assert row["options_json"]["budget"] == 8

    whole = run_llm("-m", "hawkeye/tiny", "--no-stream", *SMALL, QUESTION)
    assert whole.exit_code == 0, whole.output
    assert whole.stdout == streamed.stdout  # greedy: the same answer, streamed or not
    assert plan not in whole.stderr
    assert last_logged()["reasoning"].split() == plan.split()  # the result's plan; streamed, its spacing may differ


def test_llm_stopping_to_read_stops_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in llm closes the response's generator: the question's worker stops at its next token rather than
    answer, and the models serve the next question."""
    outcomes: list[str] = []
    ask = Collaboration.ask

    def recorded(self: Collaboration, *args: Any, **kwargs: Any) -> AskResult:
        try:
            result = ask(self, *args, **kwargs)
        except Exception as exc:
            outcomes.append(type(exc).__name__)
            raise
        outcomes.append("answered")
        return result

    monkeypatch.setattr(Collaboration, "ask", recorded)
    model = llm.get_model("hawkeye/tiny")
    events = model.prompt(QUESTION, budget=64, max_tokens=16).stream_events()
    assert next(events).type == "reasoning"
    events.close()
    assert outcomes == ["Cancelled"]
    assert not [thread for thread in threading.enumerate() if thread.name == "hawkeye-llm"]
    assert model.prompt(QUESTION, budget=4, max_tokens=4, stream=False).text().strip()
    assert outcomes == ["Cancelled", "answered"]


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "budget", "nonsense"], "a budget is a positive number of tokens, auto, or an effort level"),
    (["-o", "max_tokens", "0"], "max_tokens\n  Input should be greater than 0"),
    (["-o", "max_tokens", str(10**29)], "max_tokens\n  Input should be less than or equal to 2147483647"),
    (["-o", "seed", str(2**64)], "seed\n  Input should be less than or equal to 9223372036854775807"),
    (["-o", "stop_when", "never"], "stop_when"),
])
def test_an_invalid_option_is_refused_by_llm_before_anything_runs(args: list[str], message: str) -> None:
    result = run_llm("-m", "hawkeye/tiny", *args, QUESTION)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "temperature", "nan"], "temperature\n  Input should be a finite number"),
    (["-o", "temperature", "inf"], "temperature\n  Input should be a finite number"),
])
def test_a_temperature_that_is_not_finite_is_refused(args: list[str], message: str) -> None:
    result = run_llm("-m", "hawkeye/tiny", *args, QUESTION)
    assert result.exit_code == 1 and message in result.stderr


@pytest.mark.parametrize(("args", "fix"), [
    (["-o", "budget", "100000000000000000000000000000"], "lower -o budget to at most {fits}"),
    (["-o", "budget", "high", "-o", "max_budget", "100000000000000000000000000000"],
     "lower -o max_budget to at most {half} (-o budget high thinks up to 2 times it)"),
])
def test_a_budget_too_large_for_the_context_names_the_llm_option(args: list[str], fix: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm_plugin, "LOADED", LoadedModels(local_settings()))  # scripted models, not cached
    with scripted_models():
        result = run_llm("-m", "hawkeye/tiny", *args, QUESTION)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    problem, _, given = result.stderr.removeprefix("Error: ").strip().partition(" — ")
    assert "plus a plan of up to " in problem and "e+29 tokens" in problem
    fits = int(problem.rpartition("a plan of at most ")[2].split()[0].replace(",", ""))
    assert given == fix.format(fits=f"{fits:,}", half=f"{fits // 2:,}")
    assert "--" not in result.stderr  # no command-line option: llm users have none of them


@pytest.mark.parametrize(("args", "message"), [
    (["-m", "hawkeye/tiny", "-o", "stop_when", "agree", "-o", "budget", "64", QUESTION],
     "Error: -o stop_when agree stops the adaptive planner, and the budget is a fixed 64 tokens — add -o budget "
     "auto (or an effort level), or leave out -o stop_when\n"),
    (["-m", "hawkeye/tiny", "-s", "Be brief.", QUESTION],
     "Error: hawkeye takes no system prompt: its planner and expander have prompts of their own — leave out "
     "-s/--system (and a template's system prompt)\n"),
    (["-m", "hawkeye/tiny", "  "],
     'Error: the question is empty — give it as the prompt: llm -m hawkeye/tiny "question"\n'),
    (["-m", "hawkeye/paper", QUESTION], "Error: model 'r1-distill-qwen-7b' is not on disk"),
])
def test_hawkeye_errors_are_one_line_from_llm(args: list[str], message: str) -> None:
    result = run_llm(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_broken_registry_leaves_llm_working_and_says_why_hawkeye_is_missing(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "models.yaml"
    broken.write_text("profiles: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(broken))
    result = run_llm("models")
    assert result.exit_code == 0
    assert "hawkeye/" not in result.stdout and "OpenAI" in result.stdout  # llm's own models are still there
    assert result.stderr == (f"hawkeye: no models for llm: invalid YAML in {broken} line 2 — fix the syntax of that "
                             "file\n")
