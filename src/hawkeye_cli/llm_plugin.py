"""hawkeye as a plugin of simonw/llm: `llm -m hawkeye/PROFILE "question"` runs plan → expand.

One llm model per registry profile. llm asks every plugin for its models on nearly every command, so registering
reads the registry and nothing else: a profile's models load on its first question, with hawkeye's default
settings, and stay loaded for the process. The plan is llm's reasoning (streamed to stderr, dimmed; `-R` hides
it), the answer its text; `llm logs` records both, with each stage's tokens in the usage details.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from typing import Any

import llm
from llm.parts import StreamEvent

from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.budget import value
from hawkeye_cli.errors import DataError, HawkeyeError
from hawkeye_cli.loading import MODEL_PREFIX, LoadedModels, choose_pair
from hawkeye_cli.pipeline import AskResult, Collaboration, DecodeSettings
from hawkeye_cli.pipeline.collaborate import BudgetTooLarge, StrippedText
from hawkeye_cli.pipeline.decoding import DecodeOptions, options_model
from hawkeye_cli.pipeline.stream import Text, stream
from hawkeye_cli.store.registry import load_registry

LOADED = LoadedModels(BackendSettings())
"""Each profile's collaboration, built on its first question and kept for the process, with hawkeye's defaults
as `hawkeye ask` has them: every usable core, the GPU when llama.cpp has one."""


@llm.hookimpl
def register_models(register: Callable[..., None]) -> None:
    try:
        profiles = list(load_registry().profiles)
    except HawkeyeError as exc:  # llm itself must keep working, with a line saying why hawkeye is missing
        print(f"hawkeye: no models for llm: {exc.one_line()}", file=sys.stderr)
        return
    for profile in profiles:
        register(Hawkeye(profile))


class Hawkeye(llm.Model):
    can_stream = True
    supports_conversation = False
    """hawkeye answers one question: earlier turns would not reach its models, so llm refuses `-c` itself."""

    Options = options_model(llm.Model.Options,
                            ("budget", "max_budget", "max_tokens", "temperature", "seed", "stop_when"))

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.model_id = MODEL_PREFIX + profile

    def execute(self, prompt: llm.Prompt, stream: bool, response: llm.Response,
                conversation: llm.Conversation | None) -> Iterator[str | StreamEvent]:
        """A HawkeyeError is llm's ModelError, which llm prints as one line: `Error: <message> — <fix>`."""
        try:
            question = _question(prompt, self.model_id)
            pair = choose_pair(load_registry(), profile=self.profile)
            given = DecodeOptions.model_construct(**prompt.options.model_dump())  # llm has checked each value
            decode = given.decode(pair.profile)
            if given.stop_when == "agree" and isinstance(decode.budget, int):
                raise DataError(f"-o stop_when agree stops the adaptive planner, and the budget is a fixed "
                                f"{decode.budget} tokens", fix="add -o budget auto (or an effort level), or leave "
                                "out -o stop_when")
            collaboration = LOADED.collaboration(pair)
            if stream:
                result = yield from _streamed(collaboration, question, decode)
            else:
                result = collaboration.ask(question, decode)
                if result.plan.cot:
                    yield StreamEvent(type="reasoning", chunk=result.plan.cot)
                yield result.expansion.text
        except BudgetTooLarge as exc:
            raise llm.ModelError(HawkeyeError(exc.message, fix=_lower_budget(exc)).one_line()) from exc
        except HawkeyeError as exc:
            raise llm.ModelError(exc.one_line()) from exc
        response.set_usage(input=result.prompt_tokens, output=result.completion_tokens, details=usage_details(result))


def _lower_budget(exc: BudgetTooLarge) -> str:
    """The fix in this plugin's own options."""
    if isinstance(exc.budget, int):
        return f"lower -o budget to at most {exc.fits:,}"
    return f"lower -o max_budget to at most {exc.max_budget_fits:,} (-o budget {exc.budget.name} thinks up to " \
           f"{exc.cap_factor:g} times it)"


def _question(prompt: llm.Prompt, model_id: str) -> str:
    if prompt.system:
        raise DataError("hawkeye takes no system prompt: its planner and expander have prompts of their own",
                        fix="leave out -s/--system (and a template's system prompt)")
    question = prompt.prompt.strip()
    if not question:
        raise DataError("the question is empty", fix=f'give it as the prompt: llm -m {model_id} "question"')
    return question


def usage_details(result: AskResult) -> dict[str, Any]:
    """What `llm logs` keeps beside the summed tokens: each stage's tokens and seconds, why the planner stopped,
    and whether the two models agree."""
    return {
        "stages": {stage.stage: {"model": stage.model, "prompt_tokens": stage.completion.prompt_tokens,
                                 "completion_tokens": stage.completion.completion_tokens,
                                 "seconds": round(stage.completion.seconds, 3),
                                 "finish_reason": stage.completion.finish_reason} for stage in result.stages},
        "budget": value(result.plan.budget), "stop": result.plan.stop, "agree": result.agree,
        "planner_answer": result.plan.answer, "final_answer": result.final_answer,
    }


def _streamed(collaboration: Collaboration, question: str,
              decode: DecodeSettings) -> Generator[str | StreamEvent, None, AskResult]:
    """The plan as reasoning events (stripped as the plan's cot is), then the answer as text; returns the result.
    llm closing the response (Ctrl-C) stops the generation at its next token."""
    plan = StrippedText()
    with closing(stream(collaboration, question, decode, thread_name="hawkeye-llm")) as events:
        event = next(events)
        while isinstance(event, Text):
            if event.stage == "expand":
                yield event.text
            elif text := plan.next(event.text):
                yield StreamEvent(type="reasoning", chunk=text)
            event = next(events)
    return event.result
