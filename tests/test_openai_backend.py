"""The OpenAI-compatible backend, against the real llama_cpp.server and the scripted stub (tests/openai_stub.py).

Every server binds 127.0.0.1 and is stopped by its fixture; nothing here reaches further.
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from hawkeye_cli.backends import load_backend
from hawkeye_cli.backends.base import THINK_CLOSE, THINK_OPEN, Backend, Request, Sampling, split_thinking
from hawkeye_cli.backends.model import Model
from hawkeye_cli.backends.openai_http import OpenAIBackend
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.errors import CapabilityError, RemoteError
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.store.registry import ModelSpec, Registry, Source
from openai_stub import ANSWER, CACHED_TOKENS, MODEL, REASONING_TOKENS, THINKING, StubServer, StubState
from remote_fixtures import QUICK, SMOLLM_SERVED, ask, remote, smollm_gguf

DECODE = DecodeSettings(budget=8, max_tokens=512)


def streamed(backend: Backend, request: Request) -> tuple[str, list[str]]:
    pieces: list[str] = []
    return backend.complete(request, pieces.append).text, pieces


# -- the real llama_cpp.server ------------------------------------------------------------------------------------

SHORT_QUESTIONS = ("What is 2+2?", "Name three colors.")


@pytest.fixture(scope="session")
def local_smollm(registry: Registry) -> Iterator[Backend]:
    """The same GGUF file in-process, for comparing the engines."""
    backend = load_backend(registry.model(str(smollm_gguf())),
                           BackendSettings(llama_cpp=LlamaCppSettings(n_ctx=2048, threads=2)))
    yield backend
    backend.close()


@pytest.fixture
def served(registry: Registry, llama_server: str) -> Iterator[OpenAIBackend]:
    backend = remote(registry, llama_server)
    yield backend
    backend.close()


@pytest.mark.slow
def test_greedy_chat_is_deterministic_and_streams_its_text(served: OpenAIBackend) -> None:
    first = served.complete(ask("What is the capital of France?"))
    text, pieces = streamed(served, ask("What is the capital of France?"))
    assert first.text and text == first.text
    assert len(pieces) > 1 and "".join(pieces) == text
    assert first.clock == "client" and 0 < first.prompt_seconds <= first.seconds
    assert first.reasoning is None


@pytest.mark.slow
def test_the_only_served_model_is_used_when_the_url_names_none(served: OpenAIBackend, registry: Registry,
                                                                 llama_server: str) -> None:
    assert served.model == SMOLLM_SERVED
    named = remote(registry, f"{llama_server}#{SMOLLM_SERVED}")
    assert named.complete(ask("Say hi.", 8)).text == served.complete(ask("Say hi.", 8)).text
    assert served.n_ctx is None  # llama_cpp.server's /v1/models does not tell its context


@pytest.mark.slow
def test_server_matches_in_process_llama_cpp_for_the_same_greedy_request(
        served: OpenAIBackend, local_smollm: Backend, llama_server: str) -> None:
    """Same file, same chat template, same prompt tokens, greedy: the same text, token for token.

    One engine default differs: llama_cpp.server applies repeat_penalty 1.1 unless a request says otherwise, the
    in-process backend 1.0. hawkeye does not send llama.cpp's `repeat_penalty` (hosted APIs reject fields they do
    not know), so a longer text, where a repeated token gets penalised, may diverge. Short answers must match
    exactly; the long one must match too once the penalty is neutral, which shows the penalty is the only
    difference (not the template, BOS or tokenization).
    """
    for question in SHORT_QUESTIONS:
        pieces: list[str] = []
        there = served.complete(ask(question), pieces.append)
        here = local_smollm.complete(ask(question))
        assert (there.text, there.finish_reason) == (here.text, here.finish_reason)
        # llama_cpp.server sends no usage in a stream (it ignores stream_options), so each streamed delta
        # counts as a token: here that is exact.
        assert there.completion_tokens == len(pieces) == here.completion_tokens

    poem = ask("Write a short poem about the sea.", 48)
    here = local_smollm.complete(poem)
    client = openai.OpenAI(base_url=llama_server, api_key="not-needed", max_retries=0)
    neutral = client.chat.completions.create(model=SMOLLM_SERVED, messages=list(poem.messages),  # type: ignore[arg-type]
                                             max_tokens=48, temperature=0, seed=0,
                                             extra_body={"repeat_penalty": 1.0})
    client.close()
    assert neutral.choices[0].message.content == here.text
    assert neutral.usage is not None and neutral.usage.prompt_tokens == local_smollm.prompt_tokens(poem)


@pytest.mark.slow
def test_plain_text_prompt_goes_to_completions(served: OpenAIBackend, local_smollm: Backend) -> None:
    """Two tokens: the third is where llama_cpp.server's repeat penalty (see above) changes `\n\n` to `\n`."""
    request = Request(max_tokens=2, prompt="The capital of France is")
    there = served.complete(request)
    here = local_smollm.complete(request)
    assert (there.text, there.finish_reason) == (here.text, here.finish_reason) == (" Paris.", "length")


