"""hawkeye: efficient reasoning by model collaboration (a planner thinks briefly, an expander answers)."""

__version__ = "0.1.0"
