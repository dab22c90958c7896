"""One ledger entry: what a question cost and saved, built from the document `ask --json` prints.

The document (profile, models, settings and AskResult.to_dict()) is read by one function, `entry_of`, and only
through the keys every stage shares, so a stage the pipeline adds later (a probe) is recorded without a change
here or in the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from hawkeye_cli.backends.base import CUT_SHORT

Source = Literal["ask", "serve"]
SavingKind = Literal["measured", "estimated"]
SAVING_KINDS: tuple[SavingKind, ...] = ("measured", "estimated")
BASELINE_STAGE = "baseline"
"""The planner alone with its full CoT (`ask --compare`): what a saving is measured against, not part of the
answer."""


@dataclass(frozen=True)
class StageRow:
    stage: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cost: float
    finish_reason: str


@dataclass(frozen=True)
class Saving:
    """Generated tokens, seconds and cost saved against the planner alone (negative when hawkeye cost more)."""

    kind: SavingKind
    """measured: the planner alone ran on this question (--compare); estimated: its mean per item in the latest
    bench (or calibrate) of the same planner."""
    tokens: float
    seconds: float | None
    """None when the stages were timed by different clocks, which cannot be subtracted."""
    cost: float
    lower_bound: bool
    """The baseline was cut by --max-tokens: a full one would cost more, so the saving would be larger."""
    baseline_id: int | None = None
    """estimated: the row of the baselines table it comes from."""


@dataclass(frozen=True)
class Entry:
    source: Source
    profile: str | None
    planner: str | None
    expander: str | None
    budget: int | None
    """Thinking tokens of a fixed budget."""
    effort: str | None
    """The adaptive stop's name instead: auto, low, medium, high (with +agree for --stop-when agree)."""
    max_tokens: int | None
    temperature: float | None
    seed: int | None
    question: str
    plan: str | None
    answer: str | None
    final_answer: str | None
    stop_reason: str | None
    """Why the planner stopped: ended, converged, agreed, budget, cap."""
    agree: float | None
    """1.0 when the planner's probed answer and the expander's final answer agree, 0.0 when not, None when either
    gave none."""
    stages: tuple[StageRow, ...]
    measured: Saving | None
    """Against the baseline stage, when there is one."""

    @property
    def hawkeye_stages(self) -> tuple[StageRow, ...]:
        """The stages that produced the answer: every one but the baseline."""
        return tuple(stage for stage in self.stages if stage.stage != BASELINE_STAGE)

    @property
    def tokens(self) -> int:
        return sum(stage.completion_tokens for stage in self.hawkeye_stages)

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.hawkeye_stages)

    @property
    def cost(self) -> float:
        return sum(stage.cost for stage in self.hawkeye_stages)


def entry_of(document: Mapping[str, Any], source: Source) -> Entry:
    """The entry of one answered question. `document`: what `hawkeye ask --json` prints."""
    models = document.get("models") or {}
    settings = document.get("settings") or {}
    stage_dicts = list(_stage_dicts(document))
    plan = document.get("plan") or {}
    expansion = document.get("expansion") or {}
    agree = document.get("agree")
    budget = document.get("budget")
    entry = Entry(
        source=source,
        profile=document.get("profile"),
        planner=models.get("planner"),
        expander=models.get("expander"),
        budget=budget if isinstance(budget, int) else None,
        effort=budget if isinstance(budget, str) else None,
        max_tokens=settings.get("max_tokens"),
        temperature=settings.get("temperature"),
        seed=settings.get("seed"),
        question=document["question"],
        plan=plan.get("cot"),
        answer=expansion.get("text"),
        final_answer=document.get("final_answer"),
        stop_reason=document.get("stop"),
        agree=None if agree is None else float(agree),
        stages=tuple(_stage_row(stage) for stage in stage_dicts),
        measured=None,
    )
    same_clock = len({stage.get("clock") for stage in stage_dicts}) == 1
    return replace(entry, measured=_measured(entry, same_clock=same_clock))


def _stage_dicts(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every stage in the document, in its order: a stage sits at the top level (plan, expansion), one level down
    (baseline.stage), or in a list."""
    for value in document.values():
        candidates: list[Any] = []
        if isinstance(value, Mapping):
            candidates = [value, *value.values()]
        elif isinstance(value, list):
            candidates = value
        yield from (item for item in candidates if isinstance(item, Mapping) and isinstance(item.get("stage"), str)
                    and "completion_tokens" in item)


def _stage_row(stage: Mapping[str, Any]) -> StageRow:
    return StageRow(stage["stage"], stage["model"], stage["prompt_tokens"], stage["completion_tokens"],
                    stage["seconds"], stage["cost"], stage["finish_reason"])


def _measured(entry: Entry, *, same_clock: bool) -> Saving | None:
    """Against the entry's baseline stage, if it has one; seconds only when every stage has the same clock."""
    baseline = next((stage for stage in entry.stages if stage.stage == BASELINE_STAGE), None)
    if baseline is None:
        return None
    return Saving(kind="measured", tokens=baseline.completion_tokens - entry.tokens,
                  seconds=baseline.seconds - entry.seconds if same_clock else None,
                  cost=baseline.cost - entry.cost, lower_bound=baseline.finish_reason in CUT_SHORT)
