"""Chat templates rendered the way Hugging Face transformers renders them, for any backend that needs the text.

The llama.cpp backend renders every chat request with one; an OpenAI-compatible raw-prompt model is rendered
here before it is sent to `/v1/completions`. The markup the template writes is the only text allowed to become
special tokens, so `segments` tells it apart from the message contents it embeds.
"""

from __future__ import annotations

import functools
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

_HOLDER = "\ue000"
"""A private-use character around each placeholder: no template writes it, and no question is made of it."""


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
        """The rendered prompt cut into (text, is_markup) pieces: message contents are never markup.

        The markup is found by rendering the request once more with a placeholder for each content: searching
        the rendered text for a content would take a content that repeats earlier markup (a question that is
        just `<|im_start|>user`) for that markup, and the question's text for markup. That skeleton depends only on
        the roles and the prefix, so it is rendered once for each shape of request.
        """
        rendered = self.render(request)
        markup = self._markup(tuple(message["role"] for message in request.messages), request.prefix)
        pieces: list[tuple[str, bool]] = []
        position = 0
        for before, message in zip(markup, request.messages, strict=False):
            content = message["content"]
            if not rendered.startswith(before, position):
                raise self._rewrites()
            position += len(before)
            if not rendered.startswith(content, position):
                content = content.strip()  # templates that `| trim` the content
                if not rendered.startswith(content, position):
                    raise self._rewrites()
            pieces += [(before, True), (content, False)]
            position += len(content)
        if rendered[position:] != markup[-1]:
            raise self._rewrites()
        pieces.append((markup[-1], True))
        return [(text, is_markup) for text, is_markup in pieces if text]

    @functools.lru_cache(maxsize=16)  # noqa: B019 - a template lives as long as its model, for the whole process
    def _markup(self, roles: tuple[str, ...], prefix: str) -> list[str]:
        """The markup around and between the messages of a request of this shape, in order."""
        holders = [f"{_HOLDER}{index}{_HOLDER}" for index in range(len(roles))]
        skeleton = join_prefix(self._render([{"role": role, "content": holder}
                                             for role, holder in zip(roles, holders, strict=True)]), prefix)
        markup: list[str] = []
        for holder in holders:
            before, found, skeleton = skeleton.partition(holder)
            if not found:
                raise self._rewrites()
            markup.append(before)
        markup.append(skeleton)
        return markup

    def _rewrites(self) -> RegistryError:
        return RegistryError(f"the chat template of {self.name} rewrites message text, so hawkeye cannot keep user "
                             "text from turning into special tokens",
                             fix="give the model a `chat_template` in the registry that embeds content as is")

    def _render(self, messages: Sequence[Message]) -> str:
        try:
            return self._template.render(messages=list(messages), add_generation_prompt=True, **self._special)
        except TemplateError as exc:
            raise RegistryError(f"the chat template of {self.name} failed: {exc}",
                                fix="fix its `chat_template` in the registry") from exc
