"""How a bench looks: live progress bars on stderr, summary tables, and the same summary as JSON."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, astuple, fields
from itertools import groupby
from types import TracebackType
from typing import Any, TypedDict

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from hawkeye_cli.evaluation.metrics import Failures, Latency, Rate, Summary
from hawkeye_cli.evaluation.results import ItemResult
from hawkeye_cli.evaluation.runner import Task
from hawkeye_cli.reporting.console import markup_safe

_MISSING = "—"
# Which model ran a stage; the table's title names the models (their names are too long for 80 columns).
_ROLES = {"baseline": "planner", "plan": "planner", "probe": "planner", "check": "expander", "expand": "expander",
          "first_expand": "expander", "solve": "planner", "solo": "expander"}

LATENCY_DEFINITION = (
    "TTFT: seconds to the first token of the answer: the expander's own first token, or the baseline's (of its "
    "thinking, for a reasoning planner); for hawkeye, the expander's first token after the plan, its probes and "
    "checks. latency: the seconds of an item's model calls. Percentiles interpolate linearly between items, as "
    "vllm bench serve's (numpy.percentile).")

# Items take seconds to minutes, so the ETA averages over the whole run rather than Rich's last 30 s.
_ETA_WINDOW_S = 24 * 3600


class _Fields(TypedDict):
    """The progress bars' own columns."""

    accuracy: str
    speed: str


class BenchProgress:
    """One bar per mode (and budget): items done, running accuracy, tokens/s, ETA."""

    def __init__(self, console: Console, tasks: Sequence[Task], total: int, done: dict[Task, list[ItemResult]]) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("acc {task.fields[accuracy]}"),
            TextColumn("{task.fields[speed]} tok/s"),
            TimeRemainingColumn(),
            console=console,
            speed_estimate_period=_ETA_WINDOW_S,
            refresh_per_second=2,
        )
        self._rows = {task: list(done.get(task, [])) for task in tasks}
        self._resumed = sum(map(len, self._rows.values()))
        self._pending = len(tasks) * total - self._resumed
        self._started = time.perf_counter()
        self._console = console
        self._ids: dict[Task, TaskID] = {
            task: self._progress.add_task(task.label, total=total, completed=len(rows), **self._fields(rows))
            for task, rows in self._rows.items()
        }

    def __enter__(self) -> BenchProgress:
        self._started = time.perf_counter()
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def advance(self, task: Task, row: ItemResult) -> None:
        rows = self._rows[task]
        rows.append(row)
        self._progress.update(self._ids[task], advance=1, **self._fields(rows))
        self._pending -= 1
        if self._pending and sum(map(len, self._rows.values())) - self._resumed == 1:
            self._estimate(time.perf_counter() - self._started)

    def _estimate(self, first: float) -> None:
        """Said once, after the first item: a full GSM8K run on a CPU takes hours, and nothing should hide that."""
        left = first * self._pending
        self._console.print(f"first item took {first:.1f} s; {self._pending} more at that pace ≈ "
                            f"{_duration(left)} (items differ: the bars' ETA improves as they go)", highlight=False)

    @staticmethod
    def _fields(rows: list[ItemResult]) -> _Fields:
        rows = [row for row in rows if not row.failed]
        if not rows:
            return {"accuracy": f"{_MISSING:>5}", "speed": f"{_MISSING:>3}"}
        seconds = sum(row.model_seconds for row in rows)
        speed = sum(row.tokens for row in rows) / seconds if seconds > 0 else 0.0
        return {"accuracy": f"{sum(row.correct for row in rows) / len(rows):5.1%}", "speed": f"{speed:3.0f}"}


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def render_summary(console: Console, summaries: Sequence[Summary], title: str, failed: Sequence[Failures] = (),
                   run: dict[str, Any] | None = None) -> None:
    """Per planner/expander/seed: accuracy and time per mode, then tokens and cost per mode and stage; then the
    failed items and the run's throughput."""
    for (planner, expander, seed), group in groupby(summaries, key=lambda s: (s.planner, s.expander, s.seed)):
        rows = list(group)
        console.print(_accuracy_table(rows, f"{title} · planner {markup_safe(planner)} + expander "
                                            f"{markup_safe(expander)} · seed {seed}"))
        console.print(_latency_table(rows))
        console.print(_tokens_table(rows))
        if any(summary.stops for summary in rows):
            console.print(_stops_table(rows))
        cut = _cut_stages(rows)
        if cut:
            console.print(cut, style="yellow", highlight=False)
    render_failures(console, failed)
    if run:
        console.print(f"throughput: {run['items']} items in {run['wall_seconds']:.1f} s at concurrency "
                      f"{run['concurrency']}: {run['items_per_second']:.2f} items/s, {run['tokens_per_second']:.1f} "
                      "generated tokens/s (latency and speedup above are per item)", highlight=False)


def render_failures(console: Console, failed: Sequence[Failures]) -> None:
    for failure in failed:
        console.print(f"[bold red]{markup_safe(failure.label)}: {failure.count} item(s) failed[/] (not scored; run "
                      f"the same command again to retry them), e.g. {markup_safe(failure.example)}", highlight=False)


