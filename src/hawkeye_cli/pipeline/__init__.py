"""plan → expand: the planner writes a concise chain of thought, the expander writes the full answer."""

from hawkeye_cli.pipeline.collaborate import Collaboration, DecodeSettings, Observer, expand
from hawkeye_cli.pipeline.results import AskResult, BaselineResult, PlanResult, Savings, StageResult

__all__ = ["AskResult", "BaselineResult", "Collaboration", "DecodeSettings", "Observer", "PlanResult", "Savings",
           "StageResult", "expand"]
