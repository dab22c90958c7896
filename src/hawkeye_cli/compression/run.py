"""A compress-cot run: load the models it needs, then compress, verify and write record by record.

No printing here: the command reports through the callbacks and the returned RunSummary.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from hawkeye_cli.compression.compressor import Compression, Compressor
from hawkeye_cli.compression.filter import FilterCompressor
from hawkeye_cli.compression.records import BadRecord, JsonlOutput, Trace, record_key
from hawkeye_cli.compression.rewrite import RewriteCompressor
from hawkeye_cli.compression.sft import sft_record
from hawkeye_cli.compression.surprisal import SurprisalCompressor
from hawkeye_cli.compression.verify import Verification, Verifier, states_answer
from hawkeye_cli.errors import ContextOverflowError, DataError
from hawkeye_cli.loading import LoadedModels, Pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.scoring.verdict import read_answer
from hawkeye_cli.store.registry import ModelSpec

Method = Literal["filter", "surprisal", "rewrite"]


def compressor_for(
    method: Method, models: LoadedModels, pair: Pair, scorer: ModelSpec, decode: DecodeSettings
) -> Compressor:
    """The method's compressor, counting tokens with the model that does the work.

    filter needs no model, but its counts must be a real tokenizer's: the expander's (the model that reads the
    CoT), loaded whole rather than vocab-only — llama.cpp maps the weights lazily, so the tiny expander loads in
    a fraction of a second, and a vocab-only Backend could neither complete nor score. surprisal counts with its
    scorer, rewrite with the planner (whose max_tokens is the budget).
    """
    if method == "filter":
        return FilterCompressor(models.get(pair.expander).backend)
    if method == "surprisal":
        return SurprisalCompressor(models.get(scorer).backend)
    return RewriteCompressor(models.get(pair.planner), decode.sampling)


def verifier_for(models: LoadedModels, pair: Pair, decode: DecodeSettings) -> Verifier:
    """Only the expander runs, answering from each compressed CoT."""
    return Verifier(models.get(pair.expander), decode)


@dataclass
class RunSummary:
    """What this run did; what the output holds (this run's records and earlier ones) is its OutputStats."""

    method: str
    tokenizer: str
    verified: bool
    read: int = 0
    written: int = 0
    """Records compressed in this run (at one or more target ratios)."""
    resumed: int = 0
    """Records already in the output, not compressed again."""
    skipped: list[BadRecord] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    sft_written: int = 0
    sft_without_response: int = 0
    tokens_scored: int = 0
    scoring_seconds: float = 0.0

    @property
    def skip_reasons(self) -> Counter[str]:
        """Reasons without their details (the JSON error position), so that like counts with like."""
        return Counter(bad.reason.split(" (")[0] for bad in self.skipped)

    @property
    def records_per_second(self) -> float:
        return self.written / self.seconds if self.seconds > 0 else 0.0


def output_key(method: str) -> Callable[[dict[str, Any]], Hashable]:
    """The key of an output line: (record, target ratio); a line from another method or tool is refused."""

    def key(data: dict[str, Any]) -> Hashable:
        meta = data.get("compression")
        if not isinstance(meta, dict) or "line" not in meta or "target_ratio" not in meta:
            raise DataError("the output file holds lines not written by compress-cot", fix="write to another file")
        if meta.get("method") != method:
            raise DataError(f"the output file was written with --method {meta.get('method')}, not {method}",
                            fix="write to another file, or delete it to start over")
        return record_key(data, meta["line"]), meta["target_ratio"]

    return key


class CompressionRun:
    def __init__(self, compressor: Compressor, targets: Sequence[float], *, verifier: Verifier | None = None,
                 strict: bool = False, source: str = "input") -> None:
        self.compressor = compressor
        self.targets = list(targets)
        self.verifier = verifier
        self.strict = strict
        self.source = source

    def run(
        self,
        records: Iterable[Trace | BadRecord],
        output: JsonlOutput,
        sft: JsonlOutput | None = None,
        on_record: Callable[[], None] | None = None,
        on_skip: Callable[[BadRecord], None] | None = None,
    ) -> RunSummary:
        """Every record in order; Ctrl-C stops after the last complete line and marks the summary interrupted."""
        summary = RunSummary(self.compressor.method, self.compressor.tokenizer.name, self.verifier is not None)
        started = time.perf_counter()
        try:
            for record in records:
                summary.read += 1
                bad = record if isinstance(record, BadRecord) else self._one(record, output, sft, summary)
                if bad is not None:
                    summary.skipped.append(bad)
                    if self.strict:
                        raise DataError(f"{self.source} line {bad.line}: {bad.reason}",
                                        fix="fix or remove that line, or run without --strict to skip it")
                    if on_skip is not None:
                        on_skip(bad)
                if on_record is not None:
                    on_record()
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            summary.seconds = time.perf_counter() - started
            summary.tokens_scored = self.compressor.tokens_scored
            summary.scoring_seconds = self.compressor.scoring_seconds
        return summary

    def _one(self, trace: Trace, output: JsonlOutput, sft: JsonlOutput | None,
             summary: RunSummary) -> BadRecord | None:
        todo = [target for target in self.targets if (trace.key, target) not in output.done]
        if not todo:
            summary.resumed += 1
            return None
        try:
            compressions = self.compressor.compress(trace.question, trace.thinking, todo)
        except ContextOverflowError as exc:
            return BadRecord(trace.line, f"too long for the model ({exc.message})")
        cot_answer = read_answer(trace.response) or read_answer(trace.thinking)
        reference = cot_answer if cot_answer is not None else trace.gold
        if reference is not None and not states_answer(trace.thinking, reference):
            reference = None  # the thinking never states it, so no compression can lose it
        for compression in compressions:
            kept = states_answer(compression.text, reference) if reference is not None else None
            check = None
            if self.verifier is not None:
                check = self.verifier.check(trace.question, compression.text, trace.gold, cot_answer)
            if sft is not None and trace.key not in sft.done:
                self._export(trace, compression, sft, summary)
            output.write(self._record(trace, compression, kept, check, cot_answer))
        summary.written += 1
        return None

    @staticmethod
    def _export(trace: Trace, compression: Compression, sft: JsonlOutput, summary: RunSummary) -> None:
        """Written before the output line, so a record in the output is always in the SFT file too."""
        if not trace.response:
            summary.sft_without_response += 1
            return
        sft.write(sft_record(trace.question, compression.text, trace.response, trace.key))
        summary.sft_written += 1

    def _record(self, trace: Trace, compression: Compression, kept: bool | None, check: Verification | None,
                cot_answer: str | None) -> dict[str, Any]:
        record = {
            **trace.data,
            "cot_compressed": compression.text,
            "cot_tokens": compression.original_tokens,
            "cot_kept_tokens": compression.kept_tokens,
            "cot_ratio": round(compression.ratio, 4),
            "compression": {
                "method": self.compressor.method,
                "target_ratio": compression.target,
                "tokenizer": self.compressor.tokenizer.name,
                "line": trace.line,
                "answer_kept": kept,
            },
        }
        if check is not None:
            record["verify"] = {**asdict(check), "cot_answer": cot_answer, "gold": trace.gold}
        return record
