"""How an `ask` result looks: Rich panels and a savings table, or one JSON document; live status and streaming."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.status import Status
from rich.table import Table
from rich.text import Text

from hawkeye_cli.budget import label, most_tokens
from hawkeye_cli.loading import Pair
from hawkeye_cli.pipeline import AskResult, DecodeSettings, Observer, PlanResult, StageResult
from hawkeye_cli.pipeline.probing import Probe
from hawkeye_cli.pipeline.results import Stage
from hawkeye_cli.reporting.console import markup_safe
from hawkeye_cli.terminal import printable

_MISSING = "—"
_ACTIVITY = {"plan": "planning", "expand": "expanding the answer", "baseline": "running the baseline (full CoT)",
             "solo": "answering alone", "first_expand": "expanding the answer",
             "solve": "solving it in full (the two disagreed)"}
CUT = {"length": ("cut at --max-tokens", "raise --max-tokens"),
       "context": ("cut by the context window", "raise --ctx")}
"""What cut a stage short, and the option that gives it room."""


def profile_notice(pair: Pair) -> str | None:
    """Said when hawkeye fell back to the demo models, so nobody mistakes their quality for the method's; not when
    --planner and --expander replaced both of them."""
    profile = pair.profile
    demo_used = any(name in (spec.alias, *spec.aliases)
                    for spec, name in ((pair.planner, profile.planner), (pair.expander, profile.expander)))
    if not (pair.chosen_by_default and profile.demo and demo_used):
        return None
    return (
        f"Using profile '{pair.profile.name}' (embedded offline models; quality is demo-grade). "
        "For the paper's models: hawkeye pull --profile paper"
    )


def ask_document(result: AskResult, pair: Pair, decode: DecodeSettings) -> dict[str, Any]:
    return {
        "profile": pair.profile.name,
        "models": {"planner": pair.planner.alias, "expander": pair.expander.alias},
        "settings": {"max_tokens": decode.max_tokens, "temperature": decode.sampling.temperature,
                     "seed": decode.sampling.seed},
        **result.to_dict(),
    }


class AskProgress(Observer):
    """A status line on stderr while each stage runs; with `stream`, the plan and the answer as they are written."""

    def __init__(self, out: Console, err: Console, *, stream: bool, reasoning_planner: bool) -> None:
        self._out = out
        self._status = Status("", console=err)
        self._stream = stream
        self._reasoning = reasoning_planner

    def started(self, stage: Stage, model: str) -> None:
        if self._stream and stage in ("plan", "expand"):
            title = "Plan" if stage == "plan" else "Answer"
            self._out.rule(f"{title} · {markup_safe(model)}", align="left",
                           style="cyan" if stage == "plan" else "green")
            return
        self._status.update(f"{markup_safe(model)}: {_ACTIVITY[stage]}…")
        self._status.start()

    def probed(self, probe: Probe) -> None:
        if not self._stream:
            answer = markup_safe(probe.answer) if probe.answer is not None else "none yet"
            self._status.update(f"planning… {probe.after_tokens} tokens, the planner's answer so far: {answer}")

    def text(self, stage: Stage, chunk: str) -> None:
        if self._stream and stage in ("plan", "expand"):
            self._out.out(printable(chunk, lines=True), end="", highlight=False)

    def finished(self, result: StageResult) -> None:
        self._status.stop()
        if self._stream and result.stage in ("plan", "expand"):
            self._out.out("")

    def planned(self, plan: PlanResult) -> None:
        if self._stream:
            self._out.print(Text(_plan_caption(plan, self._reasoning), style="dim"))

    def close(self) -> None:
        self._status.stop()


def render_ask(console: Console, result: AskResult, *, streamed: bool = False, reasoning_planner: bool) -> None:
    """The whole result; with `streamed`, plan and answer were already printed as they came."""
    if not streamed:
        plan = result.plan
        console.print(Panel(Text(printable(plan.cot.strip() or "(empty)", lines=True)), border_style="cyan",
                            title_align="left",
                            title=f"Plan · {markup_safe(plan.stage.model)} · {_plan_caption(plan, reasoning_planner)}"))
        console.print(Panel(Text(printable(result.expansion.text or "(empty)", lines=True)), title_align="left",
                            title=f"Answer · {markup_safe(result.expansion.model)}", border_style="green"))
    final = printable(result.final_answer) if result.final_answer is not None else "(none found)"
    line = Text.assemble(("Final answer: ", "bold"), (final, "bold green"))
    if result.expansion.truncated:
        line.append(f"  (the answer was {_cut(result.expansion)[0]}: it may be incomplete)", style="bold yellow")
    console.print(line)
    console.print(agreement_line(result))
    console.print(_usage_table(result))


def agreement_line(result: AskResult) -> Text:
    """Whether the cheap answer can be trusted: the planner's probed answer against the expander's."""
    planner = None if result.plan.answer is None else printable(result.plan.answer)
    if result.agree is None:
        missing = "the planner" if planner is None else "the expander"
        return Text(f"Planner and expander: not compared ({missing} gave no answer)", style="dim")
    if result.agree:
        return Text.assemble(("Planner and expander agree", "bold green"), f" (the planner's answer: {planner})")
    if result.answered_by == "planner":
        return Text.assemble(("Planner and expander disagree", "bold yellow"),
                             f": the final answer is the planner's, {planner} (--on-disagree planner)")
    return Text.assemble(("Planner and expander disagree", "bold yellow"), f": the planner's answer is {planner}")


def _plan_caption(plan: PlanResult, reasoning_planner: bool) -> str:
    """What happened to the plan, in the words that fit the planner: only a thinking model has thinking to close."""
    adaptive = "" if isinstance(plan.budget, int) else f" ({label(plan.budget)})"
    tokens = f"{plan.stage.completion.completion_tokens}/{most_tokens(plan.budget)} tokens{adaptive}"
    probes = f"{len(plan.probes)} probe{'s' if len(plan.probes) != 1 else ''}"
    if plan.stop == "ended":
        return tokens if not adaptive else f"{tokens} · the planner ended its thinking"
    if plan.stop == "converged":
        return f"{tokens} · its answers converged after {probes}"
    if plan.stop == "agreed":
        return f"{tokens} · the expander agreed after {probes}"
    reached = "budget" if plan.stop == "budget" else "cap"
    return f"{tokens} · {reached} reached, " + ("thinking closed there" if reasoning_planner else "plan cut there")


def _usage_table(result: AskResult) -> Group | Table:
    """Stages cut short carry a `*` and a note under the table (a column for it would not fit 80)."""
    table = Table(title="Tokens (prompt in, generated out), time and relative cost", title_justify="left")
    for column in ("stage", "model", "in", "out", "seconds", "tok/s", "cost"):
        table.add_column(column, justify="left" if column in ("stage", "model") else "right", no_wrap=True)
    expansion, baseline = result.expansion, result.baseline
    for stage in result.stages:
        table.add_row(_label(stage.stage, stage) if stage.stage != "plan" else "plan", *_cells(stage))
    table.add_row(
        "hawkeye", "",
        str(result.prompt_tokens), str(result.completion_tokens), f"{result.seconds:.2f}", "", f"{result.cost:.3f}",
        style="bold",
    )
    if baseline is not None:
        table.add_row(_label("baseline", baseline.stage), *_cells(baseline.stage), end_section=True)
    cut = [stage for stage in (expansion, baseline.stage if baseline else None) if stage and stage.truncated]
    notes = Table.grid(padding=(0, 2))
    for reason in dict.fromkeys(_cut(stage) for stage in cut):  # one note per cause, in stage order
        names = " and ".join(stage.stage for stage in cut if _cut(stage) == reason)
        notes.add_row("[yellow]*[/]", f"{names} {reason[0]}: {reason[1]} for the whole output")
    if baseline is None:
        return Group(table, notes) if cut else table
    savings = result.savings
    assert savings is not None
    bound = " (lower bound)" if savings.lower_bound else ""
    summary = Table.grid(padding=(0, 2))
    summary.add_row("baseline", "the planner alone with its full chain of thought")
    summary.add_row("planner tokens saved", _percent(savings.planner_tokens) + bound)
    summary.add_row("concise CoT / full CoT", _percent(savings.cot_ratio))
    time_saved = _MISSING if savings.seconds is None or savings.speedup is None else (
        f"{_percent(savings.seconds)} ({savings.speedup:.2f}x){bound}")
    summary.add_row("time saved", time_saved)
    summary.add_row("estimated cost saved", _percent(savings.cost) + bound)
    summary.add_row("baseline's final answer", markup_safe(baseline.final_answer)
                    if baseline.final_answer is not None else "(none found)")
    if savings.lower_bound:
        summary.add_row("[yellow]note[/]", f"the baseline was {_cut(baseline.stage)[0]}, so its full cost is "
                        "higher: the savings above are lower bounds")
    return Group(table, notes, summary) if cut else Group(table, summary)


def _cut(stage: StageResult) -> tuple[str, str]:
    return CUT["context" if stage.completion.finish_reason == "context" else "length"]


def _label(name: str, stage: StageResult) -> str:
    return f"{name}[yellow]*[/]" if stage.truncated else name


def _cells(stage: StageResult) -> list[str]:
    completion = stage.completion
    rate = completion.tokens_per_second
    return [
        markup_safe(stage.model),
        str(completion.prompt_tokens),
        str(completion.completion_tokens),
        f"{completion.seconds:.2f}",
        _MISSING if rate is None else f"{rate:.1f}",
        f"{stage.cost:.3f}",
    ]


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}"
