"""How the ledger looks: the latest entries and the totals as Rich tables, or as JSON documents. Every saving
says whether it was measured or estimated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hawkeye_cli.ledger.database import Logged, Totals
from hawkeye_cli.ledger.entries import SAVING_KINDS
from hawkeye_cli.reporting.console import markup_safe
from hawkeye_cli.terminal import printable

_MISSING = "—"
SAVING_NOTE = ("measured: against the planner alone on the same question (ask --compare); estimated: against "
               "the planner alone's mean per item in its latest bench or calibrate; no saving is claimed without "
               "either. Cost in the registry's relative units.")


def entries_document(logged: Sequence[Logged]) -> dict[str, Any]:
    return {"entries": [_entry_json(item) for item in logged]}


def _entry_json(item: Logged) -> dict[str, Any]:
    entry = item.entry
    return {
        "id": item.id,
        "datetime_utc": item.when.isoformat(),
        "source": entry.source,
        "profile": entry.profile,
        "models": {"planner": entry.planner, "expander": entry.expander},
        "budget": entry.budget,
        "effort": entry.effort,
        "settings": {"max_tokens": entry.max_tokens, "temperature": entry.temperature, "seed": entry.seed},
        "question": entry.question,
        "plan": entry.plan,
        "answer": entry.answer,
        "final_answer": entry.final_answer,
        "stop_reason": entry.stop_reason,
        "agree": entry.agree,
        "stages": [asdict(stage) for stage in entry.stages],
        "generated": {"tokens": entry.tokens, "seconds": entry.seconds, "cost": entry.cost},
        "saving": None if item.saving is None else _saving_json(item),
    }


def _saving_json(item: Logged) -> dict[str, Any]:
    saving = item.saving
    assert saving is not None
    against: dict[str, Any] = {"source": "compare"}  # the baseline stage, among the stages
    if item.baseline is not None:
        against = {key: value for key, value in asdict(item.baseline).items() if key != "id"}
    return {"kind": saving.kind, "tokens": saving.tokens, "seconds": saving.seconds, "cost": saving.cost,
            "lower_bound": saving.lower_bound, "against": against}


def render_entries(console: Console, logged: Sequence[Logged], *, where: str) -> None:
    """A few lines per entry, as wide as the terminal: heading, question, final answer, stages, saving. What a
    client or a model wrote is shown with its control characters made visible (terminal.printable)."""
    if not logged:
        console.print(f"No entries in {where}.", highlight=False, soft_wrap=True)
        return
    for item in logged:
        entry = item.entry
        budget = f" · effort {entry.effort}" if entry.effort else f" · budget {entry.budget}" if entry.budget else ""
        console.print(Text.assemble(
            (f"#{item.id} ", "bold"), printable(f"{item.when.astimezone():%Y-%m-%d %H:%M} · {entry.source} · "
                                                f"{entry.profile} ({entry.planner} → {entry.expander}){budget}")),
            soft_wrap=True)
        console.print(Text.assemble(("  Q: ", "cyan"), printable(" ".join(entry.question.split()))), soft_wrap=True)
        console.print(Text.assemble(("  A: ", "green"), printable(entry.final_answer or _MISSING)), soft_wrap=True)
        stages = " · ".join(f"{stage.stage} {stage.completion_tokens} tok {stage.seconds:.2f}s"
                            for stage in entry.stages)
        console.print(Text(printable(f"  {stages}"), style="dim"), soft_wrap=True)
        console.print(Text(printable(f"  saved: {_saving_text(item)}")), soft_wrap=True)
    console.print(Text(SAVING_NOTE, style="dim"))


def _saving_text(item: Logged) -> str:
    saving = item.saving
    if saving is None:
        return f"{_MISSING} (no --compare, and no bench of {item.entry.planner} to estimate from)"
    seconds = "" if saving.seconds is None else f", {saving.seconds:,.2f} s"
    against = "the planner alone on this question"
    if item.baseline is not None:
        baseline = item.baseline
        against = f"{baseline.source} {baseline.dataset}, {baseline.n} items, {(baseline.recorded_utc or '')[:10]}"
    bound = ", a lower bound" if saving.lower_bound else ""
    return f"{saving.tokens:,.0f} tok{seconds}, {saving.cost:,.3f} cost ({saving.kind}: {against}{bound})"


def stats_document(profiles: Sequence[Totals]) -> dict[str, Any]:
    return {"profiles": [_totals_json(totals) for totals in profiles],
            "overall": _totals_json(Totals.overall(profiles))}


def _totals_json(totals: Totals) -> dict[str, Any]:
    return {"profile": totals.profile, "questions": totals.questions,
            "generated": {"tokens": totals.tokens, "seconds": totals.seconds, "cost": totals.cost},
            "saved": {kind: asdict(saved) for kind, saved in totals.saved.items()}}


def render_stats(console: Console, profiles: Sequence[Totals], *, where: str) -> None:
    if not profiles:
        console.print(f"No entries in {where}.", highlight=False, soft_wrap=True)
        return
    table = Table(title=f"hawkeye logs stats · {where}", title_justify="left", caption=SAVING_NOTE,
                  caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("profile", no_wrap=True)
    for header in ("questions", "tokens\ngenerated"):
        table.add_column(header, justify="right")
    table.add_column("saving", no_wrap=True)
    for header in ("questions", "tokens\nsaved", "seconds\nsaved", "cost\nsaved"):
        table.add_column(header, justify="right")
    rows = [*profiles, Totals.overall(profiles)] if len(profiles) > 1 else list(profiles)
    for position, totals in enumerate(rows):
        for kind in SAVING_KINDS:
            saved = totals.saved[kind]
            first = kind == SAVING_KINDS[0]
            table.add_row(markup_safe(totals.profile) if first else "", f"{totals.questions:,}" if first else "",
                          f"{totals.tokens:,}" if first else "", kind, f"{saved.questions:,}",
                          f"{saved.tokens:,.0f}", f"{saved.seconds:,.2f}", f"{saved.cost:,.3f}",
                          end_section=kind == SAVING_KINDS[-1] and position < len(rows) - 1)
    console.print(table)
