r"""Final-answer extraction and scoring, matching lm-eval's gsm8k task so that hawkeye's numbers compare.

lm-eval (lm_eval/tasks/gsm8k/gsm8k.yaml, version 3.0):

- strict-match: regex ``#### (\-?[0-9\.\,]+)``, the first match (``take_first``);
- flexible-extract: regex ``(-?[$0-9.,]{2,})|(-?[0-9]+)`` with ``group_select: -1``, i.e. the last match,
  even when that match is not a number (an output ending in "..." scores wrong);
- exact_match after ``regexes_to_ignore``: ``,``  ``\$``  ``(?s).*#### ``  ``\.$``, on prediction and gold.

Two deliberate extensions, both documented in `hawkeye bench gsm8k --help`: an output with no ``#### N``
may mark its answer as ``\boxed{N}`` (the last box counts, as chat and reasoning models write it), and answers
compare as numbers, so ``18.0`` equals ``18`` where lm-eval's string comparison would count it wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
_FLEXIBLE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
_BOXED = "\\boxed{"
# A number inside a box that holds more than a number, e.g. \boxed{18 \text{ dollars}} or \boxed{\$1,000}.
_NUMBER = re.compile(r"-?\$?[0-9][0-9,]*(?:\.[0-9]+)?")


@dataclass(frozen=True)
class ExtractedAnswer:
    strict: str | None
    """The marked final answer (`#### N`, else `\\boxed{N}`), normalised; None when the output marks none."""
    flexible: str | None
    """The last number-like match in the output, normalised; None when it is not a number."""


def normalize_number(text: str) -> str | None:
    """lm-eval's clean-up (drop `,` and `$`, one trailing `.`), then a canonical decimal; None if not a number.

    Canonical means equal numbers give equal strings: '18.0', '18' and '$18.' all give '18'.
    """
    cleaned = text.strip().replace(",", "").replace("$", "")
    cleaned = cleaned[:-1] if cleaned.endswith(".") else cleaned
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    normal = value.normalize()
    return f"{normal:f}" if normal != normal.to_integral() else str(int(normal))


def extract_answer(output: str) -> ExtractedAnswer:
    """Both lm-eval filters on one model output; never raises."""
    marked = _STRICT.search(output)
    strict = normalize_number(marked.group(1)) if marked else _boxed_number(output)
    matches = _FLEXIBLE.findall(output)
    flexible = normalize_number(next(g for g in matches[-1] if g)) if matches else None
    return ExtractedAnswer(strict=strict, flexible=flexible)


def gold_answer(reference: str) -> str:
    """The number after the last `####` of a GSM8K reference solution, normalised; ValueError if none."""
    _, marker, tail = reference.rpartition("####")
    number = normalize_number(tail) if marker else None
    if number is None:
        raise ValueError("the answer does not end with '#### N'")
    return number


def _boxed_number(output: str) -> str | None:
    start = output.rfind(_BOXED)
    if start < 0:
        return None
    content = balanced_braces(output, start + len(_BOXED))
    number = normalize_number(content)
    if number is None:
        found = _NUMBER.search(content)
        number = normalize_number(found.group(0)) if found else None
    return number


def balanced_braces(text: str, start: int) -> str:
    """The text from `start` up to the brace that closes the one just before it (or the end of `text`)."""
    depth = 1
    for position in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[start:position]
    return text[start:]
