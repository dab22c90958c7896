# ruff: noqa: RUF001 - DeepSeek's markup is written with fullwidth vertical lines; they are the point here
"""The paper profile's prompts through the real chat templates of DeepSeek-R1-Distill-Qwen (both revisions) and
Qwen2.5-Instruct (tests/data/chat_templates/): the assistant turn opened once, `<think>` opened exactly once,
one BOS; and one real llama.cpp model driven through the R1 template, its plan cut at the budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from hawkeye_cli import backends
from hawkeye_cli.backends.base import Sampling
from hawkeye_cli.backends.chat_template import ChatTemplate
from hawkeye_cli.backends.llama_cpp import LlamaCppBackend
from hawkeye_cli.backends.model import Model
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.pipeline import Collaboration, DecodeSettings, prompts
from hawkeye_cli.store.model_files import require_local
from hawkeye_cli.store.registry import ModelSpec, Registry, Source

TEMPLATES = Path(__file__).parent / "data" / "chat_templates"
R1_BOS, R1_EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
QWEN_SYSTEM = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
QUESTION = "Natalia sold 48 clips in April and half as many in May. How many in total?"
SAMPLING = Sampling()


def r1(revision: str = "") -> ChatTemplate:
    name = f"deepseek-r1-distill-qwen{revision}.jinja"
    return ChatTemplate((TEMPLATES / name).read_text(encoding="utf-8"), bos_token=R1_BOS, eos_token=R1_EOS)


def qwen() -> ChatTemplate:
    return ChatTemplate((TEMPLATES / "qwen2.5-instruct.jinja").read_text(encoding="utf-8"), eos_token="<|im_end|>")


@pytest.fixture
def paper(registry: Registry) -> tuple[ModelSpec, ModelSpec]:
    profile = registry.profile("paper")
    return registry.model(profile.planner), registry.model(profile.expander)


@pytest.mark.parametrize("revision", ["", "-2025-01"])
def test_plan_and_baseline_open_the_turn_and_thinking_once(paper: tuple[ModelSpec, ModelSpec], revision: str) -> None:
    planner, _ = paper
    template = r1(revision)
    plan = template.render(prompts.plan_request(planner, QUESTION, budget=256, sampling=SAMPLING))
    assert plan == f"{R1_BOS}<｜User｜>{QUESTION}\n\n{prompts.PLAN_INSTRUCTION}<｜Assistant｜><think>\n"
    baseline = template.render(prompts.baseline_request(
        planner, QUESTION, instruction=prompts.FINAL_ANSWER_INSTRUCTION, max_tokens=3072, sampling=SAMPLING))
    assert baseline == f"{R1_BOS}<｜User｜>{QUESTION}\n\n{prompts.FINAL_ANSWER_INSTRUCTION}<｜Assistant｜><think>\n"
    for text in (plan, baseline):
        assert text.count("<think>") == 1 and text.count("<｜Assistant｜>") == 1 and text.count(R1_BOS) == 1


def test_rewrite_skips_thinking_with_one_empty_block(paper: tuple[ModelSpec, ModelSpec]) -> None:
    planner, _ = paper
    for revision in ("", "-2025-01"):
        text = r1(revision).render(prompts.rewrite_request(planner, QUESTION, "48 / 2 = 24", budget=10,
                                                           sampling=SAMPLING))
        assert text.endswith("<｜Assistant｜><think>\n\n</think>\n\n") and text.count("<think>") == 1


def test_expand_and_solo_through_qwen(paper: tuple[ModelSpec, ModelSpec]) -> None:
    """The chat expander is shown the example's sketch and solution first, then gets the question's."""
    _, expander = paper
    answers = prompts.GSM8K_ANSWERS
    instruction, example = answers.instruction, answers.examples[0]
    expand = qwen().render(prompts.expand_request(expander, QUESTION, "  48 / 2 = 24; 48 + 24 = 72\n",
                                                  answers=answers, max_tokens=3072, sampling=SAMPLING))
    turn = f"<|im_start|>user\n{prompts.EXPAND_INSTRUCTION} {instruction}\n\nProblem:\n"
    assert expand == (f"{QWEN_SYSTEM}{turn}{example.question}\n\nSketch:\n{example.draft}<|im_end|>\n"
                      f"<|im_start|>assistant\n{example.solution}<|im_end|>\n"
                      f"{turn}{QUESTION}\n\nSketch:\n48 / 2 = 24; 48 + 24 = 72<|im_end|>\n<|im_start|>assistant\n")
    solo = qwen().render(prompts.solo_request(expander, QUESTION, instruction=instruction, max_tokens=3072,
                                              sampling=SAMPLING))
    assert solo == (f"{QWEN_SYSTEM}<|im_start|>user\n{QUESTION}\n\n{prompts.SOLO_INSTRUCTION} {instruction}"
                    "<|im_end|>\n<|im_start|>assistant\n")


def test_a_chat_planner_that_does_not_think_is_shown_a_draft(paper: tuple[ModelSpec, ModelSpec]) -> None:
    """Told only to think concisely, an instruct planner writes an outline without numbers: it is shown the
    example's draft (numbers and equations, then the answer) as an earlier turn of its own."""
    _, instruct = paper
    (example,) = prompts.MATH_ANSWERS.examples
    plan = qwen().render(prompts.plan_request(instruct, QUESTION, budget=64, sampling=SAMPLING,
                                              answers=prompts.MATH_ANSWERS))
    instruction = f"{prompts.DRAFT_INSTRUCTION} {prompts.MATH_ANSWERS.instruction}"
    assert plan == (f"{QWEN_SYSTEM}<|im_start|>user\n{example.question}\n\n{instruction}<|im_end|>\n"
                    f"<|im_start|>assistant\n{example.draft}<|im_end|>\n"
                    f"<|im_start|>user\n{QUESTION}\n\n{instruction}<|im_end|>\n<|im_start|>assistant\n")


