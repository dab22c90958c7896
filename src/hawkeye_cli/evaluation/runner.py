"""The bench loop: every selected problem through every mode, each result stored the moment it exists.

Problems go one at a time through all modes (rather than one mode over all problems), so an interrupted run
still holds paired results that the summary can compare. Both models stay loaded for the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

from hawkeye_cli.budget import Adaptive, Budget, value
from hawkeye_cli.errors import ContextOverflowError, DataError, RemoteError, RequestError
from hawkeye_cli.evaluation.datasets import Problem
from hawkeye_cli.evaluation.results import (
    MODES,
    BenchResults,
    BudgetValue,
    ItemResult,
    Key,
    Mode,
    budget_order,
    result_key,
    task_label,
)
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.collaborate import DEFAULT_ON_DISAGREE, OnDisagree
from hawkeye_cli.scoring.verdict import NO_OUTPUT, score
from hawkeye_cli.store.registry import ModelSpec


@dataclass(frozen=True)
class Setup:
    """What, besides the problem and the task, decides a result: rows made otherwise are not reused."""

    planner: str
    expander: str
    seed: int
    temperature: float
    max_tokens: int
    on_disagree: OnDisagree = DEFAULT_ON_DISAGREE

    @classmethod
    def of(cls, planner: ModelSpec, expander: ModelSpec, decode: DecodeSettings) -> Setup:
        return cls(planner.alias, expander.alias, decode.sampling.seed, decode.sampling.temperature,
                   decode.max_tokens, decode.on_disagree)


@dataclass(frozen=True)
class Task:
    """A mode, with the planner budget when the mode is hawkeye."""

    mode: Mode
    budget: Budget | None = None

    @property
    def budget_value(self) -> BudgetValue:
        """The budget as results store it: its tokens, or its name."""
        return None if self.budget is None else value(self.budget)

    @property
    def label(self) -> str:
        return task_label(self.mode, self.budget_value)

    @property
    def cap(self) -> int | None:
        """The adaptive stop's cap: rows made under another --max-budget are other work."""
        return self.budget.cap if isinstance(self.budget, Adaptive) else None


def tasks_for(modes: Sequence[Mode], budgets: Sequence[Budget]) -> list[Task]:
    """In the canonical order baseline, hawkeye (fixed budgets ascending, then the adaptive ones by cap),
    expander; duplicates dropped."""
    tasks: list[Task] = []
    for mode in MODES:
        if mode == "hawkeye" and mode in modes:
            ordered = sorted({Task(mode, budget) for budget in budgets},
                             key=lambda task: budget_order(task.budget_value, task.cap))
            tasks.extend(ordered)
        elif mode in modes:
            tasks.append(Task(mode))
    return tasks


def run_item(collaboration: Collaboration, decode: DecodeSettings, setup: Setup, problem: Problem,
             task: Task) -> ItemResult:
    """Solve one problem in one mode and score it against the gold answer (scoring.verdict: all three metrics);
    a request that failed for this item's own reason (a question too long for the context, a request the engine
    rejected or cut short) gives a failed row that says why, which a resumed run retries. Any other engine error
    is raised: every further item would fail the same way."""
    started = time.perf_counter()
    identity: dict[str, Any] = {
        "index": problem.index, "mode": task.mode, "budget": task.budget_value,
        "cap": task.cap, "planner": setup.planner,
        "expander": setup.expander, "seed": setup.seed, "temperature": setup.temperature,
        "max_tokens": setup.max_tokens, "question_sha": problem.question_sha, "gold": problem.gold,
        "on_disagree": setup.on_disagree if task.mode == "hawkeye" else None,
    }
    try:
        outcome: dict[str, Any] = _solve(collaboration, decode, problem, task)
    except (RequestError, ContextOverflowError) as exc:
        outcome = {"verdict": NO_OUTPUT, "stages": {}, "cot_tokens": None, "truncated": None,
                   "error": exc.one_line()}
    return ItemResult(**identity, **outcome, seconds=time.perf_counter() - started)


def _solve(collaboration: Collaboration, decode: DecodeSettings, problem: Problem, task: Task) -> dict[str, Any]:
    """The outputs of one item and how they scored, as ItemResult fields."""
    truncated: bool | None = None
    adaptive: dict[str, Any] = {}
    if task.mode == "baseline":
        baseline = collaboration.baseline(problem.question, decode)
        stages = [baseline.stage]
        scored, cot_tokens = baseline.answer or baseline.cot, baseline.cot_tokens
    elif task.mode == "hawkeye":
        assert task.budget is not None
        result = collaboration.ask(problem.question, replace(decode, budget=task.budget))
        stages = result.stages
        scored, cot_tokens = result.text, result.plan.stage.completion.completion_tokens
        truncated = result.plan.budget_reached
        adaptive = {"stop": result.plan.stop, "agree": result.agree, "probes": len(result.plan.probes),
                    "answered_by": result.answered_by}
    else:
        solo = collaboration.solo(problem.question, decode)
        stages, scored, cot_tokens = [solo], solo.text, None
    return {"verdict": score(scored, problem.gold), "stages": {stage.stage: stage.to_dict() for stage in stages},
            "cot_tokens": cot_tokens, "truncated": truncated, **adaptive}


