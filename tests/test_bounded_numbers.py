"""Numbers a command line or a client hands hawkeye are bounded where they enter: a token cap or a seed out of
range is a usage error naming the option and its range (serve's 400s: test_serve_requests.py), before any model
loads, and never an entry the ledger loses afterwards (test_ledger_store.py)."""

from __future__ import annotations

import json

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.backends.base import MOST_TOKENS, SEEDS
from scripted_models import scripted_models


@pytest.mark.parametrize(("option", "value", "range_"), [
    ("--max-tokens", str(10**29), f"1<=x<={MOST_TOKENS}"),
    ("--max-tokens", "0", f"1<=x<={MOST_TOKENS}"),
    ("--seed", str(2**64), f"{SEEDS[0]}<=x<={SEEDS[1]}"),
    ("--seed", str(-(2**63) - 1), f"{SEEDS[0]}<=x<={SEEDS[1]}"),
])
def test_a_number_out_of_range_is_a_usage_error_naming_the_option_and_its_range(
        option: str, value: str, range_: str, hawkeye: Hawkeye) -> None:
    with scripted_models():
        shown = hawkeye("ask", "What is 1 + 1?", option, value, "--no-log")
        documented = hawkeye("ask", "What is 1 + 1?", option, value, "--json", "--no-log")
    assert shown.exit_code == documented.exit_code == 2
    assert option in shown.stderr and range_ in shown.stderr and "Traceback" not in shown.output
    error = json.loads(documented.stdout)["error"]
    assert error["code"] == "usage_error" and option in error["message"] and range_ in error["message"]


def test_the_ends_of_the_ranges_are_taken(hawkeye: Hawkeye) -> None:
    with scripted_models():
        for option, value in (("--max-tokens", MOST_TOKENS), ("--seed", SEEDS[0]), ("--seed", SEEDS[1])):
            result = hawkeye("ask", "What is 1 + 1?", "--budget", "8", option, str(value), "--json", "--no-log")
            assert result.exit_code == 0, result.output
            assert json.loads(result.stdout)["settings"][option.removeprefix("--").replace("-", "_")] == value
