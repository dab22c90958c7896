"""The benchmarks hawkeye can run, as data: where each lives on the hub, its fields, its answers, its instruction.

Adding a benchmark is a row here; the loader (evaluation/datasets.py), the bench command and the scorer read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hawkeye_cli.pipeline import prompts
from hawkeye_cli.scoring.verdict import AnswerFormat


@dataclass(frozen=True)
class Benchmark:
    name: str
    """The bench subcommand and the results file's stem (OUT/<name>.jsonl)."""
    title: str
    hub_repo: str
    hub_file: str
    """A parquet or JSONL file of the test split inside the dataset repository."""
    question_field: str
    answer_field: str
    answer_format: AnswerFormat
    """gsm8k: the answer field is a solution ending in '#### N'; math: it is the final answer in LaTeX."""
    answers: prompts.AnswerStyle
    """What the prompts ask the model to end with, so that its final answer can be read, and how the planner is
    probed for its current answer."""

    @property
    def instruction(self) -> str:
        return self.answers.instruction

    def data_format(self, question_field: str | None = None, answer_field: str | None = None) -> str:
        """What a --data file must hold, for error messages and help."""
        answer = ("the solution, ending in '#### N'" if self.answer_format == "gsm8k"
                  else "the final answer, LaTeX or a number")
        return (f"one JSON object per line with '{question_field or self.question_field}' and "
                f"'{answer_field or self.answer_field}' ({answer})")


GSM8K = Benchmark(
    name="gsm8k",
    title="GSM8K",
    hub_repo="openai/gsm8k",
    hub_file="main/test-00000-of-00001.parquet",  # config `main`, split `test`: 1,319 problems
    question_field="question",
    answer_field="answer",
    answer_format="gsm8k",
    answers=prompts.GSM8K_ANSWERS,
)

MATH500 = Benchmark(
    name="math500",
    title="MATH-500",
    hub_repo="HuggingFaceH4/MATH-500",
    hub_file="test.jsonl",  # split `test`: 500 problems of MATH (Lightman et al.'s selection)
    question_field="problem",
    answer_field="answer",
    answer_format="math",
    answers=prompts.MATH_ANSWERS,
)

BENCHMARKS: dict[str, Benchmark] = {benchmark.name: benchmark for benchmark in (GSM8K, MATH500)}
