"""`hawkeye models --check` as a terminal shows it: the checks' long answers used to widen the status column until
alias and roles were squeezed to nothing, even at 160 columns. Run as a real process at each width."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from openai_stub import MODEL, StubServer

DOWN = "http://127.0.0.1:9/v1"
"""Nothing listens on port 9 (discard): connection refused at once."""


@pytest.fixture
def registry_file(tmp_path: Path, openai_stub_server: StubServer) -> Path:
    openai_stub_server.reset()
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"models": {
        "stub-served-model": {"source": {"openai": openai_stub_server.url, "model": MODEL}, "roles": ["planner"]},
        "engine-that-is-down": {"source": {"openai": DOWN, "model": "m"}, "roles": ["expander"]},
    }}), encoding="utf-8")
    return path


@pytest.mark.parametrize("columns", [80, 160])
def test_every_column_stays_readable_and_each_check_is_a_line_of_its_own(registry_file: Path,
                                                                         columns: int) -> None:
    result = subprocess.run([sys.executable, "-m", "hawkeye_cli", "models", "--check"], capture_output=True,
                            text=True, encoding="utf-8", timeout=120,
                            env={**os.environ, "HAWKEYE_MODELS": str(registry_file), "COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= columns
    header = next(line for line in lines if "alias · source" in line)
    for column in ("roles", "quant", "params", "size", "available"):
        assert column in header
    rows = {alias: next(line for line in lines if f"│ {alias} " in line)  # the alias whole, on one line
            for alias in ("stub-served-model", "engine-that-is-down", "smollm2-135m-instruct")}
    assert "planner" in rows["stub-served-model"] and "remote ✓" in rows["stub-served-model"]
    assert "expander" in rows["engine-that-is-down"] and "remote ✗" in rows["engine-that-is-down"]
    assert "✓ present" in rows["smollm2-135m-instruct"]
    text = " ".join(result.stdout.split())  # each check's line, wrapped at the terminal's width
    assert f"✓ stub-served-model answers, serving {MODEL}" in text
    assert f"✗ engine-that-is-down does not answer: cannot reach {DOWN} (m) — is the server running? check the URL" \
        in text
