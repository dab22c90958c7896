"""What a compress-cot output holds, per target ratio: the numbers behind the summary table, JSON and curve.

They are read from the output's records, not from one run's memory, so that a resumed run (after Ctrl-C, with
--verify or another --ratios) and `compress-cot report` summarize the whole file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hawkeye_cli.compression.compressor import Compression
from hawkeye_cli.errors import DataError
from hawkeye_cli.evaluation.metrics import Rate
from hawkeye_cli.jsonl import BadLine, read_lines


@dataclass
class RatioStats:
    """What one target ratio achieved over the records that the output holds for it."""

    target: float
    records: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    on_target: int = 0
    answer_known: int = 0
    answer_kept: int = 0
    verified: int = 0
    """Records whose compressed CoT the expander answered from (--verify)."""
    gold_hits: list[bool] = field(default_factory=list)
    """Math-Verify against the gold answer, per verified record that has one."""
    strict_hits: list[bool] = field(default_factory=list)
    flexible_hits: list[bool] = field(default_factory=list)
    cot_hits: list[bool] = field(default_factory=list)

    def add(self, compression: Compression, kept: bool | None, check: dict[str, Any] | None) -> None:
        self.records += 1
        self.tokens_before += compression.original_tokens
        self.tokens_after += compression.kept_tokens
        self.on_target += compression.on_target
        if kept is not None:
            self.answer_known += 1
            self.answer_kept += kept
        if check is not None:
            self.verified += 1
            for key, hits in (("matches_gold", self.gold_hits), ("gold_strict", self.strict_hits),
                              ("gold_flexible", self.flexible_hits)):
                if check.get(key) is not None:
                    hits.append(bool(check[key]))
            if check.get("matches_cot") is not None:
                self.cot_hits.append(bool(check["matches_cot"]))

    @property
    def ratio(self) -> float:
        """Tokens kept / tokens before, over all records (the mean after / the mean before)."""
        return self.tokens_after / self.tokens_before if self.tokens_before else 0.0

    @property
    def kept_rate(self) -> float | None:
        return self.answer_kept / self.answer_known if self.answer_known else None

    @property
    def gold_accuracy(self) -> Rate | None:
        return Rate.of(self.gold_hits) if self.gold_hits else None

    @property
    def cot_agreement(self) -> Rate | None:
        return Rate.of(self.cot_hits) if self.cot_hits else None


@dataclass
class OutputStats:
    """Per target ratio, every record of one output (one method, as resuming enforces)."""

    method: str | None = None
    tokenizer: str | None = None
    ratios: dict[float, RatioStats] = field(default_factory=dict)

    @classmethod
    def expecting(cls, targets: Iterable[float]) -> OutputStats:
        """With a row for each target of a run, so that a target nothing was written for still shows."""
        return cls(ratios={target: RatioStats(target) for target in targets})

    def add(self, record: Any) -> None:
        """One output line; ValueError (saying why) when it is not a compress-cot record, before counting it."""
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        meta = record.get("compression")
        if not isinstance(meta, dict):
            raise ValueError("no 'compression' field: not written by compress-cot")
        method, tokenizer = meta.get("method"), meta.get("tokenizer")
        target, before, after = meta.get("target_ratio"), record.get("cot_tokens"), record.get("cot_kept_tokens")
        if not (isinstance(method, str) and isinstance(tokenizer, str) and isinstance(target, int | float)
                and isinstance(before, int) and isinstance(after, int) and min(before, after) >= 0):
            raise ValueError("missing or invalid compression fields")
        if self.method is not None and method != self.method:
            raise ValueError(f"written with --method {method}, while earlier lines used {self.method}")
        check = record.get("verify")
        kept = meta.get("answer_kept")
        self.method, self.tokenizer = method, tokenizer
        stats = self.ratios.setdefault(target, RatioStats(target))
        stats.add(Compression("", before, after, target), kept if isinstance(kept, bool) else None,
                  check if isinstance(check, dict) else None)

    @property
    def by_target(self) -> list[RatioStats]:
        return [self.ratios[target] for target in sorted(self.ratios)]

    @property
    def verified(self) -> bool:
        return any(stats.verified for stats in self.ratios.values())


def read_output(path: Path) -> OutputStats:
    """The stats of an existing compress-cot output file (a torn last line is left out, as when resuming)."""
    stats = OutputStats()
    try:
        for _ in read_lines(path, stats.add):
            pass
    except FileNotFoundError as exc:
        raise DataError(f"no such file: {path}", fix="give the --output file of a compress-cot run") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", fix="check the path") from exc
    except BadLine as exc:
        raise DataError(f"{path} line {exc.number} is not a compress-cot output line ({exc.reason})",
                        fix="give the --output file of a compress-cot run") from exc
    if stats.method is None:
        raise DataError(f"{path} holds no compressed records", fix="give the --output file of a compress-cot run")
    return stats
