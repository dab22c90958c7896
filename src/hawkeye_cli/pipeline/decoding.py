"""The decoding options a user gives, declared once: default, limits and help, as llama-cpp-python's
server/settings.py declares its settings and builds its command line from them.

hawkeye's commands (cli_support/options.py) and the llm plugin's `-o` options are built from these fields, and both
turn what was given into DecodeSettings here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, create_model
from pydantic.fields import FieldInfo

from hawkeye_cli.backends.base import MOST_TOKENS, SEEDS, Sampling
from hawkeye_cli.budget import EFFORT_NAMES, Adaptive, BudgetChoice, StopWhen, parse_budget
from hawkeye_cli.pipeline.collaborate import DEFAULT_ON_DISAGREE, DecodeSettings, OnDisagree
from hawkeye_cli.store.registry import Profile

Options = TypeVar("Options", bound=BaseModel)

PROFILES = "profile's"
"""What an option left out (None) stands for: the profile's setting."""


def _budget(given: object) -> BudgetChoice | None:
    return None if given is None else parse_budget(str(given))


class DecodeOptions(BaseModel):
    """How a user asks one question to be decoded; None is the profile's setting."""

    budget: Annotated[BudgetChoice | None, BeforeValidator(_budget)] = Field(
        default=None, description="Planner thinking: a number of tokens, or `auto` (stop when its probed answers "
        f"converge), or an effort level: {EFFORT_NAMES}.")
    max_budget: int | None = Field(
        default=None, gt=0, description="Cap on the planner's thinking under auto (low halves it, high doubles it).")
    stop_when: StopWhen = Field(
        default=Adaptive.stop_when, description="auto: stop when the planner's last answers agree (converged), or as "
        "soon as the expander's short answer equals the planner's (agree).")
    on_disagree: OnDisagree = Field(
        default=DEFAULT_ON_DISAGREE, description="When the expander's answer is not the planner's: answer with the "
        "planner's plan and answer (planner), have the planner solve it alone in full (solve), keep the expander's "
        "(keep), or let the planner think further (auto) and have the expander answer again (resume).")
    max_tokens: int | None = Field(default=None, gt=0, le=MOST_TOKENS,
                                   description="Cap on the expander's answer and the baseline.")
    temperature: float = Field(default=Sampling.temperature, ge=0.0, allow_inf_nan=False,
                               description="0 is greedy and deterministic.")
    seed: int = Field(default=Sampling.seed, ge=SEEDS[0], le=SEEDS[1], description="Sampling seed.")

    def decode(self, profile: Profile) -> DecodeSettings:
        """These options, else the profile's settings."""
        return DecodeSettings.of(profile, budget=self.budget, max_budget=self.max_budget, max_tokens=self.max_tokens,
                                 stop_when=self.stop_when, on_disagree=self.on_disagree,
                                 sampling=Sampling(temperature=self.temperature, seed=self.seed))


DEFAULTS = DecodeOptions()


def limits(name: str) -> dict[str, int | float]:
    """An option's bounds as a command line checks them: `min` and `max` (a whole number above `gt`)."""
    bounds: dict[str, int | float] = {}
    for rule in DecodeOptions.model_fields[name].metadata:
        if (least := getattr(rule, "ge", None)) is not None:
            bounds["min"] = least
        if (above := getattr(rule, "gt", None)) is not None:
            bounds["min"] = above + 1  # only whole-number options are bounded by gt
        if (most := getattr(rule, "le", None)) is not None:
            bounds["max"] = most
    return bounds


def finite_only(name: str) -> bool:
    """Whether an option refuses nan and inf (which pass a command line's range checks: nan compares false)."""
    return any(getattr(rule, "allow_inf_nan", True) is False for rule in DecodeOptions.model_fields[name].metadata)


def options_model(base: type[Options], names: Iterable[str]) -> type[Options]:
    """A model on `base` with the options `names` as declared here; where None is the profile's, the help says
    so (a command line shows it as the default instead)."""
    fields: dict[str, tuple[object, FieldInfo]] = {}
    for name in names:
        declared = DecodeOptions.model_fields[name]
        help_text = f"{declared.description} Default: the {PROFILES}." if declared.default is None else \
            declared.description
        fields[name] = (declared.annotation, FieldInfo.merge_field_infos(declared, description=help_text))
    return create_model(base.__name__, __base__=base, **fields)  # type: ignore[call-overload]
