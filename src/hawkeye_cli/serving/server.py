"""Listening: on loopback unless told otherwise, with the socket bound before uvicorn starts, so that a busy port
is one line and not a log record."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from hawkeye_cli.errors import HawkeyeError

GRACEFUL_SHUTDOWN_SECONDS = 5
"""On SIGINT/SIGTERM, requests in flight get this long to finish; then their generation is cancelled and they
are answered (503, or an error event in their stream)."""
ANSWER_CANCELLED_SECONDS = 5
"""Then this long for the cancelled requests to be answered, before uvicorn cancels their tasks."""


class ListenError(HawkeyeError):
    """The address cannot be listened on: in use, not this machine's, or a privileged port."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve to anything
        return False


def base_url(host: str, port: int) -> str:
    """The URL clients use: an IPv6 address goes in brackets (RFC 3986), http://[::1]:8080/v1."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def listen(host: str, port: int) -> socket.socket:
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                          fix="choose another --port or --host, or stop the program that uses it") from exc
    return sock


class GracefulServer(uvicorn.Server):
    """Shuts down in two steps: a grace period for requests to finish, then `stop_generations` so the rest end
    by themselves (uvicorn's own last resort, cancelling their tasks, would log a traceback for each)."""

    def __init__(self, config: uvicorn.Config, stop_generations: Callable[[], None]) -> None:
        super().__init__(config)
        self._stop_generations = stop_generations

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        timer = asyncio.get_running_loop().call_later(GRACEFUL_SHUTDOWN_SECONDS, self._stop_generations)
        try:
            await super().shutdown(sockets)
        finally:
            timer.cancel()


def config(app: FastAPI) -> uvicorn.Config:
    """uvicorn's own logs only for warnings and errors: requests log themselves."""
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS + ANSWER_CANCELLED_SECONDS)


def run(app: FastAPI, sock: socket.socket, stop_generations: Callable[[], None]) -> None:
    """Serve until SIGINT or SIGTERM."""
    GracefulServer(config(app), stop_generations).run(sockets=[sock])
