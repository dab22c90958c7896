"""`hawkeye calibrate gsm8k|math500`: the cheapest planner budget whose accuracy stays within a tolerance of the
planner alone, measured on a development set, and saved as a profile."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from hawkeye_cli import ledger
from hawkeye_cli.cli_support import bench_run, options
from hawkeye_cli.errors import CalibrationError
from hawkeye_cli.evaluation.calibration import DEFAULT_TOLERANCE, Calibration, calibrate
from hawkeye_cli.evaluation.results import results_path
from hawkeye_cli.evaluation.runner import tasks_for
from hawkeye_cli.evaluation.tasks import BENCHMARKS, Benchmark
from hawkeye_cli.loading import Pair, default_profile
from hawkeye_cli.outputs import require_writable, writable_fix, write_each
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.reporting.bench import render_failures
from hawkeye_cli.reporting.calibrate import calibration_document, guard, render_calibration
from hawkeye_cli.reporting.console import all_but_last_printed, print_notice, print_warning, stderr, stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.reporting.plots import plot_pareto
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import ModelSpec, Registry, Role, load_registry, read_file
from hawkeye_cli.store.user_registry import save_profile, writable_user_registry

DEFAULT_BUDGETS = "64,128,256,auto,low,high"

app = typer.Typer(help="Choose the planner's budget: the cheapest setting within a tolerance of the planner alone's "
                  "accuracy.", no_args_is_help=True)


def _help(benchmark: Benchmark) -> str:
    return "\n\n".join([
        f"Run the planner alone and hawkeye at each of --budgets on {benchmark.title} problems (a development set: "
        "--data, --offset, --limit), then choose the cheapest setting whose accuracy is within --tolerance points "
        "of the planner alone's.",
        f"The guard: {guard(DEFAULT_TOLERANCE)}. --tolerance sets the {DEFAULT_TOLERANCE:g} points.",
        f"Results go to OUT/{benchmark.name}.jsonl, shared with hawkeye bench: either resumes the other, and "
        "Ctrl-C keeps every finished result. The trade-off is drawn to --plot. --save PROFILE writes the chosen "
        f"setting into your registry file ({paths.USER_REGISTRY_ENV} or the config folder's models.yaml), so "
        "that hawkeye ask -p PROFILE uses it.",
    ])


def _profile_name(value: str | None) -> str | None:
    """A name that also works in served model names (`hawkeye/NAME@budget`)."""
    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        raise typer.BadParameter(f"a profile name is letters, digits, '.', '_' and '-' (got {value!r})")
    return value


@options.model_options(without=("budget", "effort", "stop_when", "on_disagree"))
@bench_run.run_options()
def run_calibrate(
    context: typer.Context,
    budgets: Annotated[
        str, typer.Option("--budgets", help="The settings to try: budgets in tokens, auto, effort levels.")
    ] = DEFAULT_BUDGETS,
    tolerance: Annotated[
        float, typer.Option("--tolerance", min=0.0, help="Accuracy points a setting may lose against the planner "
                            "alone (as a one-sided 95 % upper bound).", callback=options.finite)
    ] = DEFAULT_TOLERANCE,
    save: Annotated[
        str | None, typer.Option("--save", metavar="PROFILE", callback=_profile_name,
                                 help="Write the chosen setting as this profile into your models.yaml.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", dir_okay=False, help="The trade-off plot (PNG).",
                                  show_default="OUT/calibrate-<benchmark>.png")
    ] = None,
    *,
    models: options.ModelOptions,
    run_options: bench_run.RunOptions,
) -> None:
    """Registered once for each benchmark of the table (calibrate gsm8k, calibrate math500)."""
    benchmark = BENCHMARKS[context.info_name or ""]
    directory = run_options.directory
    figure = plot or directory / f"calibrate-{benchmark.name}.png"
    require_writable(results_path(directory, benchmark.name), "--out")
    require_writable(figure, "--plot")
    if save is not None:
        if run_options.limit == 1:
            raise typer.BadParameter("one problem gives no bound on the accuracy lost, so --save would save nothing; "
                                     "calibrate on more problems (a few hundred for a useful bound)",
                                     param_hint="--limit")
        writable_user_registry()
    registry = load_registry()
    pair = models.pair(registry)
    decode = models.decode(pair)
    sweep = [models.decode(pair, choice).budget for choice in bench_run.parse_budgets(budgets)]
    run = bench_run.run_tasks(context, benchmark, tasks_for(["baseline", "hawkeye"], sweep),
                              run_options=run_options, pair=pair, models=models, decode=decode)
    ledger.record_baselines(run.summaries, source="calibrate", dataset=benchmark.name, max_tokens=decode.max_tokens,
                            warn=print_warning)
    calibration = calibrate(run.summaries, tolerance)
    if run_options.json_output:
        document = calibration_document(calibration, benchmark.name, dataset=run.source, results=str(run.results),
                                        problems={"offset": run_options.offset, "count": run.problems},
                                        plot=str(figure),
                                        failed=[asdict(failure) for failure in run.failed])
        print_document(document)
    else:
        render_calibration(stdout, calibration, benchmark.title)
        render_failures(stdout, run.failed)
    written, unwritten = write_each([(figure, lambda path: plot_pareto(calibration, path, benchmark.title))],
                                    writable_fix("--plot"))
    stderr.print(f"results: {run.results}{''.join(f' · {path}' for path in written)}", highlight=False,
                 soft_wrap=True)
    last = all_but_last_printed(unwritten)
    if save is not None:
        _save(calibration, save, registry, pair, models, decode, benchmark=benchmark, problems=run.problems)
    if last:
        raise last


for _benchmark in BENCHMARKS.values():
    app.command(_benchmark.name, help=_help(_benchmark))(run_calibrate)


def _save(calibration: Calibration, name: str, registry: Registry, pair: Pair, models: options.ModelOptions,
          decode: DecodeSettings, *, benchmark: Benchmark, problems: int) -> None:
    """The chosen setting as profile `name`: the models as they were named, the budget with its cap, and the
    answer cap it was measured under."""
    if calibration.chosen is None:
        raise CalibrationError(f"nothing saved as profile {name}: no setting qualified",
                               fix="see the table; try more problems, larger budgets or a larger --tolerance")
    budget = calibration.chosen.summary.budget
    settings: dict[str, Any] = {"budget": budget}
    if isinstance(budget, str):
        settings["max_budget"] = decode.max_budget
    settings["max_tokens"] = decode.max_tokens
    settings["description"] = (f"calibrated by hawkeye calibrate on {benchmark.title} ({problems} problems), within "
                               f"{calibration.tolerance:g} points of the planner alone, {date.today().isoformat()}")
    roles: dict[Role, tuple[str, ModelSpec]] = {"planner": (models.planner or pair.profile.planner, pair.planner),
             "expander": (models.expander or pair.profile.expander, pair.expander)}
    default = default_profile(registry).name
    path = save_profile(registry, name, roles, settings)
    stderr.print(f"saved profile {name} (budget {budget}) in {path}: hawkeye ask -p {name} uses it", highlight=False,
                 soft_wrap=True)
    if name in (read_file(paths.bundled_registry()).get("profiles") or {}):
        everywhere = ", and every hawkeye ask without -p, which uses it" if name == default else ""
        print_notice(f"{name} is a bundled profile: these settings now replace its own wherever it is used"
                     f"{everywhere}; delete profiles.{name} from {path} to go back to them")
