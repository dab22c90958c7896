"""Budgets the way engines and users speak them: the engine-native thinking budget fields (vLLM, llama-server,
SGLang) in the requests hawkeye sends, effort levels passed through to a planner that takes only those (OpenAI's
reasoning_effort, Ollama's think), effort levels in serve, and the graceful end of a fixed budget on the real
tiny planner.

vLLM, SGLang, llama-server and hosted APIs cannot run here: what they receive is checked on the OpenAI stub
(tests/openai_stub.py), which records every request body."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest
import yaml

from cli_runner import Hawkeye, run_hawkeye
from conftest import ScriptedBackend
from hawkeye_cli.store.registry import Registry
from openai_stub import MODEL, StubServer, StubState
from remote_fixtures import scripted_client, served

QUESTION = "What is 2 + 2?"
FIELDS = {
    "vllm": {"thinking_token_budget": 8},
    "llama-server": {"thinking_budget_tokens": 8, "reasoning_budget_tokens": 8},
    "sglang": {"custom_params": {"thinking_budget": 8}},
}
EVERY_FIELD = {"thinking_token_budget", "thinking_budget_tokens", "reasoning_budget_tokens", "custom_params",
               "reasoning_effort", "think"}


@pytest.fixture
def stub(openai_stub_server: StubServer) -> Iterator[StubState]:
    yield openai_stub_server.reset("reasoning_content")
    openai_stub_server.reset()


@pytest.fixture
def engines(openai_stub_server: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry with a reasoning planner on the stub for each way an engine takes a budget, and an expander."""
    def on_stub(**more: object) -> dict[str, object]:
        return {"source": {"openai": openai_stub_server.url, "model": MODEL, **more}}

    models = {f"r1-{field}": {**on_stub(thinking_budget=field), "reasoning": True} for field in FIELDS}
    models["r1-hosted"] = {**on_stub(thinking_budget="effort"), "reasoning": True}
    models["base-on-ollama"] = {**on_stub(api="ollama", thinking_budget="effort"), "prompt_format": "completion",
                                "chat_template": "{% for m in messages %}{{ m.content }}\n{% endfor %}"}
    models["writer"] = on_stub()
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": models}), encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))


