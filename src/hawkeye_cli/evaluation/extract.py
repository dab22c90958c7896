"""Final-answer extraction, compatible with lm-eval's gsm8k task (strict-match and flexible-extract)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# lm-eval gsm8k: strict-match takes the number after "#### "; flexible-extract takes the last number.
_STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_FLEXIBLE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")


@dataclass(frozen=True)
class ExtractedAnswer:
    strict: str | None
    """The marked final answer (`#### N` or `\\boxed{N}`), normalised; None when the output marks none."""
    flexible: str | None
    """The last number in the output, normalised; None when there is none."""

    @property
    def best(self) -> str | None:
        return self.strict if self.strict is not None else self.flexible


def normalize_number(text: str) -> str | None:
    """Drop `$`, commas and a trailing `.`; '18.0' and '18' normalise alike. None if not a number."""
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    normal = value.normalize()
    return f"{normal:f}" if normal != normal.to_integral() else str(int(normal))


def extract_answer(output: str) -> ExtractedAnswer:
    strict = None
    marked = _STRICT.findall(output) or _BOXED.findall(output)
    if marked:
        strict = normalize_number(marked[-1])
    flexible = None
    for groups in reversed(_FLEXIBLE.findall(output)):
        candidate = next((g for g in groups if g), "")
        flexible = normalize_number(candidate)
        if flexible is not None:
            break
    return ExtractedAnswer(strict=strict, flexible=flexible)


def gold_answer(gsm8k_answer: str) -> str:
    """The number after `####` in a GSM8K reference solution."""
    _, _, tail = gsm8k_answer.rpartition("####")
    number = normalize_number(tail)
    if number is None:
        raise ValueError(f"no '#### N' in reference answer: {gsm8k_answer[-60:]!r}")
    return number
