"""The profiles a server answers for, each loaded once at start-up, and how a request's model name picks one.

A model name is `hawkeye/<profile>`, optionally `@<budget>` (the planner's thinking budget for that request);
the bare profile name works too. Profiles that share a model share one loaded copy of it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.budget import EFFORT_NAMES, EFFORTS, Budget, BudgetChoice, label, parse_budget
from hawkeye_cli.loading import MODEL_PREFIX, LoadedModels, Pair
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.serving.schemas import ApiError, ChatCompletionRequest


@dataclass(frozen=True)
class ServedProfile:
    pair: Pair
    collaboration: Collaboration
    defaults: DecodeSettings
    """The server's: --budget, --max-budget and --max-tokens or the profile's, greedy; a request may change the
    budget (under the same cap), the answer cap, the temperature and the seed."""

    @property
    def model_id(self) -> str:
        return MODEL_PREFIX + self.pair.profile.name


@dataclass(frozen=True)
class Selection:
    served: ServedProfile
    budget: Budget
    model: str
    """The name answered with: `hawkeye/<profile>`, with `@<budget>` when the request chose one."""

    def decode(self, request: ChatCompletionRequest) -> DecodeSettings:
        """This request's budget, answer cap, temperature and seed. Without a seed, a sampled request gets a fresh
        one, as OpenAI's API does; a greedy one keeps the server's (it does not matter)."""
        server = self.served.defaults
        temperature = server.sampling.temperature if request.temperature is None else request.temperature
        seed = request.seed
        if seed is None:
            seed = random.randrange(2**31) if temperature > 0 else server.sampling.seed
        return replace(server, budget=self.budget, max_tokens=request.answer_cap or server.max_tokens,
                       sampling=replace(server.sampling, temperature=temperature, seed=seed))


class Catalog:
    def __init__(self, served: Sequence[ServedProfile]) -> None:
        self.served = {profile.pair.profile.name: profile for profile in served}

    def select(self, model: str, effort: str | None = None) -> Selection:
        """The profile a model name serves, with the budget of its `@…` or of `effort` (OpenAI's
        reasoning_effort), else the server's."""
        name, at, budget_text = model.removeprefix(MODEL_PREFIX).partition("@")
        served = self.served.get(name)
        if served is None:
            known = ", ".join(profile.model_id for profile in self.served.values())
            raise ApiError(404, f"The model '{model}' does not exist on this server; it serves {known} "
                           "(optionally with @<budget>, e.g. hawkeye/tiny@128).",
                           type="not_found_error", code="model_not_found", param="model")
        if at and effort is not None:
            raise ApiError(400, f"Give the budget in the model name ('{model}') or as reasoning_effort, not both.",
                           code="invalid_budget", param="reasoning_effort")
        if effort is not None:
            if effort not in EFFORTS:
                raise ApiError(400, f"reasoning_effort '{effort}' is not one of {EFFORT_NAMES}.",
                               code="invalid_reasoning_effort", param="reasoning_effort")
            choice: BudgetChoice = effort
        elif not at:
            return Selection(served, served.defaults.budget, served.model_id)
        else:
            try:
                choice = parse_budget(budget_text)
            except ValueError:
                raise ApiError(400, f"The budget in '{model}' must be a positive number of tokens, auto, or an "
                               f"effort level ({EFFORT_NAMES}), e.g. hawkeye/tiny@128 or hawkeye/tiny@auto.",
                               code="invalid_budget", param="model") from None
        budget = served.defaults.with_budget(choice).budget
        return Selection(served, budget, f"{served.model_id}@{label(budget)}")


def load_catalog(profiles: Sequence[tuple[Pair, DecodeSettings]], settings: BackendSettings) -> Catalog:
    """Every model loaded now, so that a model that cannot load stops the server before it listens.
    `profiles`: each pair with its default decode settings."""
    models = LoadedModels(settings)
    return Catalog([ServedProfile(pair, models.collaboration(pair), decode) for pair, decode in profiles])