@pytest.mark.slow
def test_counts_tokens_like_the_local_tokenizer(served: OpenAIBackend, local_smollm: Backend) -> None:
    """Through llama-cpp-python's /extras/tokenize/count (SmolLM2 wants no BOS, so none is counted)."""
    texts = ["hello world", "Two plus two is four.", "", "A longer sentence, with punctuation; and numbers: 1234."]
    assert served.count_tokens(texts) == local_smollm.count_tokens(texts)
    with pytest.raises(CapabilityError, match="cannot score tokens"):
        served.score_tokens("hello")


@pytest.mark.slow
def test_prompt_tokens_are_estimated_with_the_tokenizer_when_the_stream_has_no_usage(
        served: OpenAIBackend, local_smollm: Backend) -> None:
    """Without usage the prompt is counted as the messages' text (no template markup), never crashing."""
    completion = served.complete(ask("What is 2+2?"))
    assert completion.prompt_tokens == local_smollm.count("What is 2+2?")


# -- the stub: thinking in every shape ---------------------------------------------------------------------------


@pytest.fixture
def stub(openai_stub_server: StubServer) -> StubState:
    return openai_stub_server.reset()


@pytest.fixture
def stub_backend(registry: Registry, openai_stub_server: StubServer, stub: StubState) -> Iterator[OpenAIBackend]:
    backend = remote(registry, f"{openai_stub_server.url}#{MODEL}")
    yield backend
    backend.close()


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "thinking"])
def test_thinking_in_a_separate_field_goes_to_reasoning(field: str, stub: StubState,
                                                        stub_backend: OpenAIBackend) -> None:
    stub.mode = field
    pieces: list[str] = []
    completion = stub_backend.complete(ask("2+2?"), pieces.append)
    assert completion.reasoning == "".join(THINKING)
    assert completion.text == "".join(ANSWER) == "".join(pieces)  # thinking is not streamed to on_text here
    assert split_thinking(completion, opened=True) == ("".join(THINKING).strip(), "".join(ANSWER).strip())
    assert (completion.prompt_tokens, completion.completion_tokens) == (11, 12)  # the server's usage
    # the thinking's own tokens: the server's count where its usage has one, else one per thinking delta
    assert completion.reasoning_tokens == (REASONING_TOKENS if field == "reasoning_content" else len(THINKING))
    # the prompt tokens the engine's prefix cache served, where its usage says (not charged)
    assert completion.cached_tokens == (CACHED_TOKENS if field == "reasoning" else 0)
    assert completion.finish_reason == "eos"  # vLLM's stop_reason None: the model ended its turn


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_a_baseline_with_separate_thinking_needs_no_tokenizer(field: str, stub: StubState, registry: Registry,
                                                              stub_backend: OpenAIBackend) -> None:
    """Hosted APIs and Ollama have no tokenize endpoint: the baseline's CoT is measured from the stream."""
    stub.mode = field
    spec = registry.model(f"{stub_backend.url}#{MODEL}")
    model = Model(spec, stub_backend)
    baseline = Collaboration(model, model).baseline("2+2?", DECODE)
    assert (baseline.cot, baseline.answer) == ("".join(THINKING).strip(), "".join(ANSWER).strip())
    assert baseline.cot_tokens == (REASONING_TOKENS if field == "reasoning_content" else len(THINKING))
    assert not [r for r in stub.requests if "tokenize" in r.path]