class Bench:
    """A selection of problems x tasks under one setup, resuming from the rows already in its results file."""

    def __init__(self, setup: Setup, problems: Sequence[Problem], tasks: Sequence[Task],
                 results_file: BenchResults) -> None:
        self.setup = setup
        self.problems = problems
        self.tasks = tasks
        self.results_file = results_file
        self.saved: list[ItemResult] = []
        """Rows computed by this run, failed ones included (a resumed run retries those)."""
        for problem in problems:
            for task in tasks:
                self._check_resumable(problem, task, self.results_file.rows.get(self.key(problem, task)))

    def key(self, problem: Problem, task: Task) -> Key:
        s = self.setup
        return result_key(problem.index, task.mode, task.budget_value, s.planner, s.expander, s.seed)

    def results(self, task: Task | None = None) -> list[ItemResult]:
        """Rows of this selection already in the results file (all tasks, or one)."""
        return [
            self.results_file.rows[key]
            for problem in self.problems
            for t in ([task] if task else self.tasks)
            if (key := self.key(problem, t)) in self.results_file
        ]

    def pending(self) -> int:
        """Rows of this selection not in the results file yet."""
        return len(self.problems) * len(self.tasks) - len(self.results())

    def run(self, collaboration: Collaboration, decode: DecodeSettings,
            on_result: Callable[[Task, ItemResult], None] | None = None, *, concurrency: int = 1) -> None:
        """Compute and store every missing row with `collaboration` (loaded once, for the whole run).

        With `concurrency` > 1, up to that many items are in flight at once: a serving engine batches them, while
        a local llama.cpp model still runs one request at a time. Only this thread writes rows, as items finish;
        greedy rows do not depend on that order. On Ctrl-C, or an error that is not one item's (an engine that
        cannot be reached, times out or fails), no further item starts; those in flight finish and are saved.
        """
        try:
            self._compute(collaboration, decode, on_result, concurrency)
        except RemoteError as exc:
            saved = len(self.saved)
            raise RemoteError(f"{exc.message} (the run stopped there; {saved} new result{'s' if saved != 1 else ''} "
                              f"saved in {self.results_file.path})",
                              fix=f"{exc.fix or 'check the engine'}, then run the same command again: it resumes") \
                from exc

    def _compute(self, collaboration: Collaboration, decode: DecodeSettings,
                 on_result: Callable[[Task, ItemResult], None] | None, concurrency: int) -> None:
        todo = [(p, t) for p in self.problems for t in self.tasks if self.key(p, t) not in self.results_file]
        if concurrency == 1:
            for problem, task in todo:
                self._save(task, run_item(collaboration, decode, self.setup, problem, task), on_result)
            return
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench") as pool:
            futures: dict[Future[ItemResult], Task] = {
                pool.submit(run_item, collaboration, decode, self.setup, problem, task): task
                for problem, task in todo
            }
            saved: set[Future[ItemResult]] = set()
            try:
                for future in as_completed(futures):
                    self._save(futures[future], future.result(), on_result)
                    saved.add(future)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                for future, task in futures.items():
                    if future not in saved and not future.cancelled() and future.exception() is None:
                        self._save(task, future.result(), on_result)
                raise

    def _save(self, task: Task, row: ItemResult, on_result: Callable[[Task, ItemResult], None] | None) -> None:
        self.results_file.append(row)
        self.saved.append(row)
        if on_result is not None:
            on_result(task, row)

    def _check_resumable(self, problem: Problem, task: Task, row: ItemResult | None) -> None:
        """A stored row only counts for the same question asked the same way."""
        if row is None:
            return
        if row.question_sha != problem.question_sha:
            raise DataError(
                f"{self.results_file.path} holds results for a different problem #{problem.index} (another data file?)",
                fix="use another --out directory for this data",
            )
        if row.cap != task.cap:
            raise DataError(f"{self.results_file.path} holds {task.label} results made with --max-budget {row.cap}",
                            fix="resume with that --max-budget, or use another --out directory")
        if task.mode == "hawkeye" and (row.on_disagree or "keep") != self.setup.on_disagree:
            raise DataError(f"{self.results_file.path} holds {task.label} results made with --on-disagree "
                            f"{row.on_disagree or 'keep'}",
                            fix="resume with that --on-disagree, or use another --out directory")
        if (row.temperature, row.max_tokens) != (self.setup.temperature, self.setup.max_tokens):
            raise DataError(
                f"{self.results_file.path} holds results made with --temperature {row.temperature} "
                f"--max-tokens {row.max_tokens}",
                fix="resume with those settings, or use another --out directory",
            )
