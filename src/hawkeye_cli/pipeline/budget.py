"""The planner's budget: a fixed number of thinking tokens, or the adaptive stop and its settings.

The adaptive stop (`auto`, or an effort level) follows Dynasor-CoT (hao-ai-lab/Dynasor): the planner thinks in
rounds, a probe after each asks for its current answer, and thinking stops once the last N answers agree. Its
`saving_effort` levels pair N with the round length: mid (3, 64) is its chat CLI's default, crazy (2, 32) its most
aggressive, low (5, 64) its most careful; hawkeye's effort levels are those three read the other way round (more
effort, more thinking), each with a cap on the thinking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from hawkeye_cli.store.registry import AUTO, BudgetChoice, Effort

StopWhen = Literal["converged", "agree"]
"""converged: the planner's last N probed answers agree (Dynasor-CoT's rule); agree: the expander's short answer
from the plan so far equals the planner's probed answer."""


@dataclass(frozen=True)
class Adaptive:
    """Think in rounds of `round_tokens`, probing after each; stop when `agreeing` answers in a row are
    equivalent and the round did not hedge, when the planner ends its thinking, or at `cap` tokens."""

    cap: int
    round_tokens: int = 64
    agreeing: int = 3
    name: str = AUTO
    """How the user named it: auto, or an effort level."""
    stop_when: StopWhen = "converged"


Budget = int | Adaptive
"""A fixed number of thinking tokens, or the adaptive stop."""


@dataclass(frozen=True)
class EffortLevel:
    cap_factor: float
    """Times the profile's max_budget."""
    round_tokens: int
    agreeing: int


EFFORT_LEVELS: dict[Effort, EffortLevel] = {
    "low": EffortLevel(cap_factor=0.5, round_tokens=32, agreeing=2),
    "medium": EffortLevel(cap_factor=1.0, round_tokens=64, agreeing=3),
    "high": EffortLevel(cap_factor=2.0, round_tokens=64, agreeing=5),
}
DEFAULT_EFFORT: Effort = "medium"
"""What `auto` means."""


def effort_level(name: str) -> Effort:
    """The effort level an adaptive budget's name stands for (`auto` is medium)."""
    return DEFAULT_EFFORT if name == AUTO else cast(Effort, name)


def resolve(choice: BudgetChoice, max_budget: int, stop_when: StopWhen = "converged") -> Budget:
    """A budget as given (tokens, `auto` or a level) with the cap it runs under: the profile's or --max-budget."""
    if isinstance(choice, int):
        return choice
    level = EFFORT_LEVELS[effort_level(choice)]
    return Adaptive(cap=max(1, round(max_budget * level.cap_factor)), round_tokens=level.round_tokens,
                    agreeing=level.agreeing, name=choice, stop_when=stop_when)


def label(budget: Budget) -> str:
    """How a budget is named in tables, JSON and served model names: `256`, `auto`, `low`, `auto+agree`."""
    return str(value(budget))


def value(budget: Budget) -> int | str:
    """A budget in JSON: its tokens, or its name (`+agree` when the expander's agreement stops it)."""
    if isinstance(budget, int):
        return budget
    return budget.name + ("+agree" if budget.stop_when == "agree" else "")


def most_tokens(budget: Budget) -> int:
    """The most thinking tokens a budget allows: what the expander must have room for."""
    return budget if isinstance(budget, int) else budget.cap


def readable(tokens: int) -> str:
    """A number of tokens as people read it: 8,000, and 1e+29 rather than all 29 digits of an absurd one."""
    return f"{tokens:,}" if tokens < 10**7 else f"{tokens:.3g}"