def test_a_baseline_with_inline_thinking_is_counted_with_the_tokenizer_or_refused(
        stub: StubState, registry: Registry, stub_backend: OpenAIBackend) -> None:
    spec = registry.model(f"{stub_backend.url}#{MODEL}")
    model = Model(spec, stub_backend)
    collaboration = Collaboration(model, model)
    with pytest.raises(CapabilityError) as raised:  # no tokenize endpoint: say how to get the thinking apart
        collaboration.baseline("2+2?", DECODE)
    assert "--reasoning-parser" in raised.value.one_line()
    stub.tokenize = "vllm"  # counts words; a new backend, since each probes the server's endpoints once
    counting = remote(registry, f"{stub_backend.url}#{MODEL}")
    counting_model = Model(spec, counting)
    baseline = Collaboration(counting_model, counting_model).baseline("2+2?", DECODE)
    assert baseline.cot == "".join(THINKING).strip()
    assert baseline.cot_tokens == len(baseline.cot.split()) == 5


def test_inline_thinking_stays_in_the_text(stub: StubState, stub_backend: OpenAIBackend) -> None:
    completion = stub_backend.complete(ask("2+2?"))
    assert completion.reasoning is None
    assert completion.text == f"{THINK_OPEN}{''.join(THINKING)}{THINK_CLOSE}{''.join(ANSWER)}"
    assert split_thinking(completion, opened=False) == ("".join(THINKING).strip(), "".join(ANSWER).strip())


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "thinking"])
def test_budget_forcing_closes_the_stream_when_separate_thinking_ends(
        field: str, stub: StubState, stub_backend: OpenAIBackend) -> None:
    """The stub never ends such a stream: the call returns only because the backend closed it."""
    stub.mode = field
    pieces: list[str] = []
    completion = stub_backend.complete(ask("2+2?", stop=(THINK_CLOSE,)), pieces.append)
    assert completion.reasoning == "".join(THINKING) == "".join(pieces)  # the plan stage streams its thinking
    assert completion.text == ""
    assert completion.finish_reason == "stop"
    assert completion.completion_tokens == len(THINKING)  # no usage after an early close: one token per delta
    assert completion.prompt_tokens == 0  # and the stub has no tokenize endpoint to count the prompt with
    assert stub.stream_abandoned.wait(30)


def test_prompt_of_a_closed_stream_is_counted_with_the_tokenize_endpoint(
        stub: StubState, stub_backend: OpenAIBackend) -> None:
    stub.mode, stub.tokenize = "reasoning", "vllm"
    completion = stub_backend.complete(ask("what is two plus two", stop=(THINK_CLOSE,)))
    assert completion.prompt_tokens == 5  # the stub's vLLM-style /tokenize counts words


def test_a_failing_tokenize_endpoint_does_not_lose_the_completion(stub: StubState,
                                                                  stub_backend: OpenAIBackend) -> None:
    stub.mode, stub.tokenize = "reasoning", "broken"
    completion = stub_backend.complete(ask("2+2?", stop=(THINK_CLOSE,)))
    assert (completion.reasoning, completion.prompt_tokens) == ("".join(THINKING), 0)
    assert any(r.path == "/tokenize" for r in stub.requests)


def test_stop_reason_tells_a_stop_string_from_the_end_of_the_turn(stub: StubState,
                                                                   stub_backend: OpenAIBackend) -> None:
    stub.mode = "stop_string"
    assert stub_backend.complete(ask("2+2?", stop=("\n\n",))).finish_reason == "stop"
    stub.mode = "inline"
    assert stub_backend.complete(ask("2+2?", stop=("\n\n",))).finish_reason == "eos"


# -- what the backend sends -----------------------------------------------------------------------------------------


