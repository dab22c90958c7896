"""A scripted OpenAI-compatible server on 127.0.0.1, for what the real llama_cpp.server cannot show.

vLLM, SGLang and Ollama cannot be installed here (GPUs, Go binaries), so this stub stands in for them: it
streams thinking inline or in the fields those engines use (`reasoning_content`: SGLang, llama-server, DeepSeek,
older vLLM; `reasoning`: newer vLLM, Ollama's OpenAI layer; `thinking`: Ollama native), names the stop reason
as vLLM does, answers vLLM's and llama-cpp-python's tokenize endpoints, and fails in every way a server can
(HTTP 500, 503, 429, 401, 404 unknown model or wrong URL, 400 context overflow, garbage JSON, garbage SSE, an HTML
page or plain text where JSON belongs, accepting a request and never answering). A test picks the behaviour with
`stub.mode` (and `stub.unavailable` for engines that fail a few requests, then recover); the stub records each
request so tests can check what hawkeye sent.

`python tests/openai_stub.py PORT [--exit-after N]` serves it in a process of its own, which can die mid-run: with
--exit-after it exits abruptly, as a killed engine would, once it has given N answers."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

MODEL = "stub-model"
THINKING = ["Two ", "plus ", "two ", "is ", "four."]
ANSWER = ["The ", "answer ", "is ", "4."]
REASONING_TOKENS = 7
"""The thinking tokens usage reports in `reasoning_content` mode: not len(THINKING), so a test tells the two apart."""
CACHED_TOKENS = 8
"""The prompt tokens usage reports served from the prefix cache in `reasoning` mode (vLLM and OpenAI send
`prompt_tokens_details.cached_tokens`)."""
HANG_SECONDS = 3600.0
"""Longer than any test waits: a hanging request ends only when the client gives up or the stub stops."""

MODES = ("inline", "reasoning_content", "reasoning", "thinking", "error500", "error503", "error429", "error401",
         "error404", "unknown_model", "context_overflow", "garbage_json", "garbage_sse", "html", "plain_text", "hang",
         "two_models", "stop_string", "interrupted", "broken_off")
PAGES = {"html": ("<!doctype html><html><body><h1>Welcome</h1></body></html>", "text/html"),
         "plain_text": ("Hello from a web server.", "text/plain")}
"""What a server that is not an engine answers to every request, with status 200."""


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    authorization: str | None = None


@dataclass
class StubState:
    mode: str = "inline"
    tokenize: str = ""
    """Which tokenize endpoint the stub has: none, "vllm" (POST /tokenize, exact counts) or "extras"
    (llama-cpp-python's POST /extras/tokenize/count, which counts a BOS as well, as for Gemma), or "broken"
    (POST /tokenize answers HTTP 500)."""
    unavailable: int = 0
    """How many generate requests (chat, completions, Ollama's native) to answer 503 before behaving as `mode`."""
    exit_after: int | None = None
    """Exit the process abruptly after this many complete answers (only in a process of its own)."""
    answered: int = 0
    requests: list[Recorded] = field(default_factory=list)
    stream_abandoned: threading.Event = field(default_factory=threading.Event)
    """Set when a client closed a stream before its end (budget forcing stops generation this way)."""


def _chunk(delta: dict[str, Any], *, finish: str | None = None, chat: bool = True, **choice_extra: Any) -> str:
    if chat:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, **choice_extra}
        body = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": MODEL, "choices": [choice]}
    else:
        choice = {"index": 0, "text": delta.get("content", ""), "finish_reason": finish, **choice_extra}
        body = {"id": "c1", "object": "text_completion", "created": 0, "model": MODEL, "choices": [choice]}
    return f"data: {json.dumps(body)}\n\n"


def _usage(prompt: int, completion: int, reasoning: int | None = None, cached: int | None = None) -> str:
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": MODEL, "choices": [],
            "usage": usage}
    return f"data: {json.dumps(body)}\n\n"


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "error", "code": status}}, status_code=status,
                        headers=headers)


