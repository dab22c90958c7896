"""The budget's home is hawkeye_cli/budget.py; this name stays only until benchmarks/ import from there."""

from hawkeye_cli.budget import resolve as resolve
