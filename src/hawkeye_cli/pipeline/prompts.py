"""Every prompt hawkeye sends, as request data, in one place so that `hawkeye bench` can document exactly what
was asked.

Chat models get messages, which each backend renders with the model's own chat template (or sends to its
engine); base (completion) models get plain text. Prompts end with the task's final-answer instruction (GSM8K's:
`#### ` before the answer, read by lm-eval's strict-match filter). A reasoning planner's reply starts with an
opened `<think>`; budget forcing is its max tokens, and `</think>` ends the plan. A chat planner that does not think
writes a draft instead, and a chat expander writes from it, each shown worked examples first (the planner two, the
expander one): small instruct models follow a shown format far more reliably than a described one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hawkeye_cli.backends.base import THINK_CLOSE, THINK_OPEN, Request, Sampling, TextEnd
from hawkeye_cli.store.registry import ModelSpec

FINAL_ANSWER_INSTRUCTION = "Write the final answer on the last line, after '####'."
"""No placeholder to copy: told to end with `'#### N' where N is the final answer`, Qwen2.5-Coder-0.5B wrote
`#### N`, or `#### 120` and nothing else."""

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


ANSWER_MARKS = ("####", "\\boxed{")
"""Where a final answer is read (lm-eval's strict-match and Math-Verify alike)."""


@dataclass(frozen=True)
class Example:
    """A worked problem a chat planner and a chat expander are shown before theirs: what a draft is (what is
    asked, then a line per step, each a calculation with its numbers, then the answer) and what a reader's solution
    made from it is."""

    question: str
    draft: str
    solution: str


@dataclass(frozen=True)
class AnswerStyle:
    """How a task marks its final answer: the instruction that ends every answering prompt, the probe that
    asks a thinking planner for its current answer in that form, and the worked examples in that form."""

    instruction: str
    examples: tuple[Example, ...]
    """Shown to a chat planner, in order, as earlier turns of its own; the expander is shown the first."""
    answer_line: str
    """Appended to an expander's solution that ended without the mark, to have it write its answer there
    (zero-shot CoT's answer extraction): its answer is then read where the task's scorer reads it."""
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

    def marked(self, text: str) -> bool:
        """Whether `text` gives its answer where answers are read: after `####` or in `\\boxed{}`, whichever the
        task asked for (a GSM8K answer that boxes its number is read as well)."""
        return any(mark in text for mark in ANSWER_MARKS)

    @property
    def answer_form(self) -> ProbeForm:
        """How an expander's unmarked solution is made to state its answer."""
        return ProbeForm(self.answer_line, "", end=self.probe_end)


GSM8K_ANSWERS = AnswerStyle(
    FINAL_ANSWER_INSTRUCTION,
    (Example("A baker bakes 3 trays of 12 muffins. He sells all but 6 of them for $2 each. How much money does he "
             "make?",
             draft="Asked: the money he makes from the muffins he sells.\nHe bakes 3 * 12 = 36 muffins.\n"
                   "He sells 36 - 6 = 30 muffins.\nHe makes 30 * $2 = $60.\n#### 60",
             solution="The baker bakes 3 x 12 = 36 muffins and sells 36 - 6 = 30 of them. At $2 each, he makes "
                      "30 x $2 = $60.\n#### 60"),
     Example("A store has 120 apples. It sells 25% of them on Monday and half of the rest on Tuesday. How many "
             "apples does it have left?",
             draft="Asked: the apples left after Monday and Tuesday.\n"
                   "On Monday it sells 25% of 120 = 0.25 * 120 = 30 apples, leaving 120 - 30 = 90.\n"
                   "On Tuesday it sells half of the rest: 90 / 2 = 45, leaving 90 - 45 = 45.\n#### 45",
             solution="On Monday the store sells 25% of 120, which is 30 apples, so 120 - 30 = 90 are left. On "
                      "Tuesday it sells half of those, 90 / 2 = 45, so 90 - 45 = 45 apples are left.\n#### 45")),
    answer_line="\n#### ", probe_mark="#### ", probe_end=number_end, plain_end=number_end)
MATH_ANSWERS = AnswerStyle(
    "Put your final answer within \\boxed{}.",
    (Example("What is the sum of the roots of $x^2 - 5x + 6 = 0$?",
             draft="Asked: the sum of the roots.\nx^2 - 5x + 6 = (x - 2)(x - 3)\nRoots: x = 2, x = 3\n"
                   "Sum: 2 + 3 = 5\n\\boxed{5}",
             solution="Factoring gives $x^2 - 5x + 6 = (x - 2)(x - 3)$, so the roots are $2$ and $3$, and their "
                      "sum is $2 + 3 = 5$.\n\nThe final answer is $\\boxed{5}$."),),
    answer_line="\n\nThe final answer is $\\boxed{", probe_mark="\\boxed{", probe_end=closing_brace_end,
    plain_end=None, probe_lead=PROBE_LEAD + "\\[ ")

PLAN_INSTRUCTION = (
    "Think concisely: write only the essential steps and numbers needed to solve the problem, "
    "no restating, no filler, no double-checking."
)
"""For a planner that thinks (in `<think>`) or a base model. A chat planner that does not think writes a draft."""

DRAFT_INSTRUCTION = (
    "First say what is asked. Then solve it in short steps: one sentence per step, each with its calculation "
    "written out."
)
"""Told only to be concise, Qwen2.5-Coder-1.5B wrote an outline without a single number ("1. Calculate the total
number of eggs…"), which left the expander nothing to work from; shown a draft, it writes one. Saying first what is
asked (Plan-and-Solve's "understand the problem") keeps a terse draft from answering a question it was not asked,
and a second, two-stage example keeps it from stopping one step short. On GSM8K test problems 0-51 the planner's
draft was right 27 times at 102 tokens, against 20 at 70 for one example without the first line, 26 at 82 for two
without it, and 29 for the planner alone at 285 (the drafts alone, greedy). On problems 52-111, held out, the gain
was smaller: 31 of 60 against 28, within noise (README, "The method measured here"). Also listing what is given
(Plan-and-Solve+) answered 76 of problems 0-143 against 75, at 119 tokens against 98: not taken."""

EXPAND_INSTRUCTION = (
    "Below is a problem and a sketch of its solution written by a stronger model (it may be terse or cut off). "
    "Write the solution for a reader: a few short sentences that follow the sketch's steps and calculations."
)
"""Not a second full solution: the expander's length is what the saving is spent on."""

SOLO_INSTRUCTION = "Solve it step by step."
"""The expander alone (bench's `expander` mode) reasons, as a model answering alone is evaluated."""

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
                 answers: AnswerStyle = GSM8K_ANSWERS, effort: str | None = None) -> Request:
    """The planner's concise reasoning, cut at `budget` tokens (budget forcing): a reasoning planner thinks
    concisely and its engine is also told the budget (or, when it takes only that, the effort level); a chat
    planner that does not think writes a draft, as the example shows, ending with its answer."""
    if spec.prompt_format == "completion":
        return Request(budget, prompt=f"Question: {question}\n{PLAN_INSTRUCTION}\nReasoning:",
                       stop=COMPLETION_STOPS, sampling=sampling, effort=effort)
    if spec.reasoning:
        return Request(budget, messages=({"role": "user", "content": f"{question}\n\n{PLAN_INSTRUCTION}"},),
                       prefix=THINKING, stop=(THINK_CLOSE,), sampling=sampling,
                       thinking_budget=budget if effort is None else None, effort=effort)
    instruction = f"{DRAFT_INSTRUCTION} {answers.instruction}"
    shown = tuple(turn for example in answers.examples
                  for turn in ({"role": "user", "content": f"{example.question}\n\n{instruction}"},
                               {"role": "assistant", "content": example.draft}))
    return Request(budget, messages=(*shown, {"role": "user", "content": f"{question}\n\n{instruction}"}),
                   sampling=sampling, effort=effort, shared_turns=len(shown))


