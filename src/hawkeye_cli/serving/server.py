"""Listening: on loopback unless told otherwise, with the socket bound before uvicorn starts, so that a busy port
is one line and not a log record."""

from __future__ import annotations

import ipaddress
import socket

import uvicorn
from fastapi import FastAPI

from hawkeye_cli.errors import HawkeyeError

GRACEFUL_SHUTDOWN_SECONDS = 5.0
"""On SIGINT/SIGTERM, requests in flight get this long to finish; then they are cancelled (generation stops)."""


class ListenError(HawkeyeError):
    """The address cannot be listened on: in use, not this machine's, or a privileged port."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve to anything
        return False


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


def run(app: FastAPI, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM; uvicorn's own logs only for warnings and errors (requests log themselves)."""
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    uvicorn.Server(config).run(sockets=[sock])
