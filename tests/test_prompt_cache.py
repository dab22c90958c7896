"""The worked examples a chat planner's and a chat expander's prompts begin with are evaluated once per model and
their KV cache kept (real llama.cpp, SmolLM2): a later prompt that begins with them evaluates only the rest, and
answers exactly as it would have with nothing kept; the cached tokens are counted and not charged. The caches are
saved too, so that a later process (a second `hawkeye ask`) restores them instead of evaluating them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import _load
from hawkeye_cli.backends.base import Sampling
from hawkeye_cli.backends.llama_cpp import LlamaCppBackend
from hawkeye_cli.backends.model import Model
from hawkeye_cli.pipeline import prompts
from hawkeye_cli.pipeline.results import StageResult
from hawkeye_cli.store.registry import Registry

FIRST = "A farmer has 12 cows and buys 5 more. How many cows does he have?"
SECOND = "Tom reads 20 pages a day for 3 days. How many pages does he read?"


@pytest.fixture
def fresh(registry: Registry) -> Iterator[LlamaCppBackend]:
    """A SmolLM2 of its own: nothing kept from other tests."""
    backend = _load(registry, "smollm2-135m-instruct")
    assert isinstance(backend, LlamaCppBackend)
    yield backend
    backend.close()


@pytest.mark.slow
def test_a_second_plan_evaluates_only_what_follows_the_examples(registry: Registry, fresh: LlamaCppBackend,
                                                                smollm: LlamaCppBackend) -> None:
    spec = registry.model("smollm2-135m-instruct")
    first = prompts.plan_request(spec, FIRST, budget=24, sampling=Sampling())
    second = prompts.plan_request(spec, SECOND, budget=24, sampling=Sampling())
    shared = fresh._shared(second, fresh._prompt(second))
    assert 40 < shared < fresh.prompt_tokens(second) - 10  # the system turn and the example, not the question

    computed = fresh.complete(first)
    before = fresh.perf()
    kept = fresh.complete(second)
    after = fresh.perf()

    assert after[0] - before[0] == fresh.prompt_tokens(second) - shared  # the examples came from the cache
    assert (computed.cached_tokens, kept.cached_tokens) == (0, shared)  # and are not charged
    model = Model(spec, fresh)
    assert StageResult.of("plan", model, kept).cost == model.cost(kept.prompt_tokens - shared, kept.completion_tokens)
    smollm.complete(prompts.solo_request(spec, FIRST, instruction="", max_tokens=4, sampling=Sampling()))
    alone = smollm.complete(second)  # the context last held another kind of prompt: nothing of this one kept
    assert kept.text == alone.text and kept.completion_tokens == alone.completion_tokens


@pytest.mark.slow
def test_the_expander_keeps_its_examples_too(registry: Registry, fresh: LlamaCppBackend) -> None:
    spec = registry.model("smollm2-135m-instruct")
    requests = [prompts.expand_request(spec, question, "Some steps.", answers=prompts.GSM8K_ANSWERS, max_tokens=8,
                                       sampling=Sampling()) for question in (FIRST, SECOND)]

    fresh.complete(requests[0])
    before = fresh.perf()
    fresh.complete(requests[1])
    after = fresh.perf()

    shared = fresh._shared(requests[1], fresh._prompt(requests[1]))
    assert shared > 100 and after[0] - before[0] == fresh.prompt_tokens(requests[1]) - shared


@pytest.mark.slow
def test_a_later_process_restores_the_examples_from_disk(registry: Registry, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each backend below is a new context with nothing in memory, as in a new process; a damaged saved cache is
    evaluated again and rewritten, with the same answer."""
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path))
    spec = registry.model("smollm2-135m-instruct")
    first = prompts.plan_request(spec, FIRST, budget=24, sampling=Sampling())
    second = prompts.plan_request(spec, SECOND, budget=24, sampling=Sampling())
    answers = []
    for damage in (False, False, True):
        backend = _load(registry, "smollm2-135m-instruct")
        assert isinstance(backend, LlamaCppBackend)
        saved = sorted((tmp_path / "cache").rglob("*.kv"))
        if damage:
            saved[0].write_bytes(saved[0].read_bytes()[:-100])
        shared = backend._shared(second, backend._prompt(second))
        before = backend.perf()
        completion = backend.complete(second if answers else first)
        evaluated = backend.perf()[0] - before[0]
        if not answers:  # nothing saved yet: everything evaluated, then saved
            assert completion.cached_tokens == 0 and not saved
            answers.append(backend.complete(second).text)
        elif damage:
            assert completion.cached_tokens == 0 and evaluated > shared
            answers.append(completion.text)
        else:
            # llama.cpp counts a new context's first token apart: at most the question was evaluated
            assert completion.cached_tokens == shared and evaluated <= backend.prompt_tokens(second) - shared
            answers.append(completion.text)
        backend.close()
    assert len(set(answers)) == 1
    (kept,) = (tmp_path / "cache").rglob("*.kv")
    assert kept.stat().st_size > 1000 and not list((tmp_path / "cache").rglob("*.part"))
