"""The OpenAI-compatible app: /v1/models, /v1/chat/completions (plan → expand, streamed or not) and /health.

The plan is the reply's reasoning (`reasoning_content` and `reasoning`, which chat UIs show as thinking) and the
expander's answer its content. Only the last user message is read (see ChatCompletionRequest.question). Every failure is
answered as an OpenAI error object with its HTTP status; none stops the server.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hawkeye_cli.budget import value
from hawkeye_cli.errors import ContextOverflowError, DataError, HawkeyeError, RemoteError
from hawkeye_cli.loading import Pair
from hawkeye_cli.pipeline import AskResult, DecodeSettings
from hawkeye_cli.pipeline.collaborate import BudgetTooLarge, StrippedText
from hawkeye_cli.pipeline.stream import Cancelled, Done, Failed, Text
from hawkeye_cli.serving import schemas
from hawkeye_cli.serving.catalog import Catalog, Selection
from hawkeye_cli.serving.jobs import ActiveJobs, Job
from hawkeye_cli.serving.schemas import ApiError, ChatCompletionRequest
from hawkeye_cli.terminal import printable

T = TypeVar("T")

DISCONNECT_POLL_SECONDS = 0.25
"""How often a request still waiting for its answer checks that its client is there."""

SHUTDOWN_STOP_SECONDS = 10.0
"""Bound on the wait for cancelled generations at shutdown (a remote engine may take long to send its next token)."""

_JOB_LOGS = "hawkeye_job_logs"
"""Request-state flag: the job writes this request's log line itself, once generation has stopped."""