def ask(planner: str, *options: str) -> dict:
    result = run_hawkeye("ask", QUESTION, "--planner", planner, "--expander", "writer", "--json",
                         "--no-log", "--max-tokens", "16", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def sent(stub: StubState, keep: Callable[[dict], bool] = lambda body: True) -> list[dict]:
    return [r.body for r in stub.requests if r.path in ("/v1/chat/completions", "/v1/completions",
                                                        "/api/generate") and keep(r.body)]


@pytest.mark.usefixtures("engines")
@pytest.mark.parametrize("engine", list(FIELDS))
def test_each_engine_receives_its_budget_field_once_per_plan_request(engine: str, stub: StubState) -> None:
    document = ask(f"r1-{engine}", "--budget", "8")
    assert document["budget"] == 8
    bodies = sent(stub)
    plans = [body for body in bodies if body["max_tokens"] == 8]
    assert len(plans) == 1  # the plan; the probe after it and the expander's answer get no budget
    expected = FIELDS[engine]
    assert {key: plans[0][key] for key in expected} == expected
    assert set(plans[0]) & EVERY_FIELD == set(expected)  # the other engines' fields are not sent
    for other in bodies:
        if other is not plans[0]:
            assert not set(other) & EVERY_FIELD, other


@pytest.mark.usefixtures("engines")
def test_adaptive_rounds_each_send_the_budget_of_their_round(stub: StubState) -> None:
    ask("r1-vllm", "--budget", "auto", "--max-budget", "8")
    rounds = sent(stub, lambda body: "thinking_token_budget" in body)
    assert rounds and all(body["thinking_token_budget"] == body["max_tokens"] <= 64 for body in rounds)


@pytest.mark.usefixtures("engines")
@pytest.mark.parametrize(("option", "level"), [("low", "low"), ("auto", "medium"), ("high", "high")])
def test_a_hosted_planner_that_takes_only_an_effort_gets_the_level(option: str, level: str,
                                                                   stub: StubState) -> None:
    document = ask("r1-hosted", "--budget", option)
    [plan] = sent(stub, lambda body: "reasoning_effort" in body)
    assert plan["reasoning_effort"] == level
    assert document["plan"]["probes"] == [] and document["agree"] is None  # it cannot be continued or probed
    assert document["stop"] in ("ended", "cap")
    assert not sent(stub, lambda body: bool(set(body) & (EVERY_FIELD - {"reasoning_effort"})))


@pytest.mark.usefixtures("engines")
def test_ollama_native_gets_the_level_as_think(stub: StubState) -> None:
    stub.mode = "thinking"
    ask("base-on-ollama", "--effort", "low")
    [plan] = [body for body in sent(stub) if "think" in body]
    assert plan["think"] == "low" and plan["raw"] is True


def test_serve_maps_reasoning_effort_and_budget_names_to_levels(
    registry: Registry, scripted: type[ScriptedBackend]
) -> None:
    planner = scripted(["w " * 40] * 2, answers=["4"] * 20)  # two requests plan
    expander = scripted(["#### 4"] * 3)
    with served(registry, planner, expander) as url:
        client = scripted_client(url)
        messages = [{"role": "user", "content": QUESTION}]
        by_effort = client.chat.completions.create(model="hawkeye/tiny", messages=messages,
                                                   reasoning_effort="low")  # type: ignore[arg-type]
        by_name = client.chat.completions.create(model="hawkeye/tiny@low", messages=messages)
        with pytest.raises(openai.BadRequestError) as unknown:
            client.chat.completions.create(model="hawkeye/tiny", messages=messages,
                                           reasoning_effort="extreme")  # type: ignore[arg-type]
        with pytest.raises(openai.BadRequestError) as level:
            client.chat.completions.create(model="hawkeye/tiny@ultra", messages=messages)
    assert by_effort.model == by_name.model == "hawkeye/tiny@low"
    stages = by_effort.usage.model_extra["stages"]  # type: ignore[union-attr]
    assert stages["plan"]["budget"] == "low"  # low: half the server's max_budget of 64, in one round of 32
    assert (stages["plan"]["completion_tokens"], stages["plan"]["stop"], stages["plan"]["probes"]) == (32, "cap", 1)
    assert by_effort.model_extra["agree"] is True  # type: ignore[index]
    assert unknown.value.body["param"] == "reasoning_effort"  # type: ignore[index]
    assert "reasoning_effort 'extreme' is not one of low, medium, high" in unknown.value.message
    assert level.value.body["code"] == "invalid_budget"  # type: ignore[index]


@pytest.mark.parametrize(("option", "value"), [("--budget", "extreme"), ("--budget", "0"), ("--effort", "max"),
                                               ("--budgets", "64,huge")])
def test_an_unknown_level_is_a_usage_error(option: str, value: str, hawkeye: Hawkeye) -> None:
    command = ["bench", "gsm8k", "--data", "missing.jsonl"] if option == "--budgets" else ["ask", QUESTION]
    result = hawkeye(*command, option, value)
    assert result.exit_code == 2
    assert option in result.output and value.split(",")[-1] in result.output


@pytest.mark.slow
def test_a_budget_that_cuts_the_plan_ends_it_with_the_planners_answer(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", "Tom has 3 apples and buys 5 more. How many apples does he have?",
                     "--json", "--no-log", "--budget", "8", "--max-tokens", "16", "--ctx", "2048",
                     "--threads", "2")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    assert plan["stop"] == "budget" and plan["completion_tokens"] == 8 and len(plan["probes"]) == 1
    answer = plan["answer"]
    assert answer is not None  # the tiny planner states something when asked
    assert plan["cot"].endswith(f"\n\nFinal answer: {answer}")
