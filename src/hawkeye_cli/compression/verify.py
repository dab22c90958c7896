r"""`--verify`: does the expander still reach the answer from the compressed CoT?

The expander writes the full answer from question + compressed CoT (Collaboration.expand), and its final
answer is compared with the gold answer and with the answer the uncompressed CoT implies. MATH answers are
not always numbers, so answers compare as normalised strings (no spaces, `$`, `\left`/`\right`, `\boxed{}`,
`\text{}`, degree or percent signs; `\dfrac` and `\tfrac` read `\frac`), or as numbers when both parse
(fractions included). This lives here rather than in scoring/lm_eval.py, whose GSM8K scoring follows
lm-eval and is numbers only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from hawkeye_cli.pipeline import Collaboration
from hawkeye_cli.scoring.lm_eval import balanced_braces, extract_answer, normalize_number

_MARKED = re.compile(r"####[ \t]*(.+)")
_ANSWER_LIKE = re.compile(r"(?![A-Za-z]{3})(?=.*[0-9\\])")
_WRAPPERS = ("\\boxed{", "\\text{", "\\textbf{", "\\mathrm{", "\\mbox{")
_DROPPED = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "^{\\circ}", "^\\circ", "\\circ", "°", "\\%", "%", "$")
_NUMERIC = re.compile(r"-?\\frac\{[^{}]+\}\{[^{}]+\}|-?[0-9]+(?:\.[0-9]+)?(?:/[0-9]+(?:\.[0-9]+)?)?")
_FRACTION = re.compile(r"\\frac\{([^{}]+)\}\{([^{}]+)\}")


def final_answer(text: str) -> str | None:
    """The answer a text commits to: the later of its last '#### X' and its last \\boxed{X}, else its last number.

    A '#### X' counts only when X looks like an answer (a digit or a LaTeX command, and no leading word):
    small models also write markdown headings such as '#### Step 1'.
    """
    marked = [m for m in _MARKED.finditer(text) if _ANSWER_LIKE.match(m.group(1))]
    boxed = text.rfind("\\boxed{")
    if marked and marked[-1].start() > boxed:
        return marked[-1].group(1).strip()
    if boxed >= 0:
        return balanced_braces(text, boxed + len("\\boxed{")).strip() or None
    return extract_answer(text).flexible


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


def same_answer(answer: str, reference: str) -> bool:
    a, b = normalize_answer(answer), normalize_answer(reference)
    if a == b:
        return True
    x, y = _number(a), _number(b)
    return x is not None and x == y


def states_answer(text: str, answer: str) -> bool:
    """The text still holds the answer: verbatim once normalised, or for a number, as any number equal to it."""
    normal, haystack = normalize_answer(answer), normalize_answer(text)
    value = _number(normal)
    if value is None:
        return bool(normal) and normal in haystack
    return any(_number(found) == value for found in _NUMERIC.findall(haystack))


@dataclass(frozen=True)
class Check:
    """The expander's answer from one compressed CoT, against the gold and the uncompressed CoT's answers."""

    answer: str | None
    matches_gold: bool | None
    """None when the record has no gold answer."""
    matches_cot: bool | None
    """None when no answer can be read from the uncompressed CoT."""
    expander_tokens: int
    seconds: float


class Verifier:
    def __init__(self, collaboration: Collaboration) -> None:
        self.collaboration = collaboration

    def check(self, question: str, cot: str, gold: str | None, cot_answer: str | None) -> Check:
        stage = self.collaboration.expand(question, cot)
        answer = final_answer(stage.text)
        return Check(answer, _matches(answer, gold), _matches(answer, cot_answer), stage.completion_tokens,
                     stage.seconds)


def _matches(answer: str | None, reference: str | None) -> bool | None:
    if reference is None:
        return None
    return answer is not None and same_answer(answer, reference)