def create_app(catalog: Catalog, *, api_key: str | None = None, active: ActiveJobs | None = None,
               on_answer: Callable[[Pair, DecodeSettings, AskResult], None] | None = None) -> FastAPI:
    """`active`: the running jobs, for a server that stops them when it shuts down. `on_answer`: called from the
    worker thread with each answered request, before its answer is sent (the ledger records it)."""
    jobs = ActiveJobs() if active is None else active

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Last thing at shutdown: no generation may outlive the server (or miss its log line)."""
        yield
        with anyio.move_on_after(SHUTDOWN_STOP_SECONDS):
            await jobs.stop_all()

    app = FastAPI(title="hawkeye", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    def require_key(authorization: Annotated[str | None, Header()] = None) -> None:
        if api_key is None:
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), api_key.encode()):
            raise ApiError(401, "Missing or incorrect API key: send the header 'Authorization: Bearer <key>' "
                           "with the key given to hawkeye serve --api-key.", code="invalid_api_key")

    @app.api_route("/health", methods=["GET", "HEAD"])
    async def health() -> dict[str, Any]:
        return {"status": "ok", "models": [served.model_id for served in catalog.served.values()],
                "in_flight": len(jobs)}

    @app.api_route("/v1/models", methods=["GET", "HEAD"], dependencies=[Depends(require_key)])
    async def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": served.model_id, "object": "model", "created": 0, "owned_by": "hawkeye",
             "planner": served.pair.planner.alias, "expander": served.pair.expander.alias,
             "budget": value(served.defaults.budget), "max_tokens": served.defaults.max_tokens}
            for served in catalog.served.values()
        ]}

    @app.post("/v1/chat/completions", dependencies=[Depends(require_key)], response_model=None)
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> JSONResponse | StreamingResponse:
        selection = catalog.select(body.model, body.reasoning_effort)
        question = body.question()
        if question is None:
            raise ApiError(400, "The request has no user message with text to answer.", param="messages")
        started = time.perf_counter()
        setattr(request.state, _JOB_LOGS, True)

        decode = selection.decode(body)

        def log_end(job: Job) -> None:
            jobs.discard(job)
            _log_job(request, selection, job, time.perf_counter() - started)
            if on_answer is not None and isinstance(job.end, Done):
                on_answer(selection.served.pair, decode, job.end.result)

        job = Job(selection.served.collaboration, question, decode, log_end)
        jobs.add(job)
        job.start()
        completion_id = schemas.new_completion_id()
        if not body.stream:
            outcome = await _unless_disconnected(request, job, job.outcome())
            if isinstance(outcome, Failed):
                raise _refusal(outcome.error, body, selection)
            return JSONResponse(schemas.completion_body(completion_id, selection.model, outcome.result))
        # The first event decides the status: a request refused before any text (context too long, engine
        # down) gets its error status rather than a 200 stream that carries an error.
        first = await _unless_disconnected(request, job, job.next_event())
        if isinstance(first, Failed):
            raise _refusal(first.error, body, selection)
        return StreamingResponse(_sse(job, first, completion_id, selection.model, body.include_usage),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.exception_handler(ApiError)
    async def answer_api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def answer_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = exc.errors()[0]
        if problem["type"] == "json_invalid":  # its loc is the character where decoding failed, not a field
            error = ApiError(400, f"Invalid request: the body is not valid JSON at character {problem['loc'][-1]}: "
                             f"{problem['ctx']['error']}.")
            return JSONResponse(error.body(), status_code=400)
        where = ".".join(str(part) for part in problem["loc"] if part != "body")
        message = problem["msg"].removeprefix("Value error, ")  # pydantic's prefix for a validator's own message
        error = ApiError(400, f"Invalid request: {where or 'body'}: {message}.", param=where or None)
        return JSONResponse(error.body(), status_code=400)

    @app.exception_handler(HTTPException)
    async def answer_http(request: Request, exc: HTTPException) -> JSONResponse:
        kind: schemas.ErrorType = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        error = ApiError(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}", type=kind)
        return JSONResponse(error.body(), status_code=exc.status_code)

    app.add_middleware(RequestLog)
    return app


def api_error(exc: Exception) -> ApiError:
    """The HTTP status and error object a failure is answered with."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Cancelled):  # only a server shutting down has a client left to tell
        return ApiError(503, "The request was cancelled: the server is shutting down.", type="api_error",
                        code="cancelled")
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, exc.one_line(), code="context_length_exceeded", param="messages")
    if isinstance(exc, DataError):
        return ApiError(400, exc.one_line())
    if isinstance(exc, RemoteError):
        if _timed_out(exc):
            return ApiError(504, exc.one_line(), type="api_error", code="upstream_timeout")
        return ApiError(502, exc.one_line(), type="api_error", code="upstream_error")
    if isinstance(exc, HawkeyeError):
        return ApiError(500, exc.one_line(), type="api_error")
    return ApiError(500, f"internal error: {type(exc).__name__}: {exc}", type="api_error", code="internal_error")


def _refusal(exc: Exception, body: ChatCompletionRequest, selection: Selection) -> ApiError:
    """A request refused before any text: api_error, but a budget too large for the expander's context names
    the request's own knob for it, the budget in the model name (or its reasoning_effort)."""
    if not isinstance(exc, BudgetTooLarge):
        return api_error(exc)
    param = "model" if body.reasoning_effort is None else "reasoning_effort"
    instead = f"'{selection.served.model_id}@{exc.fits}'"
    return ApiError(400, f"The budget of {selection.model} is too large for this question: {exc.message}. Ask for "
                    f"at most {exc.fits} tokens, e.g. model {instead}"
                    f"{'' if param == 'model' else ' without reasoning_effort'}.", code="budget_too_large",
                    param=param)


def _timed_out(exc: BaseException) -> bool:
    """A timeout anywhere in the error's causes: the engine was reached but did not answer in time."""
    from httpx2 import TimeoutException  # heavy imports, needed only when a remote engine failed
    from openai import APITimeoutError

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, TimeoutError | APITimeoutError | TimeoutException):  # the last: Ollama's raw stream
            return True
        cause = cause.__cause__ or cause.__context__
    return False


