"""Options refused at the edge, each naming the setting of the entry point it came through: a budget too large
for the expander's context (ask and bench's --budget or --max-budget, llm's -o budget or -o max_budget, serve's
model name), --stop-when agree without the adaptive stop, numbers that are not finite, an empty --api-key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from cli_runner import Hawkeye, error_lines
from conftest import ScriptedBackend
from hawkeye_cli.store.registry import Registry
from remote_fixtures import served
from scripted_models import Answering, scripted_models
from test_serve_requests import ASK, post

QUESTION = "What is 2 + 3?"


def usage_error(result: Result) -> str:
    """The message of a usage error, unwrapped from the box typer draws around it."""
    assert result.exit_code == 2, result.output
    return " ".join(result.stderr.replace("│", " ").split())


@pytest.fixture
def scripted() -> Iterator[None]:
    """Every model of profile tiny answers '#### 2' (its context: 4096 tokens)."""
    with scripted_models(Answering()):
        yield


@pytest.mark.usefixtures("scripted")
@pytest.mark.parametrize(("options", "plan", "fix"), [
    (["--budget", "100000000000000000000000000000"], "1e+29",
     "lower --budget to at most {fits}, shorten the question or raise --ctx"),
    (["--budget", "high", "--max-budget", "4000"], "8,000",
     "lower --max-budget to at most {half} (--budget high thinks up to 2 times it), or raise --ctx"),
])
def test_a_budget_too_large_for_the_context_names_the_option_and_what_fits(
        options: list[str], plan: str, fix: str, hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--profile", "tiny", "--no-log", *options)
    assert result.exit_code == 1
    [error] = error_lines(result)
    problem, _, given = error.partition(" — ")
    assert f"plus a plan of up to {plan} tokens" in problem
    fits = int(problem.rpartition("a plan of at most ")[2].split()[0].replace(",", ""))
    assert 3000 < fits < 4096 and given == fix.format(fits=f"{fits:,}", half=f"{fits // 2:,}")


@pytest.mark.usefixtures("scripted")
@pytest.mark.parametrize("options", [["--budget", "64", "--stop-when", "agree"],
                                     ["--budget", "64", "--on-disagree", "resume"]])
def test_stopping_or_resuming_on_agreement_with_a_fixed_budget_is_a_usage_error(options: list[str],
                                                                               hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--profile", "tiny", "--no-log", *options)
    assert "needs the adaptive stop: --budget auto or an effort level" in usage_error(result)


def test_a_bench_sweep_without_an_adaptive_budget_refuses_stop_when_agree(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"question": "1 + 1?", "answer": "#### 2"}\n')
    with scripted_models():
        refused = hawkeye("bench", "gsm8k", "--data", str(data), "--profile", "tiny", "--budgets", "4,8",
                          "--stop-when", "agree", "--out", str(tmp_path / "out"))
        assert "Invalid value for --stop-when: stopping when the models agree needs" in usage_error(refused)
        taken = hawkeye("bench", "gsm8k", "--data", str(data), "--profile", "tiny", "--budgets", "4,auto",
                        "--stop-when", "agree", "--max-budget", "16", "--out", str(tmp_path / "out"))
    assert taken.exit_code == 0, taken.output


@pytest.mark.parametrize(("command", "option", "value"), [
    ("ask", "--temperature", "nan"), ("ask", "--temperature", "inf"), ("ask", "--timeout", "nan"),
    ("compress-cot", "--ratio", "nan"),
])
def test_a_number_option_that_is_not_finite_is_a_usage_error(command: str, option: str, value: str,
                                                             hawkeye: Hawkeye) -> None:
    result = hawkeye(command, "-", option, value, input="")
    assert f"Invalid value for '{option}" in usage_error(result) and f"give a finite number (got {value})" in \
        usage_error(result)


@pytest.mark.parametrize("key", ["", "  "])
def test_an_empty_api_key_is_a_usage_error(key: str, hawkeye: Hawkeye) -> None:
    result = hawkeye("serve", "--api-key", key)
    assert "Invalid value for '--api-key' (env var: 'HAWKEYE_API_KEY'): the key is empty; give one, or leave out " \
        "--api-key" in usage_error(result)


def test_a_served_budget_too_large_is_a_400_naming_the_model_name(registry: Registry) -> None:
    with served(registry, ScriptedBackend(["a plan"]), ScriptedBackend(["#### 2"])) as url:
        status, answer = post(url, f'{{"model": "hawkeye/tiny@999999999", "messages": {ASK["messages"]}}}'
                              .replace("'", '"').encode())
    assert status == 400
    error = answer["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "budget_too_large", "model")
    assert error["message"].startswith("The budget of hawkeye/tiny@999999999 is too large for this question: ")
    fits = error["message"].rpartition("Ask for at most ")[2].split()[0]
    assert error["message"].endswith(f"Ask for at most {fits} tokens, e.g. model 'hawkeye/tiny@{fits}'.")
    assert "--budget" not in error["message"] and "1e+09" in error["message"]
