"""Every prompt hawkeye sends, as request data, in one place so that `hawkeye bench` can document exactly what
was asked.

Chat models get messages, which each backend renders with the model's own chat template (or sends to its
engine); base (completion) models get plain text. All prompts are zero-shot and end with the task's final-answer
instruction (GSM8K's: `#### N`, read by lm-eval's strict-match filter). A reasoning planner's reply starts with
an opened `<think>`; budget forcing is its max tokens, and `</think>` ends the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hawkeye_cli.backends.base import THINK_CLOSE, THINK_OPEN, Request, Sampling, TextEnd
from hawkeye_cli.store.registry import ModelSpec

FINAL_ANSWER_INSTRUCTION = "End your answer with a line of the form '#### N' where N is the final answer."

PROBE_LEAD = "... Oh, I suddenly got the answer to the whole problem, **Final Answer**\n\n"
"""Dynasor-CoT's probe (hao-ai-lab/Dynasor, dynasor/core/cot.py), appended to the thinking so far as is: a
thinking model that has its answer states it at once, one that has not yet states a guess."""
BASE_PROBE = ("\n", "Final answer: ")
"""A base model's probe (lead, mark): it has no thinking voice to continue, only a document."""
PROBE_TOKENS = 20
"""The most a probe may write (Dynasor's and DEER's 20): enough for a LaTeX answer. It stops at a newline, or as
soon as its answer is complete (`ProbeForm.end`)."""
PROBE_STOPS = ("\n",)

NUMBER_THEN_WORDS = re.compile(r"\s*(\$?-?\d[\d,]*(?:\.\d+)?%?)[.,;:!]?\s+[A-Za-z]")


def number_end(text: str) -> int | None:
    """A GSM8K answer is a number (lm-eval's strict filter reads only `#### -?[0-9.,]+`): once words follow one
    (`18 eggs per day…`), the answer is complete. `3 \\sqrt{2}` or `18 + 2` are not cut: no word follows."""
    match = NUMBER_THEN_WORDS.match(text)
    return match.end(1) if match else None


def closing_brace_end(text: str) -> int | None:
    """After `\\boxed{`, the answer ends with the brace that closes it (nested braces counted: `\\frac{1}{2}}`)."""
    depth = 1
    for index, character in enumerate(text):
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth == 0:
            return index + 1
    return None


@dataclass(frozen=True)
class ProbeForm:
    """What a probe appends to the thinking (lead, then mark), and where the planner's answer after it is
    complete: a probe writes only its answer, not the words a small planner adds to it."""

    lead: str
    mark: str
    end: TextEnd | None = None


@dataclass(frozen=True)
class AnswerStyle:
    """How a task marks its final answer: the instruction that ends every answering prompt, and the probe that
    asks a thinking planner for its current answer in that form."""

    instruction: str
    probe_mark: str
    """The end of the probe; the planner's continuation after it is its answer, and Math-Verify reads the mark and
    the continuation together (`\\boxed{` + `72}`, `#### ` + `72`)."""
    probe_end: TextEnd | None
    """Where an answer after probe_mark is complete."""
    plain_end: TextEnd | None
    """Where an answer after a base model's plain `Final answer: ` is complete."""
    probe_lead: str = PROBE_LEAD

    def probe(self, planner: ModelSpec) -> ProbeForm:
        """The probe for this planner: base models get a plain `Final answer:`."""
        if planner.prompt_format == "completion":
            return ProbeForm(*BASE_PROBE, end=self.plain_end)
        return ProbeForm(self.probe_lead, self.probe_mark, end=self.probe_end)


GSM8K_ANSWERS = AnswerStyle(FINAL_ANSWER_INSTRUCTION, probe_mark="#### ", probe_end=number_end, plain_end=number_end)
MATH_ANSWERS = AnswerStyle("Put your final answer within \\boxed{}.", probe_mark="\\boxed{",
                           probe_end=closing_brace_end, plain_end=None, probe_lead=PROBE_LEAD + "\\[ ")

PLAN_INSTRUCTION = (
    "Think concisely: write only the essential steps and numbers needed to solve the problem, "
    "no restating, no filler, no double-checking."
)

EXPAND_INSTRUCTION = (
    "Below is a problem and a brief reasoning sketch written by a stronger model (it may be terse or cut off). "
    "Using the sketch as guidance, write a complete, clear step-by-step solution."
)

SHORT_ANSWER_INSTRUCTION = (
    "Below is a problem and a reasoning sketch written by a stronger model (it may be unfinished). Give only the "
    "final answer the sketch leads to, with no steps."
)
SHORT_ANSWER_TOKENS = 24
"""Room for `--stop-when agree`'s check: the expander's answer alone, in the task's form."""

REWRITE_INSTRUCTION = (
    "Rewrite the reasoning below as a concise chain of thought of at most {budget} tokens. Keep the essential "
    "steps, every number and equation they need, and the final answer, in their original order. Drop filler, "
    "hedging, repetition, restating the problem and double-checking. Write only the concise reasoning."
)

