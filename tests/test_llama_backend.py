"""The llama.cpp backend on the real tiny models: accounting, stop strings, streaming, scoring, limits."""

from __future__ import annotations

import pytest

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.errors import ContextOverflowError

pytestmark = pytest.mark.slow

QUESTION = "Question: Tom has 3 apples and buys 4 more. How many apples does he have?\nAnswer:"


def test_greedy_generation_is_deterministic_and_counts_match_tokenizer(gemma: Backend) -> None:
    first = gemma.complete(QUESTION, max_tokens=24)
    second = gemma.complete(QUESTION, max_tokens=24, seed=7)  # temperature 0: the seed must not matter
    assert first.text == second.text
    assert first.finish_reason == "length" and first.completion_tokens == 24
    assert gemma.count_tokens(first.text) == first.completion_tokens
    assert first.prompt_tokens == gemma.count_tokens(QUESTION) + 1  # + BOS
    assert 0 < first.prompt_seconds < first.seconds


def test_chat_model_ends_its_turn(smollm: Backend) -> None:
    prompt = smollm.render_chat([{"role": "user", "content": "Say hello."}])
    assert prompt.endswith("<|im_start|>assistant\n")
    completion = smollm.complete(prompt, max_tokens=64)
    assert completion.finish_reason == "eos"
    assert completion.text and "<|im_end|>" not in completion.text
    assert smollm.count_tokens(completion.text) == completion.completion_tokens


def test_stop_string_is_cut_and_never_streamed(gemma: Backend) -> None:
    free = gemma.complete(QUESTION, max_tokens=40).text
    word = next(w for w in free.split() if len(w) > 3)
    stop = " " + word
    chunks: list[str] = []
    completion = gemma.complete(QUESTION, max_tokens=40, stop=[stop], on_text=chunks.append)
    assert completion.finish_reason == "stop"
    assert completion.text == free[: free.index(stop)]
    assert "".join(chunks) == completion.text


def test_streamed_chunks_add_up_to_the_text(smollm: Backend) -> None:
    chunks: list[str] = []
    prompt = smollm.render_chat([{"role": "user", "content": "Count from one to five in words."}])
    completion = smollm.complete(prompt, max_tokens=32, on_text=chunks.append)
    assert len(chunks) > 1
    assert "".join(chunks) == completion.text


def test_prompt_longer_than_context_is_a_clear_error(smollm: Backend) -> None:
    with pytest.raises(ContextOverflowError, match="context is 2048") as error:
        smollm.complete("word " * 3000, max_tokens=16)
    assert "--ctx" in (error.value.fix or "")


def test_max_tokens_is_clamped_to_the_room_left(smollm: Backend) -> None:
    prompt = "one two " * 1000
    completion = smollm.complete(prompt, max_tokens=10_000)
    assert completion.finish_reason == "length"
    assert completion.prompt_tokens + completion.completion_tokens == smollm.n_ctx


def test_score_tokens_covers_the_text_in_one_pass(smollm: Backend) -> None:
    text = "Natalia sold 48 clips in April and 24 in May, so 72 in total."
    scores = smollm.score_tokens(text)
    assert len(scores) == smollm.count_tokens(text)
    assert "".join(s.piece for s in scores) == text
    assert all(s.logprob <= 0 for s in scores)
    assert [s.start for s in scores] == sorted(s.start for s in scores)
    # a predictable continuation is likelier than a surprising one
    expected = smollm.score_tokens("one, two, three, four")[-1].logprob
    surprising = smollm.score_tokens("one, two, three, banana")[-1].logprob
    assert expected > surprising