def summary_document(summaries: Sequence[Summary], benchmark: str, failed: Sequence[Failures] = (),
                     **meta: Any) -> dict[str, Any]:
    """The summary as JSON-ready data (`--json`, OUT/<benchmark>.summary.json); `meta` says what was run.

    Per summary: `accuracy` is Math-Verify's (the primary metric), `strict` and `flexible` lm-eval's
    strict-match and flexible-extract; each a value and its standard error. `failed`: items whose requests
    failed, not scored.
    """
    return {"benchmark": benchmark, **meta, "summaries": [{"label": s.label, **asdict(s)} for s in summaries],
            "failed": [asdict(f) for f in failed], "latency_definition": LATENCY_DEFINITION}


def _accuracy_table(summaries: list[Summary], title: str) -> Table:
    table = _table(title, "accuracy: Math-Verify (the primary metric) ± standard error; strict, flex: "
                   "lm-eval's strict-match and flexible-extract (their standard errors are in --json). "
                   "s/item: latency, the seconds of an item's model calls. speedup: baseline latency / this "
                   "latency, on the problems both ran.")
    for column in ("mode", "n", "accuracy", "strict", "flex", "s/item", "total s", "speedup"):
        table.add_column(column, justify="left" if column == "mode" else "right", no_wrap=True)
    for s in summaries:
        speedup = _MISSING if s.speedup is None else f"{s.speedup:.2f}x"
        table.add_row(s.label, str(s.n), format_rate(s.accuracy), f"{s.strict.value:.1%}",
                      f"{s.flexible.value:.1%}", f"{s.mean_seconds:.2f}",
                      f"{s.total_seconds:.1f}", speedup)
    return table


def _latency_table(summaries: list[Summary]) -> Table:
    table = _table("Latency per item, in seconds", LATENCY_DEFINITION)
    table.add_column("mode", no_wrap=True)
    for measure in ("TTFT", "latency"):
        for point in fields(Latency):
            table.add_column(f"{measure}\n{point.name}", justify="right", no_wrap=True)
    for s in summaries:
        table.add_row(s.label, *(f"{seconds:.2f}" for latency in (s.ttft, s.latency) for seconds in astuple(latency)))
    return table


def _tokens_table(summaries: list[Summary]) -> Table:
    table = _table("Generated tokens per item, and cost",
                   "CoT kept: concise CoT tokens / the planner's full CoT tokens (the paper's 35%). "
                   "cost saving: against the baseline, with the registry's relative prices per token.")
    for column in ("mode", "stage (model)", "mean", "median", "CoT kept", "cost saving"):
        table.add_column(column, justify="left" if column in ("mode", "stage (model)") else "right", no_wrap=True)
    for s in summaries:
        cot = _MISSING if s.cot_ratio is None else f"{s.cot_ratio:.0%}"
        saving = _MISSING if s.cost_saving is None else f"{s.cost_saving:.0%}"
        for position, (stage, stats) in enumerate(s.stages.items()):
            first = position == 0
            table.add_row(s.label if first else "", f"{stage} ({_ROLES[stage]})", f"{stats.mean:.1f}",
                          f"{stats.median:.1f}", cot if first else "", saving if first else "")
    return table


def _stops_table(summaries: list[Summary]) -> Table:
    table = _table("Why the planner stopped, and whether the two models agree",
                   "agree: the planner's probed answer equals the expander's final answer (Math-Verify), of the "
                   "items where both gave one; accuracy of the items where they agree and where they do not.")
    for column in ("mode", "stops", "agree", "acc. agree", "acc. disagree"):
        table.add_column(column, justify="left" if column in ("mode", "stops") else "right")
    for s in summaries:
        if not s.stops:
            continue
        agreement = s.agreement
        table.add_row(s.label, ", ".join(f"{reason} {count}" for reason, count in sorted(s.stops.items())),
                      _MISSING if agreement is None else format_rate(agreement.share),
                      _MISSING if agreement is None or agreement.accuracy_agreeing is None
                      else format_rate(agreement.accuracy_agreeing),
                      _MISSING if agreement is None or agreement.accuracy_disagreeing is None
                      else format_rate(agreement.accuracy_disagreeing))
    return table


def _cut_stages(summaries: list[Summary]) -> str | None:
    """Which stages were cut short, and how often: their answers may be missing, and a cut baseline would have
    cost more, so the savings against it are lower bounds. A plan cut at its budget is the method, not a cut, and
    a probe or a check reads only the start of an answer."""
    cut = [(s, stage, stats.cut) for s in summaries for stage, stats in s.stages.items()
           if stats.cut and stage not in ("plan", "probe", "check")]
    if not cut:
        return None
    counts = ", ".join(f"{s.label if stage in (s.label, 'solo') else f'{s.label} {stage}'} {count}/{s.n}"
                       for s, stage, count in cut)
    baseline = any(stage == "baseline" for _, stage, _ in cut)
    return (f"cut short at --max-tokens or the context: {counts}"
            + ("; a full baseline would cost more, so speedups and cost savings are lower bounds" if baseline else ""))


def _table(title: str, caption: str) -> Table:
    return Table(title=title, title_justify="left", caption=caption, caption_justify="left", box=box.SIMPLE_HEAD)


def format_rate(rate: Rate) -> str:
    stderr = "" if rate.stderr is None else f" ± {rate.stderr:.1%}"
    return f"{rate.value:.1%}{stderr}"
