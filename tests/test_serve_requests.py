"""`hawkeye serve` and what clients send it: bad input is a 400 error object (never a 500), HEAD works where GET
does, and the plan streams as it is answered whole, under both reasoning field names."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.store.registry import Registry
from remote_fixtures import scripted_client, served

ASK = {"model": "hawkeye/tiny", "messages": [{"role": "user", "content": "What is 1 + 1?"}]}


def post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{url}/chat/completions", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


@pytest.mark.parametrize(("body", "message", "param"), [
    (json.dumps({**ASK, "model": "hawkeye/tiny@²"}),  # '²'.isdigit() is true, int('²') fails
     "The budget in 'hawkeye/tiny@²' must be a positive number of tokens, auto, or an effort level (low, medium, "
     "high), e.g. hawkeye/tiny@128 or hawkeye/tiny@auto.", "model"),
    ('{"model": "hawkeye/tiny", "messages": [{"role": "user", "content": "one \\ud800 two"}]}',
     "Invalid request: messages.0: not valid Unicode: a lone surrogate (U+D800) at character 4.", "messages.0"),
    ('{"model": "hawkeye/tiny", "messages": [{"role": "user", "content": [{"type": "text", "text": "\\udfff"}]}]}',
     "Invalid request: messages.0: not valid Unicode: a lone surrogate (U+DFFF) at character 0.", "messages.0"),
    ('{"model": "hawkeye/\\ud800", "messages": [{"role": "user", "content": "hi"}]}',
     "Invalid request: model: not valid Unicode: a lone surrogate (U+D800) at character 8.", "model"),
    ('{"model": "hawkeye/tiny", "messages": [{"role": "user" "content": "hi"}]}',
     "Invalid request: the body is not valid JSON at character 55: Expecting ',' delimiter.", None),
    (json.dumps({**ASK, "max_tokens": 10**30}),  # answered, and then lost to the ledger
     "Invalid request: max_tokens: must be an integer from 1 to 2147483647.", "max_tokens"),
    (json.dumps({**ASK, "max_tokens": 1e30}),
     "Invalid request: max_tokens: must be an integer from 1 to 2147483647.", "max_tokens"),
    (json.dumps({**ASK, "max_completion_tokens": 0}),
     "Invalid request: max_completion_tokens: must be an integer from 1 to 2147483647.", "max_completion_tokens"),
    (json.dumps({**ASK, "seed": 2**64}),
     "Invalid request: seed: must be an integer from -9223372036854775808 to 9223372036854775807.", "seed"),
])
def test_bad_input_is_a_400_error_object(registry: Registry, body: str, message: str, param: str | None,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    with served(registry, ScriptedBackend(["a plan"]), ScriptedBackend(["an answer"])) as url:
        status, answer = post(url, body.encode())
        assert scripted_client(url).models.list().data  # the server lives on
    assert status == 400, answer
    assert answer["error"] == {"message": message, "type": "invalid_request_error", "param": param,
                               "code": "invalid_budget" if param == "model" and "budget" in message else None}
    assert "Traceback" not in capfd.readouterr().err


def test_head_answers_where_get_does(registry: Registry) -> None:
    with served(registry, ScriptedBackend([]), ScriptedBackend([])) as url:
        for path in (url.removesuffix("/v1") + "/health", f"{url}/models"):
            with urllib.request.urlopen(urllib.request.Request(path, method="HEAD"), timeout=30) as response:
                assert response.status == 200 and response.read() == b""


def test_the_plan_streams_as_it_is_answered_whole_under_both_reasoning_names(registry: Registry) -> None:
    """The planner's text starts and ends with whitespace, which the whole reply strips (split_thinking)."""
    plan = " two words "
    planner, expander = ScriptedBackend([plan, plan]), ScriptedBackend(["It is 2.", "It is 2."])
    with served(registry, planner, expander) as url:
        whole = scripted_client(url).chat.completions.create(**ASK)  # type: ignore[call-overload]
        chunks = list(scripted_client(url).chat.completions.create(**ASK, stream=True))  # type: ignore[call-overload]
    message = whole.choices[0].message.model_extra or {}
    assert message["reasoning_content"] == message["reasoning"] == "two words"
    deltas = [chunk.choices[0].delta.model_extra or {} for chunk in chunks if chunk.choices]
    thinking = [delta for delta in deltas if "reasoning" in delta or "reasoning_content" in delta]
    assert thinking and all(delta["reasoning"] == delta["reasoning_content"] for delta in thinking)
    assert "".join(delta["reasoning"] for delta in thinking) == "two words"
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == "It is 2."
