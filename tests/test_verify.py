"""`hawkeye verify` (sha256 of files on disk) and `hawkeye models` showing a file of the wrong size."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from cli_runner import Hawkeye
from fakehub import FakeHub
from hawkeye_cli.store import hub
from hawkeye_cli.store.registry import load_registry

pytest_plugins = ("fakehub",)

GGUF = b"GGUF" + bytes(range(256)) * 64
GGUF_SHA = hashlib.sha256(GGUF).hexdigest()


@pytest.fixture
def user_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """user_models(alias={"source": {...}}, ...): those models in a user registry (HAWKEYE_MODELS)."""

    def write(**models: dict[str, Any]) -> None:
        registry_file = tmp_path / "models.yaml"
        registry_file.write_text(yaml.safe_dump({"models": models}), encoding="utf-8")
        monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))

    return write


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(GGUF)
    return path


def by_alias(result: Result) -> dict[str, dict[str, Any]]:
    return {model["alias"]: model for model in json.loads(result.stdout)["models"]}


def test_models_shows_a_truncated_file_as_a_size_mismatch(model_file: Path, user_models: Any, hawkeye: Hawkeye) -> None:
    user_models(whole={"source": {"path": str(model_file), "size": len(GGUF)}},
                cut={"source": {"path": str(model_file), "size": len(GGUF) + 1000}})

    result = hawkeye("models", "--json")

    assert result.exit_code == 0, result.output
    models = by_alias(result)
    assert (models["whole"]["status"], models["cut"]["status"]) == ("present", "size mismatch")
    assert (models["cut"]["size"], models["cut"]["registry_size"]) == (len(GGUF), len(GGUF) + 1000)
    table = hawkeye("models")
    assert table.exit_code == 0
    assert "✗ size mismatch" in table.stdout and "✓ present" in table.stdout


def test_verify_one_line_per_model_and_exit_1_on_a_mismatch(
    model_file: Path, user_models: Any, hawkeye: Hawkeye
) -> None:
    user_models(good={"source": {"path": str(model_file), "sha256": GGUF_SHA}},
                bad={"source": {"path": str(model_file), "sha256": "0" * 64}},
                cut={"source": {"path": str(model_file), "sha256": GGUF_SHA, "size": len(GGUF) + 1}},
                unknown={"source": {"path": str(model_file)}},
                gone={"source": {"path": str(model_file.with_name("gone.gguf"))}})

    result = hawkeye("verify", "good", "bad", "cut", "unknown", "gone")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"✓ good ok · sha256 {GGUF_SHA[:12]}… matches the registry · {model_file}",
        f"✗ bad mismatch · sha256 {GGUF_SHA[:12]}…, the registry says 000000000000… · {model_file}",
        f"✗ cut mismatch · {len(GGUF)} bytes, the registry says {len(GGUF) + 1} · {model_file}",
        f"? unknown no sha256 known · neither the registry nor the Hugging Face cache gives one · {model_file}",
        f"· gone not on disk · {model_file.with_name('gone.gguf')}",
    ]
    assert result.stderr.splitlines() == [
        "error: 2 model file(s) do not match their sha256: bad, cut — "
        "check that it is a complete GGUF model file, or use another one"
    ]


def test_verify_json(model_file: Path, user_models: Any, hawkeye: Hawkeye) -> None:
    user_models(good={"source": {"path": str(model_file), "sha256": GGUF_SHA}})

    result = hawkeye("verify", "good", "--json")

    assert result.exit_code == 0, result.output
    assert by_alias(result)["good"] == {
        "alias": "good", "path": str(model_file), "status": "ok", "sha256": GGUF_SHA, "expected_sha256": GGUF_SHA,
        "sha256_from": "registry", "detail": None,
    }


def test_verify_checks_a_hub_file_against_its_cached_lfs_sha256(
    fake_hub: FakeHub, user_models: Any, hawkeye: Hawkeye
) -> None:
    fake_hub.add("test-org/tiny-GGUF", "tiny.gguf", GGUF)
    user_models(hubbed={"source": {"hf": "test-org/tiny-GGUF", "file": "tiny.gguf"}})
    path = hub.pull_model(load_registry().model("hubbed")).path

    ok = hawkeye("verify", "hubbed")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith(f"✓ hubbed ok · sha256 {GGUF_SHA[:12]}… matches the hub")

    path.resolve().write_bytes(b"GGUF" + bytes(len(GGUF) - 4))  # the cached blob rots; same size
    bad = hawkeye("verify", "hubbed", "--json")
    assert bad.exit_code == 1
    assert by_alias(bad)["hubbed"]["status"] == "mismatch" and by_alias(bad)["hubbed"]["sha256_from"] == "hub"
    assert bad.stderr.strip().endswith("— run: hawkeye pull hubbed")


def test_verify_without_aliases_checks_every_registry_model_on_disk(hawkeye: Hawkeye) -> None:
    result = hawkeye("verify")

    assert result.exit_code == 0, result.output
    aliases = [line.split()[1] for line in result.stdout.splitlines()]
    assert "smollm2-135m-instruct" in aliases  # shipped by PyPI: always on disk
    assert "r1-distill-qwen-7b" not in aliases  # not pulled
    assert all(" ok · " in line for line in result.stdout.splitlines())
