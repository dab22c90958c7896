"""Shared fixtures: an isolated hawkeye home, the real tiny models through llama.cpp, and a scripted backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from cli_runner import Hawkeye, run_hawkeye
from hawkeye_cli import backends
from hawkeye_cli.backends.base import (
    Backend,
    Completion,
    FinishReason,
    Request,
    Session,
    StopScanner,
    TextEnd,
    TokenScore,
)
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.store.registry import ModelSpec, Registry, load_registry
from remote_fixtures import llama_server, openai_stub_server  # noqa: F401 - fixtures of the remote backend tests

TINY_CTX = 2048


@pytest.fixture(scope="session", autouse=True)
def hawkeye_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One hawkeye home per test session (gemma is assembled into it once) and no user registry: the user file
    is looked for in this home, where there is none. Commands that name no profile use `tiny`, as they would
    without the small pair installed (tests of the default choice unset HAWKEYE_PROFILE)."""
    home = tmp_path_factory.mktemp("hawkeye-home")
    patch = pytest.MonkeyPatch()
    patch.setenv("HAWKEYE_HOME", str(home))
    patch.setenv("HAWKEYE_PROFILE", "tiny")
    patch.delenv("HAWKEYE_MODELS", raising=False)
    patch.setenv("HF_HOME", str(home / "hf"))
    patch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield home
    patch.undo()


@pytest.fixture(scope="session")
def registry(hawkeye_home: Path) -> Registry:
    return load_registry()


def local_settings(n_ctx: int = TINY_CTX) -> BackendSettings:
    return BackendSettings(llama_cpp=LlamaCppSettings(n_ctx=n_ctx, threads=2))


def _load(registry: Registry, alias: str) -> Backend:
    return backends.load_backend(registry.model(alias), local_settings())


@pytest.fixture(scope="session")
def smollm(registry: Registry) -> Iterator[Backend]:
    """SmolLM2-135M-Instruct (chat model), real llama.cpp."""
    backend = _load(registry, "smollm2-135m-instruct")
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def gemma(registry: Registry) -> Iterator[Backend]:
    """Gemma 3 270M (base model, plain completion), real llama.cpp."""
    backend = _load(registry, "gemma3-270m")
    yield backend
    backend.close()


class ScriptedBackend(Backend):
    """Replays scripted outputs token by token (one whitespace-separated word = one token).

    For unit tests of pure pipeline logic (budget forcing, </think> handling, the adaptive stop rule); real
    features are also tested on the real tiny models. `prompts` records each request as rendered text. A session
    (the planner's thinking) gives one scripted output out round by round; its probes answer with `answers` in
    turn (nothing once they run out), and `probed` records what each probe continued.
    """

    def __init__(self, outputs: Sequence[str], name: str = "scripted", n_ctx: int = 4096,
                 answers: Sequence[str] = ()) -> None:
        self.name = name
        self.n_ctx = n_ctx
        self.outputs = list(outputs)
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.probed: list[str] = []

    @staticmethod
    def render(request: Request) -> str:
        if request.prompt is not None:
            return request.prompt
        turns = "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in request.messages)
        return f"{turns}<assistant>{request.prefix}"

    def prompt_tokens(self, request: Request) -> int:
        return len(self.render(request).split())

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def score_tokens(self, text: str) -> list[TokenScore]:
        scores, position = [], 0
        for word in text.split(" "):
            scores.append(TokenScore(piece=word + " ", logprob=-float(len(word)), start=position))
            position += len(word) + 1
        return scores

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        prompt = self.render(request)
        self.prompts.append(prompt)
        words = self.outputs.pop(0).split(" ")
        text, finish = "", "eos"
        for count, word in enumerate(words, start=1):
            text += ("" if count == 1 else " ") + word
            cut = [text.find(s) for s in request.stop if s in text]
            if cut:
                text, finish = text[: min(cut)], "stop"
                break
            if count >= request.max_tokens:
                finish = "length"
                break
        if on_text is not None:
            on_text(text)
        return Completion(text, len(prompt.split()), count, 0.01, 0.1, finish)  # type: ignore[arg-type]


    def session(self, request: Request) -> Session:
        return ScriptedSession(self, request)


class ScriptedSession(Session):
    def __init__(self, backend: ScriptedBackend, request: Request) -> None:
        backend.prompts.append(backend.render(request))
        self.backend = backend
        self.request = request
        self.words = backend.outputs.pop(0).split(" ")
        self.used = 0
        self.ended: FinishReason | None = None
        self.text = ""

    def extend(self, max_tokens: int, on_text: Callable[[str], None] | None = None) -> Completion:
        text, count, finish = self.text, 0, self.ended or "length"
        while count < max_tokens and self.ended is None:
            if self.used == len(self.words):
                self.ended = finish = "eos"
                break
            text += (" " if self.used else "") + self.words[self.used]
            self.used += 1
            count += 1
            cut = [text.find(s) for s in self.request.stop if s in text]
            if cut:
                text = text[: min(cut)]
                self.ended = finish = "stop"
        piece, self.text = text[len(self.text) :], text
        if on_text is not None:
            on_text(piece)
        prompt = len(self.backend.prompts[-1].split()) if self.used == count else 0
        return Completion(piece, prompt, count, 0.01, 0.1, finish)

    def probe(self, text: str, max_tokens: int, stop: tuple[str, ...], end: TextEnd | None = None) -> Completion:
        self.backend.probed.append(self.text + text)
        answer = self.backend.answers.pop(0) if self.backend.answers else ""
        scanner = StopScanner(stop, None, end=end)
        scanner.feed(answer)
        return Completion(scanner.finish(), len(text.split()), len(answer.split()), 0.005, 0.01, "stop")


class ScriptedDriver(backends.Driver):
    """Hands out scripted backends in place of real models: tests plug it into the backend factory with
    `backends.registered(kind, driver)`, so the commands run unchanged. `loaded` lists the aliases loaded."""

    def __init__(self, make: Callable[[ModelSpec], Backend]) -> None:
        self.make = make
        self.loaded: list[str] = []

    def availability(self, spec: ModelSpec) -> backends.Availability:
        return "present"

    def load(self, spec: ModelSpec, settings: BackendSettings) -> Backend:
        self.loaded.append(spec.alias)
        return self.make(spec)


@pytest.fixture
def scripted() -> type[ScriptedBackend]:
    return ScriptedBackend


@pytest.fixture(scope="session")
def hawkeye() -> Hawkeye:
    """Runs the hawkeye CLI in-process: `hawkeye("ask", question, "--json")` gives typer's Result. Session-wide, so
    fixtures of any scope can run it too."""
    return run_hawkeye


@pytest.fixture
def spec_of(registry: Registry) -> Callable[[str], ModelSpec]:
    return registry.model
