"""How an `ask` result looks: Rich panels and a savings table, or one JSON document."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hawkeye_cli.engine import Pair
from hawkeye_cli.pipeline import AskResult, DecodeSettings, StageResult


def profile_notice(pair: Pair) -> str | None:
    """Said when hawkeye fell back to the demo models, so nobody mistakes their quality for the method's."""
    if not (pair.chosen_by_default and pair.profile.demo):
        return None
    return (
        f"Using profile '{pair.profile.name}' (embedded offline models; quality is demo-grade). "
        "For the paper's models: hawkeye pull --profile paper"
    )


def ask_document(result: AskResult, pair: Pair, decode: DecodeSettings) -> dict[str, Any]:
    return {
        "profile": pair.profile.name,
        "models": {"planner": pair.planner.alias, "expander": pair.expander.alias},
        "settings": {"max_tokens": decode.max_tokens, "temperature": decode.temperature, "seed": decode.seed},
        **result.to_dict(),
    }


def render_plan(console: Console, plan: StageResult, budget: int, truncated: bool) -> None:
    forced = " · budget reached, thinking forced closed" if truncated else ""
    console.print(
        Panel(
            Text(plan.text.strip() or "(empty)"),
            title=f"Plan · {plan.model} · {plan.completion_tokens}/{budget} tokens{forced}",
            title_align="left",
            border_style="cyan",
        )
    )


def render_ask(console: Console, result: AskResult, *, streamed: bool = False) -> None:
    """The whole result; with `streamed`, plan and answer were already printed as they came."""
    if not streamed:
        render_plan(console, result.plan, result.budget, result.truncated)
        console.print(
            Panel(Text(result.expansion.text or "(empty)"), title=f"Answer · {result.expansion.model}",
                  title_align="left", border_style="green")
        )
    final = result.final_answer if result.final_answer is not None else "(none found)"
    console.print(Text.assemble(("Final answer: ", "bold"), (final, "bold green")))
    console.print(_usage_table(result))


def _usage_table(result: AskResult) -> Group | Table:
    table = Table(title="Tokens (prompt in, generated out), time and relative cost", title_justify="left")
    for column in ("stage", "model", "in", "out", "seconds", "tok/s", "cost"):
        table.add_column(column, justify="left" if column in ("stage", "model") else "right", no_wrap=True)
    for label, stage in (("plan", result.plan), ("expand", result.expansion)):
        table.add_row(label, *_cells(stage))
    table.add_row(
        "hawkeye",
        "",
        str(result.plan.prompt_tokens + result.expansion.prompt_tokens),
        str(result.plan.completion_tokens + result.expansion.completion_tokens),
        f"{result.seconds:.2f}",
        "",
        f"{result.plan.cost + result.expansion.cost:.3f}",
        style="bold",
    )
    if result.baseline is None:
        return table
    table.add_row("baseline", *_cells(result.baseline.stage), end_section=True)
    savings = result.savings
    assert savings is not None
    summary = Table.grid(padding=(0, 2))
    summary.add_row("baseline", "the planner alone with its full chain of thought")
    summary.add_row("planner tokens saved", _percent(savings.planner_tokens))
    summary.add_row("concise CoT / full CoT", _percent(savings.cot_ratio))
    summary.add_row("time saved", f"{_percent(savings.seconds)} ({savings.speedup:.2f}x)")
    summary.add_row("estimated cost saved", _percent(savings.cost))
    baseline_answer = result.baseline.final_answer if result.baseline.final_answer is not None else "(none found)"
    summary.add_row("baseline's final answer", baseline_answer)
    return Group(table, summary)


def _cells(stage: StageResult) -> list[str]:
    return [
        stage.model,
        str(stage.prompt_tokens),
        str(stage.completion_tokens),
        f"{stage.seconds:.2f}",
        f"{stage.tokens_per_second:.1f}",
        f"{stage.cost:.3f}",
    ]


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}"
