"""--threads beyond the cores this process may use is capped at them, with a one-line warning: llama.cpp with
more threads than cores spins (8 tokens in 56 s instead of 0.6 s on 2 cores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli_runner import Hawkeye
from conftest import ScriptedBackend, ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.backends.settings import BackendSettings, usable_cores
from hawkeye_cli.store.registry import ModelSpec


class Recording(ScriptedDriver):
    """Scripted models that keep the settings they were loaded with."""

    def __init__(self) -> None:
        super().__init__(lambda spec: ScriptedBackend(["#### 5"]))
        self.settings: list[BackendSettings] = []

    def load(self, spec: ModelSpec, settings: BackendSettings) -> ScriptedBackend:
        self.settings.append(settings)
        return super().load(spec, settings)  # type: ignore[return-value]


@pytest.fixture
def driver() -> Iterator[Recording]:
    recording = Recording()
    with backends.registered("pypi", recording):
        yield recording


def test_too_many_threads_are_capped_with_a_warning(driver: Recording, hawkeye: Hawkeye) -> None:
    cores = usable_cores()
    result = hawkeye("ask", "What is 2 + 3?", "--profile", "tiny", "--threads", str(cores + 998))

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (f"warning: --threads {cores + 998} is more than the {cores} cores this "
                                             f"process may use; using {cores}")
    assert {settings.llama_cpp.threads for settings in driver.settings} == {cores}


def test_threads_within_the_cores_are_taken_as_given(driver: Recording, hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", "What is 2 + 3?", "--profile", "tiny", "--threads", "1")

    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert {settings.llama_cpp.threads for settings in driver.settings} == {1}