def test_greedy_sends_no_sampling_fields_that_only_matter_when_sampling(stub: StubState,
                                                                         stub_backend: OpenAIBackend) -> None:
    stub_backend.complete(ask("2+2?", stop=("\n",)))
    sent = stub.requests[-1].body
    assert sent["temperature"] == 0 and sent["seed"] == 0 and sent["max_tokens"] == 32 and sent["stop"] == ["\n"]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert not {"top_p", "top_k", "min_p", "continue_final_message"} & set(sent)

    stub_backend.complete(ask("2+2?", sampling=Sampling(temperature=0.7, seed=3)))
    sent = stub.requests[-1].body
    assert (sent["temperature"], sent["seed"], sent["top_p"], sent["top_k"], sent["min_p"]) == (0.7, 3, 0.95, 40, 0.05)


def test_a_prefix_continues_the_assistant_message_but_an_opened_think_is_left_to_the_server(
        stub: StubState, stub_backend: OpenAIBackend) -> None:
    stub_backend.complete(ask("2+2?", prefix=THINK_OPEN + "\n"))
    sent = stub.requests[-1].body
    assert sent["messages"] == [{"role": "user", "content": "2+2?"}] and "continue_final_message" not in sent

    stub_backend.complete(ask("2+2?", prefix="The answer is"))
    sent = stub.requests[-1].body
    assert sent["messages"][-1] == {"role": "assistant", "content": "The answer is"}
    assert sent["continue_final_message"] is True and sent["add_generation_prompt"] is False


def test_plain_prompts_and_raw_prompt_models_use_completions(registry: Registry, openai_stub_server: StubServer,
                                                             stub: StubState, stub_backend: OpenAIBackend) -> None:
    completion = stub_backend.complete(Request(max_tokens=8, prompt="Q: 2+2?\nA:", prefix=" It"))
    assert stub.requests[-1].path == "/v1/completions" and stub.requests[-1].body["prompt"] == "Q: 2+2?\nA: It"
    assert completion.text.endswith("".join(ANSWER))

    source = Source(openai=openai_stub_server.url, model=MODEL)
    raw = OpenAIBackend(ModelSpec(alias="raw", source=source, prompt_format="completion",
                                  chat_template="{% for m in messages %}[{{ m.content }}]{% endfor %}>"), QUICK)
    raw.complete(ask("2+2?", prefix="Sure"))
    assert stub.requests[-1].path == "/v1/completions" and stub.requests[-1].body["prompt"] == "[2+2?]>Sure"

    untemplated = OpenAIBackend(ModelSpec(alias="raw", source=source, prompt_format="completion"), QUICK)
    with pytest.raises(RemoteError, match="no chat template") as caught:
        untemplated.complete(ask("2+2?"))
    assert "chat_template" in caught.value.one_line()


def test_the_api_key_comes_from_the_named_environment_variable(openai_stub_server: StubServer, stub: StubState,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWKEYE_TEST_KEY", "s3cret")
    source = Source(openai=openai_stub_server.url, model=MODEL, api_key_env="HAWKEYE_TEST_KEY")
    OpenAIBackend(ModelSpec(alias="keyed", source=source), QUICK).complete(ask("2+2?"))
    assert stub.requests[-1].authorization == "Bearer s3cret"


def test_count_tokens_sends_several_texts_and_only_probes_once(stub: StubState,
                                                               stub_backend: OpenAIBackend) -> None:
    stub.tokenize = "vllm"
    assert stub_backend.count_tokens(["one", "one two", "one two three", "a b c d", "e"]) == [1, 2, 3, 4, 1]
    assert stub_backend.count_tokens(["x y"]) == [2]
    assert len([r for r in stub.requests if r.path == "/tokenize"]) == 2 + 5 + 1  # probe ("" and a word), texts
    assert stub_backend.n_ctx == 4096  # vLLM's max_model_len in /v1/models


def test_a_bos_the_tokenize_endpoint_counts_is_taken_off(stub: StubState, stub_backend: OpenAIBackend) -> None:
    stub.tokenize = "extras"
    assert stub_backend.count_tokens(["one two", "", "three"]) == [2, 0, 1]


def test_count_tokens_without_a_tokenize_endpoint_is_a_capability_error(stub_backend: OpenAIBackend) -> None:
    with pytest.raises(CapabilityError, match="cannot count tokens") as caught:
        stub_backend.count_tokens(["hello"])
    assert caught.value.fix == (f"use a local .gguf model in place of {MODEL} (an alias from `hawkeye models`, "
                                "or a path)")
