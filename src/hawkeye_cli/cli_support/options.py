"""Options shared by the commands that run models (ask, bench, serve, compress-cot), declared once.

`@model_options()` adds the group to a command's signature, as simonw/llm's option decorators do, and hands the
values to the command as one ModelOptions: each command lists only its own options, and a default lives here, or,
for a decoding option, in pipeline/decoding.py, whose declarations the llm plugin's options come from too.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from typing import Annotated, Any, TypeVar

import typer

from hawkeye_cli.backends.settings import BackendSettings, HttpSettings, LlamaCppSettings, usable_cores
from hawkeye_cli.budget import Budget, BudgetChoice, Effort, StopWhen, parse_budget
from hawkeye_cli.loading import LoadedModels, Pair, choose_pair
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.collaborate import OnDisagree
from hawkeye_cli.pipeline.decoding import DEFAULTS, PROFILES, DecodeOptions, finite_only, limits
from hawkeye_cli.pipeline.prompts import GSM8K_ANSWERS, AnswerStyle
from hawkeye_cli.reporting.console import print_notice, stderr
from hawkeye_cli.store.registry import ENDPOINT_EXAMPLE, Registry, endpoint_problem


def model_name(value: str | None) -> str | None:
    """An option naming a model: an endpoint URL is checked here, where the error can name the option."""
    if value is not None and value.startswith(("http://", "https://")) and (problem := endpoint_problem(value)):
        raise typer.BadParameter(f"{problem}; give one like {ENDPOINT_EXAMPLE}")
    return value


def finite(value: float) -> float:
    """A number option: nan and inf pass click's range checks (nan compares false with any bound)."""
    if not math.isfinite(value):
        raise typer.BadParameter(f"give a finite number (got {value})")
    return value


def usable_threads(threads: int | None) -> int | None:
    """More threads than usable cores make llama.cpp crawl (8 tokens: 56 s instead of 0.6 s on 2 cores)."""
    usable = usable_cores()
    if threads is None or threads <= usable:
        return threads
    stderr.print(f"[yellow]warning:[/] --threads {threads} is more than the {usable} cores this process may use; "
                 f"using {usable}", highlight=False, soft_wrap=True)
    return usable


def decoding(name: str, *flags: str) -> Any:
    """The typer option of a decoding option: its default, bounds and help as pipeline/decoding.py declares
    them, `--name` and `flags` its names (a number that must be finite is checked by `finite`)."""
    declared, bounds = DecodeOptions.model_fields[name], limits(name)
    return typer.Option(f"--{name.replace('_', '-')}", *flags, help=declared.description, min=bounds.get("min"),
                        max=bounds.get("max"), show_default=PROFILES if declared.default is None else True,
                        callback=finite if finite_only(name) else None)


Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
NoLog = Annotated[
    bool, typer.Option("--no-log", help="Do not record questions in hawkeye's ledger (hawkeye logs).")
]

T = TypeVar("T", int, float)
Value = TypeVar("Value")
Command = TypeVar("Command", bound=Callable[..., Any])