def baseline_request(spec: ModelSpec, question: str, *, instruction: str, max_tokens: int,
                     sampling: Sampling) -> Request:
    """The planner alone, as users run it today: full chain of thought, then the answer."""
    return _alone(spec, question, instruction, "Answer: Let's think step by step.", max_tokens, sampling)


def expand_request(spec: ModelSpec, question: str, cot: str, *, answers: AnswerStyle, max_tokens: int,
                   sampling: Sampling) -> Request:
    """The expander writes the answer for a reader from the question and the planner's concise CoT; a chat
    expander is first shown the example's draft and solution."""
    instructions = f"{EXPAND_INSTRUCTION} {answers.instruction}"
    example = answers.examples[0]
    shown = (_sketch_turn(instructions, example.question, example.draft),
             {"role": "assistant", "content": example.solution})
    return _with_sketch(spec, instructions, question, cot, "Solution:", max_tokens, sampling, shown)


def short_answer_request(spec: ModelSpec, question: str, cot: str, *, answers: AnswerStyle,
                         sampling: Sampling) -> Request:
    """`--stop-when agree`: the expander's final answer from the plan so far, without a worked solution."""
    return _with_sketch(spec, f"{SHORT_ANSWER_INSTRUCTION} {answers.instruction}", question, cot, "Final answer:",
                        SHORT_ANSWER_TOKENS, sampling)


def _with_sketch(spec: ModelSpec, instructions: str, question: str, cot: str, cue: str, max_tokens: int,
                 sampling: Sampling, shown: tuple[dict[str, str], ...] = ()) -> Request:
    """The expander's prompt around a sketch; `cue` ends a base model's, whose reply continues it; `shown`: turns
    a chat model sees first."""
    if spec.prompt_format == "completion":
        return Request(max_tokens, prompt=f"{instructions}\n\nProblem: {question}\nSketch: {cot.strip()}\n{cue}",
                       stop=COMPLETION_STOPS, sampling=sampling)
    return Request(max_tokens, messages=(*shown, _sketch_turn(instructions, question, cot)), sampling=sampling,
                   shared_turns=len(shown))


def _sketch_turn(instructions: str, question: str, cot: str) -> dict[str, str]:
    return {"role": "user", "content": f"{instructions}\n\nProblem:\n{question}\n\nSketch:\n{cot.strip()}"}


def solo_request(spec: ModelSpec, question: str, *, instruction: str, max_tokens: int,
                 sampling: Sampling) -> Request:
    """A model answering alone, with no sketch (bench's `expander` mode), reasoning step by step."""
    return _alone(spec, question, f"{SOLO_INSTRUCTION} {instruction}", "Answer:", max_tokens, sampling)


def _alone(spec: ModelSpec, question: str, instruction: str, cue: str, max_tokens: int,
           sampling: Sampling) -> Request:
    """A question and its instruction, with no sketch; `cue` ends a base model's prompt."""
    if spec.prompt_format == "completion":
        return Request(max_tokens, prompt=f"Question: {question}\n{instruction}\n{cue}", stop=COMPLETION_STOPS,
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