def _failure(state: StubState) -> Response | None:
    """The 503 of a server that is briefly unavailable, the errors an engine retries after (500, 429), or the
    answer of a server that is no engine at all."""
    if state.mode == "error503" or state.unavailable > 0:
        state.unavailable = max(0, state.unavailable - 1)
        return _error(503, "loading model, try again", **{"retry-after-ms": "10"})
    if state.mode == "error500":
        return _error(500, "engine crashed", **{"retry-after-ms": "10"})
    if state.mode == "error429":
        return _error(429, "slow down", **{"retry-after-ms": "10"})
    if state.mode in PAGES:
        text, media_type = PAGES[state.mode]
        return Response(text, media_type=media_type)
    if state.mode == "error404":
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return None


def create_app(state: StubState) -> FastAPI:
    app = FastAPI()

    async def hang() -> Response:
        await asyncio.sleep(HANG_SECONDS)
        return PlainTextResponse("too late")

    @app.get("/v1/models")
    async def models() -> Response:
        state.requests.append(Recorded("/v1/models", {}))
        if state.mode in (*PAGES, "error404") and (failure := _failure(state)) is not None:
            return failure  # a loading engine (503) still lists its models
        if state.mode == "hang":
            return await hang()
        if state.mode == "error401":
            return _error(401, "Invalid API key")
        if state.mode == "garbage_json":
            return Response("{not json", media_type="application/json")
        names = [MODEL, "other-model"] if state.mode == "two_models" else [MODEL]
        return JSONResponse({"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "stub", "max_model_len": 4096}
            for name in names]})

    @app.post("/tokenize")
    async def tokenize(request: Request) -> Response:
        body = await request.json()
        state.requests.append(Recorded("/tokenize", body))
        if state.tokenize == "broken":
            return _error(500, "tokenizer crashed")
        if state.tokenize != "vllm":
            return _error(404, "Not Found")
        if "prompt" not in body:
            return _error(422, "field required: prompt")
        return JSONResponse({"count": len(body["prompt"].split()), "max_model_len": 4096, "tokens": []})

    @app.post("/api/generate")
    async def ollama_generate(request: Request) -> Response:
        """Ollama's native API: JSON lines, the answer in `response`, counts on the last (`done`) line."""
        body = await request.json()
        state.requests.append(Recorded("/api/generate", body))
        if (failure := _failure(state)) is not None:
            return failure
        if body.get("model") != MODEL:
            return JSONResponse({"error": f"model '{body.get('model')}' not found"}, status_code=404)
        if state.mode == "garbage_json":
            return Response("{not json\n", media_type="application/x-ndjson")
        limit = body.get("options", {}).get("num_predict", len(ANSWER))
        pieces = ANSWER[:limit]
        thinking = THINKING if state.mode == "thinking" else []
        lines = [{"model": MODEL, "response": "", "thinking": piece, "done": False} for piece in thinking]
        lines += [{"model": MODEL, "response": piece, "done": False} for piece in pieces]
        lines.append({"model": MODEL, "response": "", "done": True,
                      "done_reason": "length" if limit < len(ANSWER) else "stop",
                      "prompt_eval_count": len(body["prompt"].split()), "eval_count": len(thinking) + len(pieces)})
        return Response("".join(json.dumps(line) + "\n" for line in lines), media_type="application/x-ndjson")

    @app.post("/extras/tokenize/count")
    async def tokenize_count(request: Request) -> Response:
        body = await request.json()
        state.requests.append(Recorded("/extras/tokenize/count", body))
        if state.tokenize != "extras":
            return _error(404, "Not Found")
        return JSONResponse({"count": 1 + len(body["input"].split())})

    async def generate(request: Request, *, chat: bool) -> Response:
        body = await request.json()
        state.requests.append(Recorded(request.url.path, body, request.headers.get("authorization")))
        mode = state.mode
        if (failure := _failure(state)) is not None:
            return failure
        if mode == "hang":
            return await hang()
        if mode == "error401":
            return _error(401, "Invalid API key")
        if mode == "unknown_model" or body.get("model") != MODEL:
            return _error(404, f"The model `{body.get('model')}` does not exist.")
        if mode == "context_overflow":
            return _error(400, "This model's maximum context length is 4096 tokens. However, you requested "
                               "9000 tokens (8000 in the messages, 1000 in the completion).")
        if mode == "garbage_json":
            return StreamingResponse(iter(["data: {not json\n\n"]), media_type="text/event-stream")
        if mode == "garbage_sse":
            return StreamingResponse(iter(['data: {"hello": "world"}\n\n', "data: [DONE]\n\n"]),
                                     media_type="text/event-stream")
        usage = (body.get("stream_options") or {}).get("include_usage", False)
        stops_at_think = "</think>" in (body.get("stop") or [])
        return StreamingResponse(_events(state, mode, chat=chat, usage=usage, stops_at_think=stops_at_think),
                                 media_type="text/event-stream")

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await generate(request, chat=True)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await generate(request, chat=False)

    return app


