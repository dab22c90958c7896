r"""Answer extraction against lm-eval's gsm8k filters (version 3.0 of lm_eval/tasks/gsm8k/gsm8k.yaml).

strict-match: first `#### (\-?[0-9\.\,]+)`; flexible-extract: last `(-?[$0-9.,]{2,})|(-?[0-9]+)`; then `,`,
`\$` and one trailing `.` are ignored. hawkeye adds `\boxed{N}` to strict-match and numeric equality.
"""

from __future__ import annotations

import pytest

from hawkeye_cli.scoring.lm_eval import extract_answer, gold_answer, normalize_number


@pytest.mark.parametrize(
    ("output", "strict", "flexible"),
    [
        ("Half of 48 is 24. 48 + 24 = 72 clips.\n#### 72", "72", "72"),
        # strict takes the first marked answer (take_first); flexible the last number
        ("#### 5\nThen again, maybe 7.\n#### 7", "5", "7"),
        ("She pays 3 x 4 = 12 dollars, then gets 2 back: 10", None, "10"),
        ("The temperature drops to -12 degrees.\n#### -12", "-12", "-12"),
        ("Each costs 0.75, total 2.25\n#### 2.25", "2.25", "2.25"),
        ("So the answer is \\boxed{1,000}.", "1000", "1000"),
        ("Total: \\boxed{\\$1,234.50}", "1234.5", "1234.5"),
        ("It is \\boxed{18 \\text{ dollars}} in total", "18", "18"),
        ("\\boxed{3} at first, but finally \\boxed{4}", "4", "4"),  # the last box
        ("#### 9 and \\boxed{4}", "9", "4"),  # #### wins over a box
        ("She earns $1,234.50 a week.", None, "1234.5"),
        ("#### 18.", "18", "18"),  # trailing '.' ignored
        ("#### 18.0", "18", "18"),  # numeric equality (lm-eval's string match would say 18.0 != 18)
        ("#### 1,000,000", "1000000", "1000000"),
        # lm-eval's strict regex has no '$': '#### $18' is not a strict match (flexible still finds it)
        ("#### $18", None, "18"),
        # flexible takes lm-eval's last match even when it is not a number
        ("The answer is 18 ...", None, None),
        ("I cannot solve this.", None, None),
        ("", None, None),
        ("#### ,", None, None),
        ("\\boxed{", None, None),
        ("\\boxed{no number here}", None, None),
    ],
)
def test_extraction_matches_lm_eval(output: str, strict: str | None, flexible: str | None) -> None:
    extracted = extract_answer(output)
    assert (extracted.strict, extracted.flexible) == (strict, flexible)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("18", "18"), ("18.0", "18"), ("$18.", "18"), ("1,000", "1000"), ("-0", "0"), ("0.50", "0.5"),
     (".", None), ("1.2.3", None), ("NaN", None), ("Infinity", None), ("", None)],
)
def test_normalize_number(text: str, expected: str | None) -> None:
    assert normalize_number(text) == expected


def test_gold_is_the_number_after_the_last_marker() -> None:
    assert gold_answer("48/2 = <<48/2=24>>24\n#### 1,234") == "1234"
    assert gold_answer("#### 18.0") == "18"
    with pytest.raises(ValueError, match="#### N"):
        gold_answer("no marker, 42")
    with pytest.raises(ValueError):
        gold_answer("#### many")
