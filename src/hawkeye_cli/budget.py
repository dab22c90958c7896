"""The planner's budget, in one place: its names, how a user gives it, which setting wins, what it resolves to,
and how it is printed. It imports nothing of hawkeye's, so that the registry (which validates a profile's budget)
and everything above it can use it.

A budget is a fixed number of thinking tokens, or the adaptive stop (`auto`, or an effort level), which follows
Dynasor-CoT (hao-ai-lab/Dynasor): the planner thinks in rounds, a probe after each asks for its current answer, and
thinking stops once the last N answers agree. Its `saving_effort` levels pair N with the round length: mid (3, 64)
is its chat CLI's default, crazy (2, 32) its most aggressive, low (5, 64) its most careful; hawkeye's effort levels
are those three read the other way round (more effort, more thinking), each with a cap on the thinking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar, cast, get_args

from pydantic import BaseModel

Effort = Literal["low", "medium", "high"]
"""Adaptive settings a user can name; EFFORT_LEVELS says what each sets (a new level goes in both)."""
AUTO = "auto"
"""The adaptive stop at its default settings (those of DEFAULT_EFFORT)."""
BudgetChoice = int | Literal["auto"] | Effort
"""A planner budget as users give it: thinking tokens, or the adaptive stop by name."""
StopWhen = Literal["converged", "agree"]
"""converged: the planner's last N probed answers agree (Dynasor-CoT's rule); agree: the expander's short answer
from the plan so far equals the planner's probed answer."""
DEFAULT_MAX_BUDGET = 2048
"""The most the adaptive stop lets the planner think unless a profile or --max-budget says otherwise (`medium`'s
cap; `low` halves it, `high` doubles it)."""


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
EFFORTS: tuple[Effort, ...] = get_args(Effort)
DEFAULT_EFFORT: Effort = "medium"
"""What `auto` means."""
EFFORT_NAMES = ", ".join(EFFORTS)
"""The effort levels as help texts and errors list them."""


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


def parse_budget(text: str) -> BudgetChoice:
    """`--budget`, `--budgets` items, a profile's budget and a served model's `@…`: a positive number of tokens or a
    name; ValueError says what is allowed."""
    word = text.strip().lower()
    if word == AUTO or word in EFFORTS:
        return cast(BudgetChoice, word)
    if word.isascii() and word.isdigit() and int(word) >= 1:
        return int(word)
    raise ValueError(f"a budget is a positive number of tokens, {AUTO}, or an effort level ({EFFORT_NAMES}); "
                     f"got {text!r}")


T = TypeVar("T")
Origin = Literal["option", "profile", "default"]


def chosen(option: T | None, profile: BaseModel, setting: str) -> tuple[T, Origin]:
    """The option, else the profile's setting, else the default (the profile leaves it out), and which of the
    three it is, as pipx's resolve_backend_name returns a backend with where it was named."""
    if option is not None:
        return option, "option"
    return getattr(profile, setting), "profile" if setting in profile.model_fields_set else "default"


def effort_level(name: str) -> Effort:
    """The effort level an adaptive budget's name stands for (`auto` is medium)."""
    return DEFAULT_EFFORT if name == AUTO else cast(Effort, name)


def resolve(choice: BudgetChoice, max_budget: int, stop_when: StopWhen = Adaptive.stop_when) -> Budget:
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