async def _events(state: StubState, mode: str, *, chat: bool, usage: bool, stops_at_think: bool) \
        -> AsyncIterator[str]:
    """The stream of one completion.

    With thinking in a field of its own and `</think>` among the stop strings, the stub, like an engine whose
    stop strings only watch the answer, goes on into the answer and then never ends: only a client that closes
    the stream when the answer starts gets its completion.
    """
    completed = False
    try:
        if chat:
            yield _chunk({"role": "assistant", "content": ""})
        if mode in ("reasoning_content", "reasoning", "thinking"):
            for piece in THINKING:
                yield _chunk({mode: piece, "content": None})
        elif mode == "inline":
            yield _chunk({"content": "<think>"}, chat=chat)
            for piece in THINKING:
                yield _chunk({"content": piece}, chat=chat)
            yield _chunk({"content": "</think>"}, chat=chat)
        for piece in ANSWER:
            yield _chunk({"content": piece}, chat=chat)
            if stops_at_think and mode in ("reasoning_content", "reasoning", "thinking"):
                await asyncio.sleep(HANG_SECONDS)
        if mode == "broken_off":  # the engine dies mid-answer: the connection closes before the stream's end
            raise ConnectionAbortedError("the stub broke the stream off")
        if mode == "interrupted":  # llama-cpp-python's server cuts a stream short when another request arrives
            completed = True
            yield "data: [DONE]\n\n"
            return
        if mode == "stop_string":
            yield _chunk({}, finish="stop", chat=chat, stop_reason="\n\n")
        else:
            yield _chunk({}, finish="stop", chat=chat, stop_reason=None)
        if usage:  # DeepSeek's API (reasoning_content) also counts the thinking tokens; Ollama's does not
            yield _usage(11, 12, REASONING_TOKENS if mode == "reasoning_content" else None,
                         CACHED_TOKENS if mode == "reasoning" else None)
        completed = True  # before the last line: a client stops reading at [DONE], and the generator with it
        yield "data: [DONE]\n\n"
    finally:
        if not completed:
            state.stream_abandoned.set()
        else:
            _answered(state)


def _answered(state: StubState) -> None:
    state.answered += 1
    if state.exit_after is not None and state.answered >= state.exit_after:
        os._exit(1)  # the last answer has gone out; no graceful shutdown, as with `kill -9`


class StubServer:
    """The stub on 127.0.0.1 and a free port, served by uvicorn in a thread; stop() ends it."""

    def __init__(self) -> None:
        self.state = StubState()
        self.url = ""
        config = uvicorn.Config(create_app(self.state), host="127.0.0.1", port=0, log_level="warning",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openai-stub", daemon=True)

    def start(self) -> str:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the OpenAI stub server failed to start")
            self._thread.join(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def reset(self, mode: str = "inline", *, tokenize: str = "") -> StubState:
        assert mode in MODES, mode
        self.state.mode = mode
        self.state.tokenize = tokenize
        self.state.unavailable = 0
        self.state.requests.clear()
        self.state.stream_abandoned.clear()
        return self.state


def main() -> None:
    parser = argparse.ArgumentParser(description="The OpenAI stub on 127.0.0.1:PORT, in a process of its own.")
    parser.add_argument("port", type=int)
    parser.add_argument("--exit-after", type=int, help="exit abruptly after this many complete answers")
    arguments = parser.parse_args()
    state = StubState(exit_after=arguments.exit_after)
    uvicorn.run(create_app(state), host="127.0.0.1", port=arguments.port, log_level="warning")


if __name__ == "__main__":
    main()
