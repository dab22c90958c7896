"""Saving a calibrated profile into the user's registry file: models given as a path or an endpoint, the file put
in place only once the registry loads with it, a link or the default location, and several saves at once."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from hawkeye_cli.errors import RegistryError
from hawkeye_cli.store import paths, user_registry
from hawkeye_cli.store.registry import Registry, load_registry
from hawkeye_cli.store.user_registry import save_profile

SETTINGS = {"budget": 64, "max_tokens": 256, "description": "calibrated"}


@pytest.fixture
def user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text("profiles:\n  other: {planner: gemma3-270m, expander: smollm2-135m-instruct, budget: 32}\n",
                    encoding="utf-8")
    monkeypatch.setenv(paths.USER_REGISTRY_ENV, str(path))
    return path


def tiny_models(registry: Registry) -> dict[str, tuple[str, object]]:
    return {"planner": ("gemma3-270m", registry.model("gemma3-270m")),
            "expander": ("smollm2-135m-instruct", registry.model("smollm2-135m-instruct"))}


def test_a_gguf_path_and_an_endpoint_are_saved_as_models_the_profile_names(user_file: Path, tmp_path: Path) -> None:
    gguf = tmp_path / "weights" / "planner-q4.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    registry = load_registry()
    endpoint = "http://gpu-box:8000/v1#deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    save_profile(registry, "remote", {"planner": (endpoint, registry.model(endpoint)),
                                      "expander": (str(gguf), registry.model(str(gguf)))}, SETTINGS)
    reloaded = load_registry()
    profile = reloaded.profile("remote")
    planner, expander = reloaded.model(profile.planner), reloaded.model(profile.expander)
    assert (planner.source.openai, planner.source.model) == ("http://gpu-box:8000/v1",
                                                             "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
    assert expander.source.path == gguf.resolve() and profile.expander == "planner-q4.gguf"
    assert planner == registry.model(endpoint) and expander == registry.model(str(gguf))  # the same models
    assert reloaded.profile("other").budget == 32


def test_a_name_taken_by_another_model_is_refused(user_file: Path, tmp_path: Path) -> None:
    user_file.write_text(user_file.read_text() + "models:\n  planner.gguf: {source: {path: /elsewhere/x.gguf}}\n")
    gguf = tmp_path / "planner.gguf"
    gguf.write_bytes(b"GGUF")
    registry = load_registry()
    before = user_file.read_text()
    with pytest.raises(RegistryError, match=r"its name planner\.gguf is taken by another model"):
        save_profile(registry, "x", {"planner": (str(gguf), registry.model(str(gguf)))}, SETTINGS)
    assert user_file.read_text() == before


def test_a_file_the_registry_would_refuse_is_never_put_in_place(user_file: Path, tmp_path: Path) -> None:
    registry = load_registry()
    before = user_file.read_text()
    with pytest.raises(RegistryError, match=r"left as it was: the registry would not load with the change \(.*"
                       r"profiles\.bad\.budget"):
        save_profile(registry, "bad", tiny_models(registry), {"budget": 0})
    assert user_file.read_text() == before and sorted(os.listdir(tmp_path)) == ["models.yaml", "models.yaml.lock"]


def test_ctrl_c_while_saving_leaves_the_old_file(user_file: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    registry = load_registry()
    before = user_file.read_text()

    def interrupted(extra: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(user_registry, "load_registry", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_profile(registry, "mine", tiny_models(registry), SETTINGS)
    assert user_file.read_text() == before and not any(name.endswith(".tmp") for name in os.listdir(tmp_path))


def test_a_linked_file_is_written_through_its_link_with_its_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "dotfiles" / "models.yaml"
    real.parent.mkdir()
    real.write_text("profiles: {}\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "models.yaml"
    link.symlink_to(real)
    monkeypatch.setenv(paths.USER_REGISTRY_ENV, str(link))
    registry = load_registry()
    assert save_profile(registry, "mine", tiny_models(registry), SETTINGS) == link
    assert link.is_symlink() and yaml.safe_load(real.read_text())["profiles"]["mine"]["budget"] == 64
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_the_default_file_and_its_folder_are_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "new-home"
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    registry = load_registry()
    assert save_profile(registry, "mine", tiny_models(registry), SETTINGS) == home / "models.yaml"
    assert load_registry().profile("mine").budget == 64


def test_saves_at_once_keep_every_profile(user_file: Path) -> None:
    registry = load_registry()
    names = [f"p{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda name: save_profile(registry, name, tiny_models(registry), SETTINGS), names))
    assert set(load_registry().profiles) >= {"other", *names}