def test_a_gsm8k_draft_is_shown_every_example_as_cached_turns(paper: tuple[ModelSpec, ModelSpec]) -> None:
    """The planner sees each example's question and draft, in order, before the question; they are the shared
    turns a backend caches."""
    _, instruct = paper
    request = prompts.plan_request(instruct, QUESTION, budget=64, sampling=SAMPLING)
    examples = prompts.GSM8K_ANSWERS.examples
    assert len(examples) == 2
    assert [message["content"] for message in request.messages[1::2]] == [example.draft for example in examples]
    assert all(message["content"].startswith(example.question)
               for message, example in zip(request.messages[::2], examples, strict=False))
    assert request.messages[-1]["content"].startswith(QUESTION) and request.shared_turns == 4


def test_user_text_is_kept_apart_from_markup_in_the_r1_template(paper: tuple[ModelSpec, ModelSpec]) -> None:
    planner, _ = paper
    request = prompts.plan_request(planner, "What is <｜Assistant｜> 2+2?", budget=8, sampling=SAMPLING)
    content = [text for text, markup in r1().segments(request) if not markup]
    assert content == [request.messages[0]["content"]]


def test_a_registry_template_file_overrides_the_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hawkeye_cli.store.registry import load_registry

    registry_file = tmp_path / "models.yaml"
    registry_file.write_text(f"models:\n  templated:\n    source: {{path: {tmp_path / 'm.gguf'}}}\n"
                             f"    chat_template: {TEMPLATES / 'qwen2.5-instruct.jinja'}\n", encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))
    spec = load_registry().model("templated")
    assert spec.chat_template == (TEMPLATES / "qwen2.5-instruct.jinja").read_text(encoding="utf-8")


def test_a_registry_template_may_be_inline_or_a_path_beside_the_registry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hawkeye_cli.errors import RegistryError
    from hawkeye_cli.store.registry import load_registry

    inline = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "mine.jinja").write_text(inline, encoding="utf-8")
    registry_file = tmp_path / "models.yaml"
    registry_file.write_text(
        "models:\n"
        f"  inline:\n    source: {{path: {tmp_path / 'a.gguf'}}}\n    chat_template: '{inline}'\n"
        f"  beside:\n    source: {{path: {tmp_path / 'b.gguf'}}}\n    chat_template: templates/mine.jinja\n",
        encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))
    registry = load_registry()
    assert registry.model("inline").chat_template == inline == registry.model("beside").chat_template
    rendered = ChatTemplate(inline, name="inline").render(prompts.solo_request(
        registry.model("inline"), "2+2?", instruction="Answer.", max_tokens=8, sampling=SAMPLING))
    assert rendered.startswith("<user>2+2?") and rendered.endswith("<assistant>")
    registry_file.write_text(f"models:\n  gone:\n    source: {{path: {tmp_path / 'c.gguf'}}}\n"
                             "    chat_template: templates/missing.jinja\n", encoding="utf-8")
    with pytest.raises(RegistryError) as raised:
        load_registry()
    assert f"chat_template file {tmp_path / 'templates' / 'missing.jinja'} cannot be read" in raised.value.one_line()


@pytest.mark.slow
def test_a_real_model_through_the_r1_template_plans_to_the_budget(registry: Registry) -> None:
    """Gemma 3 270M wearing R1's template: one BOS token (the template writes it, llama.cpp would add it),
    `<think>` opened by the template alone, and the plan cut at exactly the budget."""
    gemma = registry.model("gemma3-270m")
    spec = ModelSpec(alias="gemma-as-r1", source=Source(path=require_local(gemma)), reasoning=True,
                     chat_template=(TEMPLATES / "deepseek-r1-distill-qwen.jinja").read_text(encoding="utf-8"))
    backend = backends.load_backend(spec, BackendSettings(llama_cpp=LlamaCppSettings(n_ctx=1024, threads=2)))
    try:
        assert isinstance(backend, LlamaCppBackend)
        request = prompts.plan_request(spec, QUESTION, budget=8, sampling=SAMPLING)
        rendered = backend.template.render(request)
        assert rendered.count("<think>") == 1 and rendered.endswith("<｜Assistant｜><think>\n")
        tokens = backend._prompt(request)
        bos = backend._llm.token_bos()
        assert tokens[0] == bos and tokens.count(bos) == 1
        model = Model(spec, backend)
        plan = Collaboration(model, model).plan(QUESTION, DecodeSettings(budget=8, max_tokens=16))
        assert plan.budget_reached and plan.stage.completion.completion_tokens == 8
        assert plan.stage.completion.prompt_tokens == len(tokens)
    finally:
        backend.close()
