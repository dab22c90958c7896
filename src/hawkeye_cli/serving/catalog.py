"""The profiles a server answers for, each loaded once at start-up, and how a request's model name picks one.

A model name is `hawkeye/<profile>`, optionally `@<budget>` (the planner's thinking budget for that request);
the bare profile name works too. Profiles that share a model share one loaded copy of it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.engine import LoadedModels, Pair
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.serving.schemas import ApiError, ChatCompletionRequest

MODEL_PREFIX = "hawkeye/"


@dataclass(frozen=True)
class ServedProfile:
    pair: Pair
    collaboration: Collaboration
    """With the server's decode settings: greedy, and the answer cap of --max-tokens or the profile."""
    budget: int

    @property
    def model_id(self) -> str:
        return MODEL_PREFIX + self.pair.profile.name

    def for_request(self, request: ChatCompletionRequest) -> Collaboration:
        """The loaded models with this request's answer cap, temperature and seed. Without a seed, a sampled
        request gets a fresh one, as OpenAI's API does; a greedy one keeps the server's (it does not matter)."""
        server = self.collaboration.settings
        temperature = server.temperature if request.temperature is None else request.temperature
        seed = request.seed
        if seed is None:
            seed = random.randrange(2**31) if temperature > 0 else server.seed
        decode = replace(server, max_tokens=request.answer_cap or server.max_tokens, temperature=temperature,
                         seed=seed)
        base = self.collaboration
        return Collaboration(base.planner, base.planner_spec, base.expander, base.expander_spec, decode,
                             instruction=base.instruction)


@dataclass(frozen=True)
class Selection:
    served: ServedProfile
    budget: int
    model: str
    """The name answered with: `hawkeye/<profile>`, with `@<budget>` when the request chose one."""


class Catalog:
    def __init__(self, served: Sequence[ServedProfile]) -> None:
        self.served = {profile.pair.profile.name: profile for profile in served}

    def select(self, model: str) -> Selection:
        name, at, budget_text = model.removeprefix(MODEL_PREFIX).partition("@")
        served = self.served.get(name)
        if served is None:
            known = ", ".join(profile.model_id for profile in self.served.values())
            raise ApiError(404, f"The model '{model}' does not exist on this server; it serves {known} "
                           "(optionally with @<budget>, e.g. hawkeye/tiny@128).",
                           type="not_found_error", code="model_not_found", param="model")
        if not at:
            return Selection(served, served.budget, served.model_id)
        if not (budget_text.isascii() and budget_text.isdigit()) or int(budget_text) < 1:  # not '²', a digit
            raise ApiError(400, f"The budget in '{model}' must be a positive number of tokens, "
                           "e.g. hawkeye/tiny@128.", code="invalid_budget", param="model")
        return Selection(served, int(budget_text), f"{served.model_id}@{int(budget_text)}")


def load_catalog(profiles: Sequence[tuple[Pair, DecodeSettings, int]], settings: BackendSettings) -> Catalog:
    """Every model loaded now, so that a model that cannot load stops the server before it listens.
    `profiles`: each pair with its default decode settings and budget."""
    models = LoadedModels(settings)
    return Catalog([
        ServedProfile(pair, Collaboration(models.get(pair.planner), pair.planner, models.get(pair.expander),
                                          pair.expander, decode), budget)
        for pair, decode, budget in profiles
    ])
