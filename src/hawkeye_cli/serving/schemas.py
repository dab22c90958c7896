"""The OpenAI chat-completions wire format, as far as hawkeye serves it: the request it reads, and the bodies,
chunks and error objects it writes.

Fields hawkeye cannot honour (n, stop, tools, logprobs, penalties…) are accepted and ignored, so that any
OpenAI client works unchanged.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from hawkeye_cli.backends.base import CUT_SHORT, MOST_TOKENS, SEEDS, FinishReason
from hawkeye_cli.budget import value
from hawkeye_cli.pipeline import AskResult, StageResult

ErrorType = Literal["invalid_request_error", "authentication_error", "not_found_error", "api_error"]


def _unicode(text: str) -> str:
    """Text a model can read and a reply can carry: JSON may hold a lone surrogate ("\\ud800"), which is no
    character, and UTF-8, which every tokenizer and every answer is written in, cannot encode it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode: a lone surrogate (U+{ord(text[exc.start]):04X}) at character "
                         f"{exc.start}") from None
    return text


UnicodeText = Annotated[str, AfterValidator(_unicode)]


def _within(low: int, high: int) -> BeforeValidator:
    """An integer field's range, named whole in the 400 that refuses a number outside it (an integer, or a float
    such as 1e30, which pydantic would refuse as "exceeded maximum size"): JSON numbers have no bound."""
    def check(value: object) -> object:
        if isinstance(value, int | float) and not low <= value <= high:
            raise ValueError(f"must be an integer from {low} to {high}")
        return value

    return BeforeValidator(check)


AnswerCap = Annotated[int, _within(1, MOST_TOKENS)]
Seed = Annotated[int, _within(*SEEDS)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContentPart(_Lenient):
    type: str
    text: str | None = None


class ChatMessage(_Lenient):
    role: str
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        """The message's text; of a multi-part message, its text parts joined (images and audio are not read)."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content or () if part.type == "text" and part.text)

    @model_validator(mode="after")
    def _readable(self) -> ChatMessage:
        _unicode(self.text)
        return self


class StreamOptions(_Lenient):
    include_usage: bool = False


class ChatCompletionRequest(_Lenient):
    model: UnicodeText
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: AnswerCap | None = None
    max_completion_tokens: AnswerCap | None = None
    """The newer name of max_tokens; either caps the answer (the expander), not the plan."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    seed: Seed | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    reasoning_effort: str | None = None
    """OpenAI's effort field: hawkeye's adaptive stop at that level (low, medium, high)."""

    @property
    def answer_cap(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage

    def question(self) -> str | None:
        """The last user message: hawkeye plans and answers one question, so earlier turns are not read."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text.strip() or None
        return None


class ApiError(Exception):
    """An OpenAI-style error answer: the HTTP status and the `error` object clients parse."""

    def __init__(self, status: int, message: str, *, type: ErrorType = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def finish_reason(reason: FinishReason) -> Literal["stop", "length"]:
    """OpenAI has no `eos`: a model that ended its turn stopped."""
    return "length" if reason in CUT_SHORT else "stop"


def usage(result: AskResult) -> dict[str, Any]:
    """Every stage summed, as OpenAI counts a reasoning model (the plan and its probes are the reasoning), with
    each stage's tokens and seconds under `stages`."""
    plan = result.plan
    stages = {stage.stage: _stage_usage(stage) for stage in result.stages}
    stages["plan"].update(budget=value(plan.budget), budget_reached=plan.budget_reached, stop=plan.stop,
                          probes=len(plan.probes))
    prompt, completion = result.prompt_tokens, result.completion_tokens
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "completion_tokens_details": {"reasoning_tokens": plan.thinking_tokens}, "stages": stages}


def agreement(result: AskResult) -> dict[str, Any]:
    """hawkeye's extra fields of a reply: whether the planner's probed answer and the expander's agree."""
    return {"agree": result.agree, "planner_answer": result.plan.answer, "final_answer": result.final_answer}


def _stage_usage(stage: StageResult) -> dict[str, Any]:
    completion = stage.completion
    return {"model": stage.model, "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens, "seconds": round(completion.seconds, 4)}


def reasoning(text: str) -> dict[str, str]:
    """The plan under both names engines give thinking: vLLM renamed `reasoning_content` to `reasoning`
    (vllm-project/vllm#27752), and clients read one or the other, so engines send both while that settles."""
    return {"reasoning_content": text, "reasoning": text}


def completion_body(completion_id: str, model: str, result: AskResult) -> dict[str, Any]:
    message = {"role": "assistant", "content": result.expansion.text, **reasoning(result.plan.cot)}
    return {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": finish_reason(result.expansion.completion.finish_reason)}],
        "usage": usage(result), **agreement(result),
    }


def chunk(completion_id: str, model: str, delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
    return {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def usage_chunk(completion_id: str, model: str, result: AskResult) -> dict[str, Any]:
    """The last chunk when the client asked for stream_options.include_usage: no choices, only usage."""
    return {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [], "usage": usage(result)}
