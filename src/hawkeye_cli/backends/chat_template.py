"""Chat templates rendered the way Hugging Face transformers renders them, for any backend that needs the text.

The llama.cpp backend renders every chat request with one; an OpenAI-compatible raw-prompt model is rendered
here before it is sent to `/v1/completions`. The markup the template writes is the only text allowed to become
special tokens, so `segments` tells it apart from the message contents it embeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from hawkeye_cli.backends.base import Message, Request, join_prefix
from hawkeye_cli.errors import RegistryError

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""For a chat model whose GGUF carries no template and whose registry entry gives none."""


def _raise_exception(message: str) -> NoReturn:
    raise TemplateError(message)


class ChatTemplate:
    def __init__(self, source: str, *, bos_token: str = "", eos_token: str = "", name: str = "model") -> None:
        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                    extensions=["jinja2.ext.loopcontrols"])
        environment.globals["raise_exception"] = _raise_exception
        environment.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        self.name = name
        self._special = {"bos_token": bos_token, "eos_token": eos_token}
        try:
            self._template = environment.from_string(source)
        except TemplateError as exc:
            raise RegistryError(f"the chat template of {name} is not valid Jinja ({exc})",
                                fix="fix its `chat_template` in the registry") from exc

    def render(self, request: Request) -> str:
        """The prompt text of a chat request: the conversation, the assistant's turn opened, then the prefix."""
        return join_prefix(self._render(request.messages), request.prefix)

    def segments(self, request: Request) -> list[tuple[str, bool]]:
        """The rendered prompt cut into (text, is_markup) pieces: message contents are never markup."""
        rendered = self.render(request)
        pieces: list[tuple[str, bool]] = []
        position = 0
        for message in request.messages:
            content = message["content"]
            found = rendered.find(content, position)
            if found < 0 and content.strip():
                content = content.strip()  # templates that `| trim` the content
                found = rendered.find(content, position)
            if found < 0:
                raise RegistryError(f"the chat template of {self.name} rewrites message text, so hawkeye cannot "
                                    "keep user text from turning into special tokens",
                                    fix="give the model a `chat_template` in the registry that embeds content as is")
            pieces += [(rendered[position:found], True), (content, False)]
            position = found + len(content)
        pieces.append((rendered[position:], True))
        return [(text, markup) for text, markup in pieces if text]

    def _render(self, messages: Sequence[Message]) -> str:
        try:
            return self._template.render(messages=list(messages), add_generation_prompt=True, **self._special)
        except TemplateError as exc:
            raise RegistryError(f"the chat template of {self.name} failed: {exc}",
                                fix="fix its `chat_template` in the registry") from exc
