"""surprisal, rewrite and verify on the real tiny models through llama.cpp (mechanics, not quality)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import local_settings
from hawkeye_cli.backends import load_backend
from hawkeye_cli.backends.base import Backend, Sampling, TokenScore
from hawkeye_cli.backends.model import Model
from hawkeye_cli.compression.compressor import RATIO_TOLERANCE
from hawkeye_cli.compression.filter import FilterCompressor
from hawkeye_cli.compression.records import Trace, TraceFields, read_records
from hawkeye_cli.compression.rewrite import RewriteCompressor
from hawkeye_cli.compression.segment import segment
from hawkeye_cli.compression.surprisal import SurprisalCompressor
from hawkeye_cli.compression.verify import Verifier
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.scoring.verdict import read_answer
from hawkeye_cli.store.registry import Registry

pytestmark = pytest.mark.slow

TRACES = Path(__file__).parent / "data" / "traces.jsonl"


@pytest.fixture(scope="module")
def traces() -> list[Trace]:
    return list(read_records(io.BytesIO(TRACES.read_bytes()), TraceFields()))  # type: ignore[arg-type]


class CountingScorer:
    """Wraps a backend and records every text it scores, to count forward passes."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.scored: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)

    def score_tokens(self, text: str) -> list[TokenScore]:
        self.scored.append(text)
        return self.backend.score_tokens(text)


def test_surprisal_scores_each_record_in_one_forward_pass(traces: list[Trace], smollm: Backend) -> None:
    scorer = CountingScorer(smollm)
    compressor = SurprisalCompressor(scorer)  # type: ignore[arg-type]
    trace = traces[0]
    results = compressor.compress(trace.question, trace.thinking, [0.2, 0.35, 0.5])
    assert scorer.scored == [f"{trace.question}\n\n{trace.thinking}"]  # one pass serves every target
    assert compressor.tokens_scored == len(smollm.score_tokens(scorer.scored[0]))
    for result in results:
        assert result.kept_tokens == smollm.count(result.text)
        assert abs(result.ratio - result.target) <= RATIO_TOLERANCE
        assert "\\boxed{72}" in result.text
    assert [r.kept_tokens for r in results] == sorted(r.kept_tokens for r in results)
    steps = segment(trace.thinking, trace.question)
    density = compressor.density(trace.question, trace.thinking, steps)
    assert all(value > 0 for value in density) and len(set(density)) == len(steps)  # every step got tokens


def test_surprisal_windows_a_cot_longer_than_the_context(traces: list[Trace], registry: Registry) -> None:
    small = load_backend(registry.model("smollm2-135m-instruct"), local_settings(256))
    try:
        scorer = CountingScorer(small)
        natalia = traces[0]
        assert small.count(natalia.thinking) > small.n_ctx
        (result,) = SurprisalCompressor(scorer).compress(natalia.question, natalia.thinking, [0.35])  # type: ignore[arg-type]
        assert len(scorer.scored) >= 2
        assert all(text.startswith(natalia.question) for text in scorer.scored)
        assert all(small.count(text) < small.n_ctx for text in scorer.scored)
        assert result.ratio <= 0.35 + RATIO_TOLERANCE and "\\boxed{72}" in result.text
    finally:
        small.close()


def test_rewrite_respects_the_budget(traces: list[Trace], gemma: Backend, registry: Registry) -> None:
    pens = traces[5]
    total = gemma.count(pens.thinking)
    rewriter = RewriteCompressor(Model(registry.model("gemma3-270m"), gemma), Sampling())
    short, full = rewriter.compress(pens.question, pens.thinking, [0.2, 1.0])
    assert short.original_tokens == total and short.text
    assert short.kept_tokens <= int(0.2 * total) + 1  # detokenised text can re-tokenise a token longer
    assert full.text == pens.thinking and full.ratio == 1.0


@pytest.fixture(scope="module")
def expander(registry: Registry) -> Iterator[Backend]:
    """SmolLM2 on one thread: token-by-token decoding on two threads crawls when the other core is busy."""
    backend = load_backend(registry.model("smollm2-135m-instruct"), local_settings(1024))
    yield backend
    backend.close()


def test_verify_runs_the_expander_on_two_records(traces: list[Trace], expander: Backend, registry: Registry) -> None:
    spec = registry.model("smollm2-135m-instruct")
    verifier = Verifier(Model(spec, expander), DecodeSettings(budget=8, max_tokens=32))
    for trace in (traces[1], traces[5]):
        (compressed,) = FilterCompressor(expander).compress(trace.question, trace.thinking, [0.35])
        cot_answer = read_answer(trace.response)
        check = verifier.check(trace.question, compressed.text, trace.gold, cot_answer)
        assert cot_answer == trace.gold
        assert 0 < check.expander_tokens <= 32 and check.seconds > 0
        assert check.matches_gold is not None and check.matches_cot is not None
        assert check.matches_gold == check.matches_cot
