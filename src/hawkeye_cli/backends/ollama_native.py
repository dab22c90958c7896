"""Raw prompts on Ollama: its native /api/generate with `raw: true`, the only Ollama endpoint that sends a prompt
to the model as written (its OpenAI-compatible /v1/completions applies the model's chat template first).

The answer streams as JSON lines: `response` (and `thinking`) pieces, then a last line with `done`, `done_reason`
and the token counts `prompt_eval_count` / `eval_count`.

The request goes through the backend's `openai` client, so it has the same timeouts and retries (connection
errors, 429 and 5xx, with backoff) as every other request to the engine; the caller maps its HTTP errors
(backends/http_errors.py). What is Ollama's own, a stream of the wrong shape or an error line in it, is
raised here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx2
import openai

from hawkeye_cli.backends.base import Completion, FinishReason, Request
from hawkeye_cli.errors import RemoteError, RequestError


def generate_raw(client: openai.OpenAI, url: str, model: str, prompt: str, request: Request,
                 on_text: Callable[[str], None] | None, where: str) -> Completion:
    """One completion of `prompt` as is; `url` is the server's /api/generate, `where` names it in errors."""
    sampling = request.sampling
    options: dict[str, Any] = {"num_predict": request.max_tokens, "temperature": sampling.temperature,
                               "seed": sampling.seed}
    if request.stop:
        options["stop"] = list(request.stop)
    if sampling.temperature > 0:
        options.update(top_p=sampling.top_p, top_k=sampling.top_k, min_p=sampling.min_p)
    body: dict[str, Any] = {"model": model, "prompt": prompt, "raw": True, "stream": True, "options": options}
    if request.effort is not None:
        body["think"] = request.effort
    started = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    thinking: list[str] = []
    last: dict[str, Any] = {}
    response = client.post(url, body=body, cast_to=httpx2.Response, stream=True)
    try:
        for line in response.iter_lines():
            if not line.strip():
                continue
            part = json.loads(line)
            if not isinstance(part, dict) or "error" in part:
                raise RemoteError(f"{where} failed: {part.get('error') if isinstance(part, dict) else part}",
                                  fix="check the server's log")
            piece, thought = (text if isinstance(text := part.get(key), str) else ""
                              for key in ("response", "thinking"))
            if piece or thought:
                first = first if first is not None else time.perf_counter() - started
            if thought:
                thinking.append(thought)
            if piece:
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
            if part.get("done"):
                last = part
                break
    except json.JSONDecodeError as exc:
        raise RemoteError(f"{where} answered something that is not Ollama's /api/generate stream",
                          fix="check that the URL points at an Ollama server, or drop `api: ollama`") from exc
    finally:
        response.close()
    if not last:
        raise RequestError(f"{where} ended its answer without saying why (no `done`): the server dropped the "
                           "request", fix="run it again")
    seconds = time.perf_counter() - started
    prompt_tokens, completion_tokens = last.get("prompt_eval_count"), last.get("eval_count")
    return Completion(
        text="".join(pieces),
        prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else 0,
        completion_tokens=completion_tokens if isinstance(completion_tokens, int) else len(pieces),
        prompt_seconds=first if first is not None else seconds,
        seconds=seconds,
        finish_reason=_finish(last.get("done_reason"), request),
        reasoning="".join(thinking) if thinking else None,
        reasoning_tokens=len(thinking) if thinking else None,
    )


def _finish(reason: object, request: Request) -> FinishReason:
    """Ollama says `length` or `stop`, and `stop` for both a stop string and the end of the turn."""
    if reason == "length":
        return "length"
    return "stop" if request.stop else "eos"
