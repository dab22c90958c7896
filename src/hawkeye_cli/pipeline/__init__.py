"""plan → expand: the planner writes a concise chain of thought, the expander writes the full answer."""

from hawkeye_cli.pipeline.collaborate import AskResult, BaselineResult, Collaboration, DecodeSettings, StageResult

__all__ = ["AskResult", "BaselineResult", "Collaboration", "DecodeSettings", "StageResult"]
