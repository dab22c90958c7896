"""Every prompt hawkeye sends, in one place so that `hawkeye bench` can document exactly what was asked.

Chat models get messages rendered through their own chat template; base (completion) models get plain text.
All prompts are zero-shot and ask for the final answer as `#### N` (GSM8K's format, read by lm-eval's
strict-match filter).
"""

from __future__ import annotations

from hawkeye_cli.backends.base import Backend, Message
from hawkeye_cli.registry import ModelSpec

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

FINAL_ANSWER_INSTRUCTION = "End your answer with a line of the form '#### N' where N is the final answer."

PLAN_INSTRUCTION = (
    "Think concisely: write only the essential steps and numbers needed to solve the problem, "
    "no restating, no filler, no double-checking."
)

EXPAND_INSTRUCTION = (
    "Below is a problem and a brief reasoning sketch written by a stronger model (it may be terse or cut off). "
    "Using the sketch as guidance, write a complete, clear step-by-step solution. " + FINAL_ANSWER_INSTRUCTION
)


def plan_prompt(backend: Backend, spec: ModelSpec, question: str) -> str:
    """The planner's prompt, ending where its concise reasoning starts."""
    if spec.prompt_format == "completion":
        return f"Question: {question}\n{PLAN_INSTRUCTION}\nReasoning:"
    messages: list[Message] = [{"role": "user", "content": f"{question}\n\n{PLAN_INSTRUCTION}"}]
    return _open_thinking(backend.render_chat(messages), spec)


def baseline_prompt(backend: Backend, spec: ModelSpec, question: str) -> str:
    """The planner alone, as users run it today: full chain of thought, then the answer."""
    if spec.prompt_format == "completion":
        return f"Question: {question}\n{FINAL_ANSWER_INSTRUCTION}\nAnswer: Let's think step by step."
    messages: list[Message] = [{"role": "user", "content": f"{question}\n\n{FINAL_ANSWER_INSTRUCTION}"}]
    return _open_thinking(backend.render_chat(messages), spec)


def expand_prompt(backend: Backend, spec: ModelSpec, question: str, cot: str) -> str:
    if spec.prompt_format == "completion":
        return f"{EXPAND_INSTRUCTION}\n\nProblem: {question}\nSketch: {cot.strip()}\nSolution:"
    content = f"{EXPAND_INSTRUCTION}\n\nProblem:\n{question}\n\nSketch:\n{cot.strip()}"
    return backend.render_chat([{"role": "user", "content": content}])


def solo_prompt(backend: Backend, spec: ModelSpec, question: str) -> str:
    """A model answering alone, with no sketch (bench's `expander` mode)."""
    if spec.prompt_format == "completion":
        return f"Question: {question}\n{FINAL_ANSWER_INSTRUCTION}\nAnswer:"
    return _open_thinking(
        backend.render_chat([{"role": "user", "content": f"{question}\n\n{FINAL_ANSWER_INSTRUCTION}"}]), spec
    )


REWRITE_INSTRUCTION = (
    "Rewrite the reasoning below as a concise chain of thought of at most {budget} tokens. Keep the essential "
    "steps, every number and equation they need, and the final answer, in their original order. Drop filler, "
    "hedging, repetition, restating the problem and double-checking. Write only the concise reasoning."
)

# A base model that has finished goes on to invent the next problem, or to rewrite its rewrite.
REWRITE_STOPS = ("\nProblem:", "\nConcise reasoning:")


def rewrite_prompt(backend: Backend, spec: ModelSpec, question: str, cot: str, budget: int) -> str:
    """compress-cot's `rewrite` method: the planner shortens a recorded CoT; reasoning models skip thinking."""
    instruction = REWRITE_INSTRUCTION.format(budget=budget)
    if spec.prompt_format == "completion":
        return f"{instruction}\n\nProblem: {question}\nReasoning: {cot}\nConcise reasoning:"
    prompt = backend.render_chat(
        [{"role": "user", "content": f"{instruction}\n\nProblem:\n{question}\n\nReasoning:\n{cot}"}]
    )
    if spec.reasoning:
        opened = prompt.rstrip().endswith(THINK_OPEN)
        prompt = f"{prompt.rstrip() if opened else prompt + THINK_OPEN}\n\n{THINK_CLOSE}\n\n"
    return prompt


def _open_thinking(prompt: str, spec: ModelSpec) -> str:
    """Reasoning models think first; some chat templates open <think> themselves, others leave it to us."""
    if spec.reasoning and not prompt.rstrip().endswith(THINK_OPEN):
        return prompt + THINK_OPEN + "\n"
    return prompt


def split_thinking(text: str, *, reasoning: bool) -> tuple[str, str]:
    """(thinking, answer) of a full planner output; unclosed thinking is all thinking."""
    if not reasoning:
        return text, text
    thinking, closed, answer = text.partition(THINK_CLOSE)
    return (thinking.strip(), answer.strip()) if closed else (text.strip(), "")