@dataclass(frozen=True)
class ModelOptions:
    """The model options of one command line, with their defaults."""

    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Planner + expander pair from the registry (hawkeye models).")
    ] = None
    planner: Annotated[
        str | None, typer.Option("--planner", help="Planner model: alias, .gguf path, or endpoint URL "
                                 "(#MODEL after it names the served model).", callback=model_name)
    ] = None
    expander: Annotated[
        str | None, typer.Option("--expander", help="Expander model: alias, .gguf path, or endpoint URL "
                                 "(#MODEL after it names the served model).", callback=model_name)
    ] = None
    budget: Annotated[str | None, decoding("budget", "-b")] = None
    effort: Annotated[
        Effort | None,
        typer.Option("--effort", "-e", help="The adaptive stop at an effort level (what each sets: hawkeye --help, "
                     "README); the same as --budget LEVEL.", show_default=False),
    ] = None
    max_budget: Annotated[int | None, decoding("max_budget")] = DEFAULTS.max_budget
    stop_when: Annotated[StopWhen, decoding("stop_when")] = DEFAULTS.stop_when
    on_disagree: Annotated[OnDisagree, decoding("on_disagree")] = DEFAULTS.on_disagree
    max_tokens: Annotated[int | None, decoding("max_tokens")] = DEFAULTS.max_tokens
    temperature: Annotated[float, decoding("temperature")] = DEFAULTS.temperature
    seed: Annotated[int, decoding("seed")] = DEFAULTS.seed
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="CPU threads for llama.cpp.", show_default="all usable cores",
                                 callback=usable_threads)
    ] = LlamaCppSettings.threads
    gpu_layers: Annotated[
        int | None, typer.Option("--gpu-layers", help="Layers on the GPU; -1 all.",
                                 show_default="all if llama.cpp has a GPU, else 0")
    ] = LlamaCppSettings.gpu_layers
    ctx: Annotated[int, typer.Option("--ctx", min=256, help="Context window of local models, in tokens.")] \
        = LlamaCppSettings.n_ctx
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds one request to a remote engine may take.",
                            callback=finite)
    ] = HttpSettings.timeout
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show llama.cpp's own logs.")] = False

    def pair(self, registry: Registry, *, profile: str | None = None) -> Pair:
        """The planner and expander these options choose (`profile` for a command that takes several); a line
        says so when a name they go by now means a user's model instead of a bundled one."""
        pair = choose_pair(registry, profile=profile or self.profile, planner=self.planner, expander=self.expander)
        for name in dict.fromkeys((self.planner or pair.profile.planner, self.expander or pair.profile.expander)):
            if name in registry.replaced:
                print_notice(registry.replaced[name])
        return pair

    @property
    def budget_choice(self) -> BudgetChoice | None:
        """--budget or --effort, validated."""
        if self.effort is not None and self.budget is not None:
            raise typer.BadParameter("give --budget or --effort, not both", param_hint="--effort")
        return self.effort if self.budget is None else parse(self.budget, "--budget", parse_budget)

    def decode(self, pair: Pair, budget: BudgetChoice | None = None) -> DecodeSettings:
        """Budget (`budget`, else --budget, else the profile's) and answer cap from the options, else the
        profile's."""
        given = DecodeOptions.model_construct(  # each value checked already, by its option
            budget=budget if budget is not None else self.budget_choice, max_budget=self.max_budget,
            max_tokens=self.max_tokens, temperature=self.temperature, seed=self.seed, stop_when=self.stop_when,
            on_disagree=self.on_disagree)
        decode = given.decode(pair.profile)
        if decode.on_disagree == "resume" and isinstance(decode.budget, int):
            raise typer.BadParameter("resuming needs the adaptive stop: --budget auto or an effort level",
                                     param_hint="--on-disagree")
        return decode

    def require_adaptive_for_stop(self, budgets: Collection[Budget]) -> None:
        """--stop-when agree changes only the adaptive stop: refused when no budget run is adaptive, as
        --on-disagree resume is, rather than ignored."""
        if self.stop_when == "agree" and all(isinstance(budget, int) for budget in budgets):
            raise typer.BadParameter("stopping when the models agree needs the adaptive stop: --budget auto or an "
                                     "effort level", param_hint="--stop-when")

    def load(self, pair: Pair, answers: AnswerStyle = GSM8K_ANSWERS) -> Collaboration:
        """The pair's Collaboration, its models loaded with these options (a status line while they load)."""
        with stderr.status(f"Loading {pair.planner.alias} and {pair.expander.alias}…"):
            return LoadedModels(self.backend_settings()).collaboration(pair, answers)

    def backend_settings(self) -> BackendSettings:
        return BackendSettings(LlamaCppSettings(n_ctx=self.ctx, threads=self.threads, gpu_layers=self.gpu_layers,
                                                verbose=self.verbose),
                               HttpSettings(timeout=self.timeout))


def option_group(group: type[Any], name: str, *, without: Collection[str] = ()) -> Callable[[Command], Command]:
    """Add the options a dataclass of typer-annotated fields declares (all but `without`, which keep their
    defaults) after a command's own parameters; the command receives them as one `name: group`. A group of
    options is declared once, as simonw/llm's option decorators do, and each command lists only its own."""
    declared = {field.name: field for field in fields(group)}
    unknown = set(without) - set(declared)
    assert not unknown, f"no such options in {group.__name__}: {unknown}"
    added = [option for option in declared if option not in without]
    hints = inspect.get_annotations(group, eval_str=True)

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [parameter for parameter in signature.parameters.values() if parameter.name != name]
        options = [inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=declared[option].default,
                                     annotation=hints[option]) for option in added]

        @functools.wraps(command)
        def with_options(*args: Any, **kwargs: Any) -> Any:
            values = {option: kwargs.pop(option) for option in added}
            return command(*args, **{name: group(**values)}, **kwargs)

        parameters = [*own, *options]
        with_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_options.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
        return with_options  # type: ignore[return-value]

    return decorate


def model_options(*, without: Collection[str] = ()) -> Callable[[Command], Command]:
    """The model options (all but `without`); the command receives them as `models: ModelOptions`."""
    return option_group(ModelOptions, "models", without=without)


def parse(text: str, option: str, convert: Callable[[str], Value]) -> Value:
    """`convert(text)`, its ValueError a usage error (exit 2) naming the option."""
    try:
        return convert(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def comma_separated(text: str, convert: Callable[[str], T], valid: Callable[[T], bool], expected: str,
                    option: str) -> list[T]:
    """The values of a comma-separated option, or a usage error (exit 2) saying what was expected."""
    try:
        values = [convert(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or not all(valid(value) for value in values):
        raise typer.BadParameter(f"{expected} (got {text!r})", param_hint=option)
    return values
