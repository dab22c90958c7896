"""`hawkeye ask` and `hawkeye models` end to end: CLI → registry → llama.cpp on the real tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.backends.base import Backend

pytestmark = pytest.mark.slow

QUESTION = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether?"
)
FAST = ["--budget", "16", "--max-tokens", "48", "--ctx", "2048", "--threads", "2"]


@pytest.fixture(scope="module")
def compared(hawkeye: Hawkeye) -> dict:
    result = hawkeye("ask", QUESTION, "--json", "--compare", *FAST)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ask_json_has_every_figure(compared: dict) -> None:
    assert compared["profile"] == "tiny"
    assert compared["models"] == {"planner": "gemma3-270m", "expander": "smollm2-135m-instruct"}
    assert compared["budget"] == 16
    for stage in ("plan", "expansion"):
        for key in ("text", "prompt_tokens", "completion_tokens", "seconds", "tokens_per_second", "cost"):
            assert key in compared[stage]
    assert set(compared["savings"]) == {"planner_tokens", "cot_ratio", "total_tokens", "seconds", "speedup", "cost",
                                       "lower_bound"}
    assert "final_answer" in compared and isinstance(compared["truncated"], bool)


def test_ask_token_counts_are_the_tokenizers(compared: dict, gemma: Backend, smollm: Backend) -> None:
    plan, expansion = compared["plan"], compared["expansion"]
    assert 0 < plan["completion_tokens"] <= 16  # the budget holds
    assert compared["truncated"] == (plan["finish_reason"] == "length")
    assert gemma.count(plan["text"]) == plan["completion_tokens"] or plan["finish_reason"] == "stop"
    assert 0 < expansion["completion_tokens"] <= 48
    assert smollm.count(expansion["text"]) == expansion["completion_tokens"]
    assert expansion["prompt_tokens"] > smollm.count(QUESTION)  # question + plan + instructions


def test_ask_accounting_against_baseline(compared: dict) -> None:
    plan, expansion, baseline = compared["plan"], compared["expansion"], compared["baseline"]
    full = baseline["stage"]
    assert full["model"] == "gemma3-270m" and 0 < full["completion_tokens"] <= 48
    savings = compared["savings"]
    probe = compared["stages"]["probe"]  # the planner's probed answer (the budget cut its plan) costs too
    assert savings["planner_tokens"] == pytest.approx(
        1 - (plan["completion_tokens"] + probe["completion_tokens"]) / full["completion_tokens"])
    assert savings["cost"] == pytest.approx(1 - (plan["cost"] + probe["cost"] + expansion["cost"]) / full["cost"])
    hawkeye_seconds = plan["seconds"] + probe["seconds"] + expansion["seconds"]
    assert savings["seconds"] == pytest.approx(1 - hawkeye_seconds / full["seconds"])
    assert compared["seconds"] == pytest.approx(hawkeye_seconds)


def test_ask_is_deterministic(compared: dict, hawkeye: Hawkeye) -> None:
    again = json.loads(hawkeye("ask", QUESTION, "--json", *FAST).stdout)
    assert again["plan"]["text"] == compared["plan"]["text"]
    assert again["expansion"]["text"] == compared["expansion"]["text"]


def test_ask_rich_output_and_demo_notice(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, *FAST)
    assert result.exit_code == 0, result.output
    assert "Plan · gemma3-270m" in result.stdout and "Final answer:" in result.stdout
    assert "demo-grade" in result.stderr and "hawkeye pull --profile paper" in result.stderr


def test_ask_streams_the_answer_and_reads_stdin(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", "-", "--stream", "--profile", "tiny", *FAST, input=QUESTION)
    assert result.exit_code == 0, result.output
    assert "Answer · smollm2-135m-instruct" in result.stdout
    assert "demo-grade" not in result.stderr  # the profile was chosen explicitly


def test_stream_writes_the_plan_then_the_answer_as_they_come(compared: dict, hawkeye: Hawkeye) -> None:
    """Greedy decoding: the streamed text is exactly what the same run returns as a whole."""
    result = hawkeye("ask", QUESTION, "--stream", "--compare", *FAST)
    assert result.exit_code == 0, result.output
    out = result.stdout
    plan_at, answer_at = out.index("Plan · gemma3-270m"), out.index("Answer · smollm2-135m-instruct")
    assert plan_at < answer_at
    assert compared["plan"]["text"].strip() in out[plan_at:answer_at]
    assert compared["expansion"]["text"].strip() in out[answer_at:]
    assert out.rindex("Final answer:") > answer_at and "baseline" in out[answer_at:]  # the plan ends with one too


def test_missing_model_names_pull_and_makes_no_download(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--planner", "r1-7b", *FAST)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].endswith("run: hawkeye pull r1-distill-qwen-7b")


def test_corrupt_and_truncated_gguf_are_refused(tmp_path: Path, registry, hawkeye: Hawkeye) -> None:
    from hawkeye_cli.store.model_files import require_local

    not_gguf = tmp_path / "junk.gguf"
    not_gguf.write_bytes(b"<html>rate limited</html>")
    result = hawkeye("ask", QUESTION, "--expander", str(not_gguf), *FAST)
    assert result.exit_code == 1 and "not a GGUF file" in result.stderr

    real = require_local(registry.model("smollm2"))
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(real.read_bytes()[: 1 << 20])
    result = hawkeye("ask", QUESTION, "--expander", str(truncated), *FAST)
    assert result.exit_code == 1 and "could not load" in result.stderr


def test_overlong_question_is_a_user_error(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", "How many? " * 1500, "--budget", "16", "--ctx", "1024")
    assert result.exit_code == 1
    assert "context of 1024" in result.stderr and "--ctx" in result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args", [["ask", QUESTION, "--stream", "--json"], ["ask", QUESTION, "--budget", "0"], ["ask"], ["nonsense"]]
)
def test_usage_errors_exit_2(args: list[str], hawkeye: Hawkeye) -> None:
    assert hawkeye(*args).exit_code == 2


def test_empty_question_is_a_user_error(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", "-", input="   \n")
    assert result.exit_code == 1 and "empty" in result.stderr


def test_models_lists_registry_and_presence(hawkeye: Hawkeye) -> None:
    result = hawkeye("models", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    by_alias = {m["alias"]: m for m in document["models"]}
    assert document["default_profile"] == "tiny"
    assert by_alias["smollm2-135m-instruct"]["present"] is True
    assert by_alias["smollm2-135m-instruct"]["size"] == 98362432
    assert by_alias["r1-distill-qwen-7b"]["status"] == "missing"
    assert {p["name"] for p in document["profiles"]} >= {"paper", "laptop", "tiny"}
    table = hawkeye("models")
    assert table.exit_code == 0 and "r1-distill-qwen-7b" in table.stdout and "Profiles" in table.stdout


def test_missing_gguf_path_says_so(tmp_path: Path, hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--profile", "tiny", "--expander", str(tmp_path / "nowhere.gguf"), *FAST)
    assert result.exit_code == 1
    assert "nowhere.gguf does not exist" in result.stderr and "hawkeye pull" not in result.stderr


def test_version_names_llama_cpp_and_gpu_offload(hawkeye: Hawkeye) -> None:
    import llama_cpp

    result = hawkeye("--version")
    assert result.exit_code == 0
    offload = "GPU offload: yes" if llama_cpp.llama_supports_gpu_offload() else "GPU offload: no (CPU build)"
    assert f"llama-cpp-python {llama_cpp.__version__}" in result.stdout and offload in result.stdout


def test_help_shows_no_bool_metavar(hawkeye: Hawkeye) -> None:
    for args in (["--help"], ["ask", "--help"], ["bench", "gsm8k", "--help"]):
        assert "<bool>" not in hawkeye(*args).stdout


def test_answers_cut_by_max_tokens_are_marked_and_savings_are_lower_bounds(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--compare", "--budget", "8", "--max-tokens", "8", "--ctx", "2048",
                     "--threads", "2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(the answer was cut at --max-tokens: it may be incomplete)" in out
    assert "expand* " in out.replace("│", " ") and "baseline* " in out.replace("│", " ")
    assert "expand and baseline cut at --max-tokens" in out and "(lower bound)" in out
    assert "…" not in out  # every column fits 80 characters
    document = json.loads(hawkeye("ask", QUESTION, "--compare", "--json", "--budget", "8", "--max-tokens", "8",
                                  "--ctx", "2048", "--threads", "2").stdout)
    assert document["expansion"]["truncated"] and document["baseline"]["stage"]["truncated"]
    assert document["savings"]["lower_bound"] is True


def test_a_stage_cut_by_the_context_says_so_and_names_ctx(hawkeye: Hawkeye) -> None:
    """With --ctx 512 the base-model baseline rambles into the end of its context before --max-tokens 1024: the
    advice is --ctx, not --max-tokens. (The expander, shown a worked example, now ends its answer before.)"""
    result = hawkeye("ask", QUESTION, "--compare", "--json", "--budget", "56", "--max-tokens", "1024", "--ctx", "512",
                     "--threads", "2")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    baseline, expansion = document["baseline"]["stage"], document["expansion"]
    assert (baseline["finish_reason"], baseline["truncated"]) == ("context", True)
    assert baseline["prompt_tokens"] + baseline["completion_tokens"] == 512
    assert expansion["finish_reason"] in ("context", "eos")
    table = hawkeye("ask", QUESTION, "--compare", "--budget", "56", "--max-tokens", "1024", "--ctx", "512",
                    "--threads", "2").stdout
    flat = " ".join(table.split())  # the note wraps at 80 columns
    assert "cut by the context window: raise --ctx for the whole output" in flat
    assert "the baseline was cut by the context window" in flat and "--max-tokens" not in flat


def test_a_base_model_plan_is_cut_not_forced_closed(hawkeye: Hawkeye) -> None:
    """Gemma (a base model) has no thinking to close: the caption says what happened to it."""
    result = hawkeye("ask", QUESTION, "--budget", "8", "--max-tokens", "16", "--ctx", "2048", "--threads", "2")
    assert result.exit_code == 0, result.output
    assert "budget reached, plan cut there" in result.stdout and "thinking" not in result.stdout
