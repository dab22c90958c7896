"""`--method filter`: rule-based removal of the redundancy the Hawkeye paper names, no model needed.

Leading discourse fillers ("Okay, so", "Hmm,", "Wait,") are cut from every step. Steps that are filler or
hedging, self-verification, a repeat of an earlier step or a restatement of the question are dropped first —
unless they state a new number or equation: a phrase never costs a result. Then steps without new numbers or
equations go, latest first, until the budget is met.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.compression.compressor import StepCompressor
from hawkeye_cli.compression.segment import Step

_LEADING_FILLER = re.compile(
    r"^(?:(?:okay|ok|alright|all right|hmm+|wait|well|oh|ah|um+|uh+|yeah|yep|so|actually|anyway)\b[,.!:]?\s*)+",
    re.IGNORECASE,
)
_HEDGING = re.compile(
    r"\b(?:let me (?:think|try|see|start|recall|write|read|re-?read|figure|visualize|make sure|double[- ]?check|"
    r"check|verify|confirm|recap|summarize|go back|re-?examine|re-?calculate)|let's see|i think|i believe|i guess|"
    r"i (?:recall|remember)|maybe|perhaps|probably|seems?|looks? (?:right|correct|good)|makes? sense|"
    r"sounds? (?:right|good)|that's (?:right|correct|it)|checks? out|to be (?:sure|safe|thorough)|"
    r"i'm (?:confident|sure|pretty sure|not sure)|i don't think|did i|am i|mistake|double[- ]?check|"
    r"sanity check|hmm+|wait|interesting|got it)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z]{4,}")
_REPEAT_OVERLAP = 0.8
_QUESTION_OVERLAP = 0.6


class FilterCompressor(StepCompressor):
    method = "filter"

    def __init__(self, tokenizer: Backend) -> None:
        self.tokenizer = tokenizer

    def rank(self, question: str, cot: str, steps: list[Step]) -> tuple[list[Step], list[int]]:
        edited = [_cut_filler(step) for step in steps]
        redundant = redundancy(question, edited)
        order = sorted(
            range(len(edited)),
            key=lambda i: (redundant[i] is not None, not edited[i].new_math, not edited[i].math, i),
        )
        return edited, order


def _cut_filler(step: Step) -> Step:
    """The step without its leading fillers; unchanged when nothing but filler would remain."""
    rest = _LEADING_FILLER.sub("", step.text)
    return replace(step, text=rest) if rest != step.text and any(ch.isalnum() for ch in rest) else step


def redundancy(question: str, steps: list[Step]) -> list[str | None]:
    """Per step, why it is redundant (repeat, question, hedging, filler), or None; new math never is."""
    question_words = set(_WORD.findall(question.lower()))
    earlier: list[set[str]] = []
    labels: list[str | None] = []
    for step in steps:
        words = set(_WORD.findall(step.text.lower()))
        label = None
        if step.new_math:
            pass
        elif any(_overlap(words, seen) >= _REPEAT_OVERLAP for seen in earlier if len(seen) >= 3):
            label = "repeat"
        elif len(words) >= 3 and len(words & question_words) / len(words) >= _QUESTION_OVERLAP:
            label = "question"
        elif _HEDGING.search(step.text):
            label = "hedging"
        elif not words and not step.math:
            label = "filler"
        labels.append(label)
        earlier.append(words)
    return labels


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