async def _unless_disconnected(request: Request, job: Job, waiting: Awaitable[T]) -> T:
    """Await `waiting`, cancelling the job if the client goes away (or the server cancels the request) first."""
    watcher = asyncio.create_task(_cancel_on_disconnect(request, job))
    try:
        return await waiting
    except BaseException:
        await _stop(job)
        raise
    finally:
        watcher.cancel()


async def _stop(job: Job) -> None:
    """Cancel the job and wait until its generation has stopped (a token's time, or until a request it is queued
    behind frees the model): the request's log line is then written, and a server shutting down leaves no
    generation running."""
    job.cancel()
    with anyio.CancelScope(shield=True):
        await job.stopped()


async def _cancel_on_disconnect(request: Request, job: Job) -> None:
    while not await request.is_disconnected():
        await asyncio.sleep(DISCONNECT_POLL_SECONDS)
    job.cancel()


async def _sse(job: Job, first: Text | Done, completion_id: str, model: str,
               include_usage: bool) -> AsyncIterator[str]:
    """Plan text as reasoning deltas (both names), then answer text as content deltas, the finish reason, usage
    when asked for, then [DONE]. A client that disconnects cancels this generator, and with it the job."""
    event: Text | Done | Failed = first
    role = {"role": "assistant"}
    plan = StrippedText()
    try:
        while True:
            if isinstance(event, Text):
                delta = schemas.reasoning(plan.next(event.text)) if event.stage == "plan" else {"content": event.text}
                if any(delta.values()):
                    yield _data(schemas.chunk(completion_id, model, {**role, **delta}))
                    role = {}
            elif isinstance(event, Done):
                reason = schemas.finish_reason(event.result.expansion.completion.finish_reason)
                yield _data({**schemas.chunk(completion_id, model, {}, reason), **schemas.agreement(event.result)})
                if include_usage:
                    yield _data(schemas.usage_chunk(completion_id, model, event.result))
                break
            else:  # the status line has gone out already, so the error travels in the stream
                yield _data(api_error(event.error).body())
                break
            event = await job.next_event()
        yield "data: [DONE]\n\n"
    finally:
        await _stop(job)


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _log(line: str) -> None:
    """One line on stderr; what a client sent (its path) or an engine said (an error) is in it as data, its
    control characters made visible, so that it neither drives the terminal nor forges a second line."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {printable(line)}", file=sys.stderr, flush=True)


def _log_job(request: Request, selection: Selection, job: Job, seconds: float) -> None:
    """model, status, each stage's tokens and seconds; a cancelled stage with how far it got."""
    end = job.end
    stages = end.result.stages if isinstance(end, Done) else job.finished_stages
    parts = [f"{stage.stage} {stage.completion.completion_tokens} tok {stage.completion.seconds:.2f}s"
             for stage in stages]
    if isinstance(end, Done):
        status = "200"
        plan = end.result.plan
        parts.insert(1, f"stop {plan.stop}")
        parts.append({True: "agree", False: "disagree", None: "not compared"}[end.result.agree])
    elif isinstance(end, Failed) and isinstance(end.error, Cancelled):
        status = "cancelled"
        if job.running is not None:
            parts.append(f"{job.running} stopped after {job.streamed} pieces")
    else:
        assert isinstance(end, Failed)
        error = api_error(end.error)
        status = f"{error.status} {error.message}"
        if error.status == 500 and not isinstance(end.error, HawkeyeError):
            traceback.print_exception(end.error, file=sys.stderr)
    _log(" · ".join([f"{request.method} {request.url.path} {selection.model} {status}", *parts,
                     f"{seconds:.2f}s"]))


class RequestLog:
    """One line on stderr per request, written when it is over (a chat completion's by its job)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            if not state.get(_JOB_LOGS):
                _log(f"{scope['method']} {scope['path']} {status} · {time.perf_counter() - started:.2f}s")
