"""`--method filter`: rule-based removal of the redundancy the Hawkeye paper names, no model needed.

Leading discourse fillers ("Okay, so", "Hmm,", "Wait,") are cut from every step. Steps that are filler or
hedging, self-verification, a repeat of an earlier step or a restatement of the question are dropped first —
unless they state a new number or equation: a phrase never costs a result. Then steps without new numbers or
equations go, latest first, until the budget is met.
"""

from __future__ import annotations

import re
from collections import Counter
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
_MAX_CANDIDATES = 256
"""Earlier steps compared with one step at most, the latest first: what keeps a CoT of a few common words linear."""


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
    step_words = [frozenset(_WORD.findall(step.text.lower())) for step in steps]
    earlier = _EarlierSteps(step_words)
    labels: list[str | None] = []
    for step, words in zip(steps, step_words, strict=True):
        label = None
        if step.new_math:
            pass
        elif earlier.has_repeat_of(words):
            label = "repeat"
        elif len(words) >= 3 and len(words & question_words) / len(words) >= _QUESTION_OVERLAP:
            label = "question"
        elif _HEDGING.search(step.text):
            label = "hedging"
        elif not words and not step.math:
            label = "filler"
        labels.append(label)
        earlier.add(words)
    return labels


class _EarlierSteps:
    """The word sets of the steps so far (those of 3 words or more), indexed so that finding one that a new step
    repeats (word overlap, Jaccard, at least _REPEAT_OVERLAP) takes time near-linear in the CoT, not quadratic.

    Prefix filtering (Chaudhuri et al. 2006; PPJoin, Xiao et al. 2008): with each set's words in one global order,
    rarest first, two sets of n and m words that overlap by a fraction t or more share a word among the first
    n - floor(t n) + 1 of one and the first m - floor(t m) + 1 of the other. So only sets that share a word of
    those prefixes are compared, and identical sets are kept once. Rare words make the candidates few; in text
    made of a few common words they are not, and then the latest _MAX_CANDIDATES are compared.
    """

    def __init__(self, all_steps: list[frozenset[str]]) -> None:
        frequency = Counter(word for words in all_steps for word in words)
        self._order = {word: (count, word) for word, count in frequency.items()}
        self._sets: list[frozenset[str]] = []
        self._known: set[frozenset[str]] = set()
        self._by_word: dict[str, list[int]] = {}

    def has_repeat_of(self, words: frozenset[str]) -> bool:
        if words in self._known:
            return True
        compared: set[int] = set()
        for word in self._prefix(words):
            for index in reversed(self._by_word.get(word, [])):
                if len(compared) >= _MAX_CANDIDATES:
                    return False
                if index not in compared:
                    compared.add(index)
                    if _overlap(words, self._sets[index]) >= _REPEAT_OVERLAP:
                        return True
        return False

    def add(self, words: frozenset[str]) -> None:
        if len(words) < 3 or words in self._known:
            return
        self._known.add(words)
        self._sets.append(words)
        for word in self._prefix(words):
            self._by_word.setdefault(word, []).append(len(self._sets) - 1)

    def _prefix(self, words: frozenset[str]) -> list[str]:
        ordered = sorted(words, key=self._order.__getitem__)
        return ordered[: len(words) - int(_REPEAT_OVERLAP * len(words)) + 1]


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
