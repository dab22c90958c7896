r"""`--verify`: does the expander still reach the answer from the compressed CoT?

The expander writes the full answer from question + compressed CoT (pipeline.expand), and its output is
scored with Math-Verify (scoring/verdict.py, the bench's primary metric) against the gold answer and against the
answer Math-Verify reads in the uncompressed CoT (read_answer); lm-eval's strict-match and flexible-extract against
the gold go along, as in bench. `states_answer`, which asks whether a compressed CoT still contains its answer
somewhere in its text, has no Math-Verify counterpart and keeps its own normalisation (no spaces, `$`,
`\left`/`\right`, `\boxed{}`, `\text{}`, degree or percent signs; numbers and fractions compare by value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from hawkeye_cli.backends.model import Model
from hawkeye_cli.pipeline import DecodeSettings, expand, prompts
from hawkeye_cli.scoring.lm_eval import balanced_braces, normalize_number
from hawkeye_cli.scoring.verdict import Verdict, gold_of, read_answer, score

_WRAPPERS = ("\\boxed{", "\\text{", "\\textbf{", "\\mathrm{", "\\mbox{")
_DROPPED = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "^{\\circ}", "^\\circ", "\\circ", "°", "\\%", "%", "$")
_NUMERIC = re.compile(r"-?\\frac\{[^{}]+\}\{[^{}]+\}|-?[0-9]+(?:\.[0-9]+)?(?:/[0-9]+(?:\.[0-9]+)?)?")
_FRACTION = re.compile(r"\\frac\{([^{}]+)\}\{([^{}]+)\}")


def normalize_answer(text: str) -> str:
    for wrapper in _WRAPPERS:
        while (start := text.find(wrapper)) >= 0:
            inner = balanced_braces(text, start + len(wrapper))
            text = text[:start] + inner + text[start + len(wrapper) + len(inner) + 1 :]
    for dropped in _DROPPED:
        text = text.replace(dropped, "")
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return "".join(text.split()).rstrip(".")


def _number(normal: str) -> Fraction | None:
    """The value of a normalised answer that is a number or a fraction of two numbers, else None."""
    sign, body = (-1, normal[1:]) if normal.startswith("-") else (1, normal)
    fraction = _FRACTION.fullmatch(body)
    top, _, bottom = (fraction.group(1), "/", fraction.group(2)) if fraction else body.partition("/")
    values = [normalize_number(part) for part in (top, bottom or "1")]
    if values[0] is None or values[1] is None or Fraction(values[1]) == 0:
        return None
    return sign * Fraction(values[0]) / Fraction(values[1])


def states_answer(text: str, answer: str) -> bool:
    """The text still holds the answer: verbatim once normalised, or for a number, as any number equal to it."""
    normal, haystack = normalize_answer(answer), normalize_answer(text)
    value = _number(normal)
    if value is None:
        return bool(normal) and normal in haystack
    return any(_number(found) == value for found in _NUMERIC.findall(haystack))


@dataclass(frozen=True)
class Verification:
    """The expander's answer from one compressed CoT, against the gold and the uncompressed CoT's answers."""

    answer: str | None
    matches_gold: bool | None
    """Math-Verify against the gold answer; None when the record has no gold answer."""
    matches_cot: bool | None
    """None when no answer can be read from the uncompressed CoT."""
    expander_tokens: int
    seconds: float
    gold_strict: bool | None = None
    """lm-eval's strict-match against the gold answer (numbers only), for comparison with lm-eval results."""
    gold_flexible: bool | None = None
    """lm-eval's flexible-extract against the gold answer."""


class Verifier:
    def __init__(self, expander: Model, decode: DecodeSettings) -> None:
        self.expander = expander
        self.decode = decode

    def check(self, question: str, cot: str, gold: str | None, cot_answer: str | None) -> Verification:
        stage = expand(self.expander, question, cot, self.decode, answers=prompts.GSM8K_ANSWERS)
        against_gold, against_cot = _verdict(stage.text, gold), _verdict(stage.text, cot_answer)
        scored = against_gold or against_cot  # the answer Math-Verify reads does not depend on the reference
        answer = scored.answer if scored is not None else read_answer(stage.text)
        return Verification(answer, None if against_gold is None else against_gold.correct,
                     None if against_cot is None else against_cot.correct, stage.completion.completion_tokens,
                     stage.completion.seconds, None if against_gold is None else against_gold.correct_strict,
                     None if against_gold is None else against_gold.correct_flexible)


def _verdict(output: str, reference: str | None) -> Verdict | None:
    """Math-Verify's verdict on `output` against `reference`; None when there is no usable reference."""
    if reference is None or not reference.strip():
        return None
    return score(output, gold_of(reference, "math"))
