"""The calibration's choice on summaries of known accuracy: the cheapest setting whose one-sided 95 % upper bound
of the accuracy lost stays within the tolerance; none when none does; the Pareto front."""

from __future__ import annotations

import math

import pytest

from hawkeye_cli.errors import CalibrationError
from hawkeye_cli.evaluation.calibration import Z_95, calibrate, loss_bound, pareto_front
from hawkeye_cli.evaluation.metrics import Latency, Rate, Summary
from hawkeye_cli.evaluation.results import BudgetValue, Mode


def summary(mode: Mode, budget: BudgetValue, accuracy: float, stderr: float | None, tokens: float,
            seconds: float = 1.0, n: int = 500) -> Summary:
    rate = Rate(accuracy, stderr)
    return Summary(mode=mode, budget=budget, planner="p", expander="e", seed=0, n=n, accuracy=rate, strict=rate,
                   flexible=rate, stages={}, mean_tokens=tokens, mean_seconds=seconds, total_seconds=n * seconds,
                   tokens_per_second=tokens / seconds, mean_cost=tokens / 1000, speedup=None, cot_ratio=None,
                   cost_saving=None, ttft=Latency.of([seconds]), latency=Latency.of([seconds]))


BASELINE = summary("baseline", None, 0.80, 0.002, tokens=1000, seconds=10)


def test_the_cheapest_setting_within_the_bound_is_chosen() -> None:
    settings = [
        summary("hawkeye", 64, 0.70, 0.002, tokens=100),    # 10 points lost: out
        summary("hawkeye", 128, 0.79, 0.002, tokens=200),   # 1 point lost, bound 1.47: in, and the cheapest in
        summary("hawkeye", 256, 0.80, 0.002, tokens=300),   # nothing lost: in, but dearer
        summary("hawkeye", "auto", 0.795, 0.01, tokens=150),  # cheaper, 0.5 points lost, but bound 2.18: out
    ]
    calibration = calibrate([BASELINE, *settings], tolerance=2)
    by_budget = {c.summary.budget: c for c in calibration.candidates}
    assert [c.qualifies for c in calibration.candidates] == [False, True, True, False]
    assert calibration.chosen is by_budget[128]
    assert by_budget[128].loss == pytest.approx(1.0)
    assert by_budget[128].bound == pytest.approx(1 + Z_95 * math.sqrt(2) * 0.2)  # 1.465
    assert by_budget["auto"].loss == pytest.approx(0.5) and by_budget["auto"].loss < 2  # measured: within...
    assert by_budget["auto"].bound == pytest.approx(0.5 + Z_95 * math.hypot(0.2, 1.0))  # ...bounded: not (2.18)
    assert round(Z_95, 3) == 1.645


def test_a_larger_tolerance_admits_the_cheaper_settings() -> None:
    settings = [summary("hawkeye", 128, 0.79, 0.002, tokens=200), summary("hawkeye", "auto", 0.795, 0.01, tokens=150)]
    calibration = calibrate([BASELINE, *settings], tolerance=2.5)
    assert calibration.chosen is not None and calibration.chosen.summary.budget == "auto"


def test_equal_tokens_are_decided_by_seconds() -> None:
    settings = [summary("hawkeye", "high", 0.80, 0.002, tokens=200, seconds=3),
                summary("hawkeye", "low", 0.80, 0.002, tokens=200, seconds=2)]
    chosen = calibrate([BASELINE, *settings]).chosen
    assert chosen is not None and chosen.summary.budget == "low"


def test_a_bound_equal_to_the_tolerance_qualifies() -> None:
    exact = summary("hawkeye", 64, 0.78, 0.0, tokens=100)  # 0.80 - 0.78 is 2.0000000000000018 points in floats
    calibration = calibrate([summary("baseline", None, 0.80, 0.0, tokens=1000), exact], tolerance=2)
    assert calibration.chosen is not None and calibration.chosen.summary is exact


def test_none_qualifies_and_the_closest_is_suggested() -> None:
    settings = [summary("hawkeye", 64, 0.50, 0.02, tokens=100), summary("hawkeye", 256, 0.75, 0.02, tokens=300),
                summary("hawkeye", "auto", 0.75, 0.02, tokens=250)]
    calibration = calibrate([BASELINE, *settings], tolerance=2)
    assert calibration.chosen is None and not any(c.qualifies for c in calibration.candidates)
    assert calibration.closest is not None and calibration.closest.summary.budget == "auto"  # least lost, cheaper


def test_accuracy_gained_qualifies_when_bounded() -> None:
    better = summary("hawkeye", 64, 0.85, 0.002, tokens=100)
    assert calibrate([BASELINE, better]).candidates[0].loss == pytest.approx(-5.0)
    assert calibrate([BASELINE, better]).chosen is not None


def test_one_item_has_no_standard_error_and_so_no_bound() -> None:
    one = summary("hawkeye", 64, 1.0, None, tokens=100, n=1)
    assert loss_bound(summary("baseline", None, 1.0, None, tokens=1000, n=1), one) is None
    calibration = calibrate([summary("baseline", None, 1.0, None, tokens=1000, n=1), one])
    assert calibration.chosen is None and calibration.candidates[0].bound is None


def test_without_the_planner_alone_there_is_nothing_to_compare_with() -> None:
    with pytest.raises(CalibrationError, match="no result of the planner alone"):
        calibrate([summary("hawkeye", 64, 0.8, 0.01, tokens=100)])


def test_expander_alone_rows_are_no_candidates() -> None:
    calibration = calibrate([BASELINE, summary("expander", None, 0.8, 0.002, tokens=10),
                             summary("hawkeye", 64, 0.8, 0.002, tokens=100)])
    assert [c.summary.mode for c in calibration.candidates] == ["hawkeye"]


def test_pareto_front_keeps_what_nothing_beats_on_both_counts() -> None:
    cheap = summary("hawkeye", 64, 0.60, 0.01, tokens=100, seconds=5)
    mid = summary("hawkeye", 128, 0.75, 0.01, tokens=200, seconds=2)
    beaten = summary("hawkeye", 256, 0.70, 0.01, tokens=300, seconds=3)  # mid is cheaper and better
    best = summary("baseline", None, 0.80, 0.01, tokens=1000, seconds=10)
    points = [best, beaten, mid, cheap]
    assert pareto_front(points, lambda s: s.mean_tokens) == [cheap, mid, best]
    assert pareto_front(points, lambda s: s.mean_seconds) == [mid, best]  # by seconds, mid beats cheap too
