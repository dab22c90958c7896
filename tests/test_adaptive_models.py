"""The adaptive stop on the real tiny models through llama.cpp: what a probe evaluates (llama.cpp's own counters),
that probes leave the thinking as it would have been, that a resumed planner evaluates nothing again, and
`ask --budget auto` end to end. The tiny models cannot reason: these tests assert mechanics, not accuracy."""

from __future__ import annotations

import json

import pytest

from cli_runner import Hawkeye
from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Backend, Request, Sampling
from hawkeye_cli.backends.llama_cpp import LlamaCppBackend
from hawkeye_cli.backends.model import Model
from hawkeye_cli.budget import Adaptive
from hawkeye_cli.pipeline import Collaboration, DecodeSettings, prompts
from hawkeye_cli.store.registry import ModelSpec, Registry, Source

pytestmark = pytest.mark.slow

QUESTION = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether?"
)
DUCKS = (
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her "
    "friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. "
    "How much in dollars does she make every day at the farmers' market?"
)
PROBE = "\nFinal answer: "


def plan_request(registry: Registry, max_tokens: int = 64, question: str = QUESTION) -> Request:
    return prompts.plan_request(registry.model("gemma3-270m"), question, budget=max_tokens, sampling=Sampling())


def test_a_probe_evaluates_only_its_own_tokens_and_thinking_resumes_without_evaluating_again(
        gemma: Backend, registry: Registry) -> None:
    assert isinstance(gemma, LlamaCppBackend)
    with gemma.session(plan_request(registry)) as session:
        first = session.extend(16)
        before = gemma.perf()
        probe = session.probe(PROBE, prompts.PROBE_TOKENS, prompts.PROBE_STOPS)
        after_probe = gemma.perf()
        resumed = session.extend(16)
        after_resume = gemma.perf()
    assert first.prompt_tokens > 40 and first.completion_tokens == 16
    assert probe.prompt_tokens == len(gemma._tokenize(PROBE)) and probe.completion_tokens >= 1
    # llama.cpp counts batches as prompt evaluation and single tokens as decoding
    assert after_probe[0] - before[0] == probe.prompt_tokens  # the probe's tokens, not the thinking's
    assert after_probe[1] - before[1] <= probe.completion_tokens  # plus what it wrote
    assert after_resume[0] == after_probe[0]  # nothing evaluated again: thinking resumes from the cache
    # its first token was sampled before the probe; each later one decodes its predecessor
    assert after_resume[1] - after_probe[1] == resumed.completion_tokens - 1 == 15
    assert resumed.prompt_tokens == 0


def test_a_probe_stops_as_soon_as_its_answer_is_complete(gemma: Backend, registry: Registry) -> None:
    """After 48 tokens of thinking the tiny planner's answer is `16 eggs per day` (after 64, on this llama.cpp
    build, a bare `16.`: the point where it adds words is a matter of the build's arithmetic)."""
    with gemma.session(plan_request(registry, 48, DUCKS)) as session:
        session.extend(48)
        whole = session.probe(PROBE, prompts.PROBE_TOKENS, prompts.PROBE_STOPS)
        ended = session.probe(PROBE, prompts.PROBE_TOKENS, prompts.PROBE_STOPS, prompts.number_end)
    end = prompts.number_end(whole.text)
    assert end is not None, whole.text  # the tiny planner adds words to its number
    assert ended.text == whole.text[:end] and ended.finish_reason == "stop"
    assert ended.completion_tokens < whole.completion_tokens  # the words after the number were never written


def test_probes_leave_the_thinking_as_it_would_have_been(gemma: Backend, registry: Registry) -> None:
    with gemma.session(plan_request(registry)) as plain:
        whole = plain.extend(48)
    with gemma.session(plan_request(registry)) as probed:
        for _ in range(3):
            probed.extend(16)
            probed.probe(PROBE, prompts.PROBE_TOKENS, prompts.PROBE_STOPS)
        text = probed.text
    assert whole.completion_tokens == 48 and text == whole.text


def test_a_resumed_planner_evaluates_its_prompt_once(gemma: Backend, registry: Registry,
                                                     scripted: type[ScriptedBackend]) -> None:
    """--on-disagree resume on the real planner (the expander always disagrees): one evaluation of the prompt,
    then only the probes' own tokens, however many rounds and however often it resumes."""
    assert isinstance(gemma, LlamaCppBackend)
    expander = Model(ModelSpec(alias="disagrees", source=Source(path="e.gguf")),
                     scripted(["#### 123456789", "#### 123456789"]))
    collaboration = Collaboration(Model(registry.model("gemma3-270m"), gemma), expander)
    budget = Adaptive(cap=96, round_tokens=16, agreeing=2)
    before = gemma.perf()
    result = collaboration.ask(QUESTION, DecodeSettings(budget, max_tokens=32, on_disagree="resume"))
    after = gemma.perf()
    plan = result.plan
    assert (result.agree is False and [stage.stage for stage in result.replaced] == ["first_expand"]) or \
        plan.stop in ("cap", "ended")  # resumed, or the first stop left nothing to resume from
    probe_tokens = sum(probe.completion.prompt_tokens for probe in plan.probes)
    assert after[0] - before[0] == plan.stage.completion.prompt_tokens + probe_tokens
    assert plan.stage.completion.completion_tokens <= 96


def test_ask_budget_auto_reports_probes_and_why_it_stopped(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--json", "--budget", "auto", "--max-budget", "96",
                     "--max-tokens", "32", "--ctx", "2048", "--threads", "2")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    plan = document["plan"]
    assert document["budget"] == "auto" and plan["budget"] == "auto"
    assert document["stop"] in ("ended", "converged", "cap")
    assert 0 < plan["completion_tokens"] <= 96 and plan["probes"]
    probe = document["stages"]["probe"]
    assert probe["prompt_tokens"] == sum(p["prompt_tokens"] for p in plan["probes"]) < 10 * len(plan["probes"])
    assert probe["completion_tokens"] == sum(p["completion_tokens"] for p in plan["probes"])
    assert [p["after_tokens"] for p in plan["probes"]] == sorted(p["after_tokens"] for p in plan["probes"])
    assert document["agree"] in (True, False, None) and "planner_answer" in document


def test_ask_table_names_the_stop_and_the_agreement(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--budget", "low", "--max-budget", "64", "--max-tokens", "24",
                     "--ctx", "2048", "--threads", "2")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "/32 tokens (low)" in text and "probe" in text
    assert "Planner and expander" in text