# Base models keep going past their answer into a made-up next question; cut them there.
COMPLETION_STOPS = ("\nQuestion:", "\nProblem:", "\n\n\n")
# A base model that has finished a rewrite goes on to invent the next problem, or to rewrite its rewrite.
REWRITE_STOPS = ("\nProblem:", "\nConcise reasoning:")

THINKING = THINK_OPEN + "\n"
NO_THINKING = f"{THINK_OPEN}\n\n{THINK_CLOSE}\n\n"
"""An empty thinking block: a reasoning model answers at once."""


def plan_request(spec: ModelSpec, question: str, *, budget: int, sampling: Sampling,
                 effort: str | None = None) -> Request:
    """The planner's concise reasoning, cut at `budget` tokens (budget forcing); a reasoning planner's engine is
    also told the budget (or, when it takes only that, the effort level)."""
    if spec.prompt_format == "completion":
        return Request(budget, prompt=f"Question: {question}\n{PLAN_INSTRUCTION}\nReasoning:",
                       stop=COMPLETION_STOPS, sampling=sampling, effort=effort)
    return Request(budget, messages=({"role": "user", "content": f"{question}\n\n{PLAN_INSTRUCTION}"},),
                   prefix=THINKING if spec.reasoning else "", stop=(THINK_CLOSE,) if spec.reasoning else (),
                   sampling=sampling, thinking_budget=budget if spec.reasoning and effort is None else None,
                   effort=effort)


def baseline_request(spec: ModelSpec, question: str, *, instruction: str, max_tokens: int,
                     sampling: Sampling) -> Request:
    """The planner alone, as users run it today: full chain of thought, then the answer."""
    if spec.prompt_format == "completion":
        return Request(max_tokens, prompt=f"Question: {question}\n{instruction}\nAnswer: Let's think step by step.",
                       stop=COMPLETION_STOPS, sampling=sampling)
    return _chat(spec, f"{question}\n\n{instruction}", max_tokens, sampling)


def expand_request(spec: ModelSpec, question: str, cot: str, *, instruction: str, max_tokens: int,
                   sampling: Sampling) -> Request:
    """The expander writes the full answer from the question and the planner's concise CoT."""
    return _with_sketch(spec, f"{EXPAND_INSTRUCTION} {instruction}", question, cot, "Solution:", max_tokens, sampling)


def short_answer_request(spec: ModelSpec, question: str, cot: str, *, instruction: str,
                         sampling: Sampling) -> Request:
    """`--stop-when agree`: the expander's final answer from the plan so far, without a worked solution."""
    return _with_sketch(spec, f"{SHORT_ANSWER_INSTRUCTION} {instruction}", question, cot, "Final answer:",
                        SHORT_ANSWER_TOKENS, sampling)


def _with_sketch(spec: ModelSpec, instructions: str, question: str, cot: str, cue: str, max_tokens: int,
                 sampling: Sampling) -> Request:
    """The expander's prompt around a sketch; `cue` ends a base model's, whose reply continues it."""
    if spec.prompt_format == "completion":
        return Request(max_tokens, prompt=f"{instructions}\n\nProblem: {question}\nSketch: {cot.strip()}\n{cue}",
                       stop=COMPLETION_STOPS, sampling=sampling)
    content = f"{instructions}\n\nProblem:\n{question}\n\nSketch:\n{cot.strip()}"
    return Request(max_tokens, messages=({"role": "user", "content": content},), sampling=sampling)


def solo_request(spec: ModelSpec, question: str, *, instruction: str, max_tokens: int,
                 sampling: Sampling) -> Request:
    """A model answering alone, with no sketch (bench's `expander` mode)."""
    if spec.prompt_format == "completion":
        return Request(max_tokens, prompt=f"Question: {question}\n{instruction}\nAnswer:", stop=COMPLETION_STOPS,
                       sampling=sampling)
    return _chat(spec, f"{question}\n\n{instruction}", max_tokens, sampling)


def rewrite_request(spec: ModelSpec, question: str, cot: str, *, budget: int, sampling: Sampling) -> Request:
    """compress-cot's `rewrite` method: the planner shortens a recorded CoT; reasoning models skip thinking."""
    instruction = REWRITE_INSTRUCTION.format(budget=budget)
    if spec.prompt_format == "completion":
        return Request(max(budget, 1), prompt=f"{instruction}\n\nProblem: {question}\nReasoning: {cot}\n"
                       "Concise reasoning:", stop=REWRITE_STOPS, sampling=sampling)
    content = f"{instruction}\n\nProblem:\n{question}\n\nReasoning:\n{cot}"
    return Request(max(budget, 1), messages=({"role": "user", "content": content},),
                   prefix=NO_THINKING if spec.reasoning else "", sampling=sampling)


def _chat(spec: ModelSpec, content: str, max_tokens: int, sampling: Sampling) -> Request:
    """One user turn; a reasoning model thinks first."""
    return Request(max_tokens, messages=({"role": "user", "content": content},),
                   prefix=THINKING if spec.reasoning else "", sampling=sampling)
