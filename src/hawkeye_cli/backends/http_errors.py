"""One mapping from what can go wrong with a remote engine to a one-line error naming the endpoint and the fix.

Every request to an engine goes through the `openai` client (Ollama's native stream too), so its typed errors,
its retries (connection errors, timeouts, 408/409/429/5xx, with backoff) and its timeouts are the same for every
endpoint; httpx2's own errors surface only while a stream is being read, where nothing is retried.

A failure of one request that says nothing about the engine (a 400 for this prompt, a stream cut short) is a
RequestError or a ContextOverflowError; every other failure means further requests would fail the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx2
import openai
import pydantic

from hawkeye_cli.backends.settings import HttpSettings
from hawkeye_cli.errors import ContextOverflowError, HawkeyeError, RemoteError, RequestError

MAX_SERVER_MESSAGE = 300
"""Characters of a server's error message kept in a one-line error."""

CONTEXT_WORDS = ("context length", "context window", "maximum context", "too long", "exceeds", "n_ctx",
                 "max_model_len", "maximum model length")
"""Phrases engines use when a 400 means the prompt does not fit (vLLM, llama-server, SGLang, OpenAI, Ollama)."""

MALFORMED = (json.JSONDecodeError, openai.APIResponseValidationError, pydantic.ValidationError)
"""What the client raises for an answer that is not the JSON it expects."""

URL_FIX = "check the URL (an OpenAI-compatible API usually ends in /v1)"


class NotOpenAI(Exception):
    """The server's answer does not have the shape of an OpenAI-compatible response."""


NotFound = Callable[[str], HawkeyeError]
"""The error for an HTTP 404, given the server's message: the caller may know better than "check the URL"."""


@contextmanager
def mapped(where: str, settings: HttpSettings, *, api_key_env: str | None = None,
           not_found: NotFound | None = None, streaming: bool = False) -> Iterator[None]:
    """Turn the client's errors into one-line errors; `where` names the endpoint (and model) in each.

    `streaming`: an answer is being read, after the client's retries (they cover the request up to the answer's
    first bytes). httpx2's own errors come only from a raw stream being read (Ollama's), so they count as that too.
    """
    try:
        yield
    except HawkeyeError:
        raise
    except (openai.APITimeoutError, httpx2.TimeoutException) as exc:
        if isinstance(exc.__cause__, httpx2.ConnectTimeout):
            raise RemoteError(f"cannot reach {where}: no connection within {settings.connect_timeout:g} s"
                              f"{_each(settings)}", fix="is the server running? check the URL and the network") \
                from exc
        retried = not streaming and isinstance(exc, openai.APITimeoutError)
        raise RemoteError(f"{where} did not answer within {settings.timeout:g} s{_each(settings) if retried else ''}",
                          fix="raise the timeout, or check that the server is not overloaded") from exc
    except (openai.APIConnectionError, httpx2.TransportError) as exc:
        if streaming or isinstance(exc, httpx2.TransportError):
            raise RemoteError(f"{where} broke off the connection in the middle of an answer",
                              fix="is the server still running? check its log") from exc
        raise RemoteError(f"cannot reach {where}{_after(settings)}", fix="is the server running? check the URL") \
            from exc
    except openai.APIStatusError as exc:
        raise status_error(where, settings, exc.status_code, server_message(exc.body, exc.message),
                           api_key_env=api_key_env, not_found=not_found) from exc
    except (NotOpenAI, *MALFORMED, openai.APIError) as exc:
        raise not_openai(where) from exc


def status_error(where: str, settings: HttpSettings, status: int, message: str, *, api_key_env: str | None,
                 not_found: NotFound | None) -> HawkeyeError:
    """The error for an HTTP error status, once the client's retries (429, 5xx) are spent."""
    if status in (401, 403):
        return RemoteError(f"{where} refused the request (HTTP {status}: {message})", fix=_key_fix(api_key_env))
    if status == 404:
        return not_found(message) if not_found is not None else answered_404(where, message)
    if status in (400, 422):
        if any(word in message.lower() for word in CONTEXT_WORDS):
            return ContextOverflowError(f"{where}: {message}",
                                        fix="shorten the question or use a model with a longer context")
        return RequestError(f"{where} rejected the request (HTTP {status}: {message})",
                            fix="check the server's options and the model's registry entry")
    if status == 429:
        return RemoteError(f"{where} is rate limiting (HTTP 429) after {attempts(settings)}",
                           fix="wait and try again, or use a server with more capacity")
    return RemoteError(f"{where} failed with HTTP {status} after {attempts(settings)}: {message}",
                       fix="check the server's log")


def answered_404(where: str, message: str) -> RemoteError:
    return RemoteError(f"{where} answered HTTP 404 ({message})", fix=URL_FIX)


def not_openai(where: str) -> RemoteError:
    return RemoteError(f"{where} answered something that is not an OpenAI-compatible response",
                       fix="check that the URL points at an OpenAI-compatible API (it usually ends in /v1)")


def attempts(settings: HttpSettings) -> str:
    tries = settings.max_retries + 1
    return f"{tries} attempt{'s' if tries > 1 else ''}"


def _after(settings: HttpSettings) -> str:
    return f" after {attempts(settings)}" if settings.max_retries else ""


def _each(settings: HttpSettings) -> str:
    return f", at each of {attempts(settings)}" if settings.max_retries else ""


def _key_fix(api_key_env: str | None) -> str:
    if api_key_env is None:
        return ("set `api_key_env` in the model's registry entry to the environment variable that holds "
                "the API key")
    if not os.environ.get(api_key_env):
        return f"set the environment variable {api_key_env} to the API key"
    return f"check the API key in {api_key_env}"


def server_message(body: object, fallback: str) -> str:
    """The server's own error message on one line: OpenAI's error.message, Ollama's error, FastAPI's detail, or
    the body."""
    message: object = body
    if isinstance(body, dict):
        error = body.get("error")
        message = (error.get("message") if isinstance(error, dict) else error) or body.get("message") \
            or body.get("detail") or body
    text = " ".join(str(message if message is not None else fallback).split())
    return text if len(text) <= MAX_SERVER_MESSAGE else text[: MAX_SERVER_MESSAGE - 1] + "…"
