"""A local stand-in for the Hugging Face hub on 127.0.0.1, so pull tests never touch the internet.

It answers what huggingface-hub 2.x's hf_hub_download asks (file_download.py): HEAD and GET on
/{repo}/resolve/{revision}/{filename} with X-Repo-Commit, ETag and X-Linked-Etag (an LFS file's sha256),
X-Linked-Size and Content-Length, 206 for Range requests, and the X-Error-Code values hf_raise_for_status
maps to RepoNotFound / RevisionNotFound / EntryNotFound / GatedRepo. It sends no Xet headers, so
huggingface-hub takes its plain HTTP path. Used as a pytest plugin: `pytest_plugins = ("fakehub",)`; test
modules also import its helpers first, hence PYTEST_DONT_REWRITE (it has no asserts to rewrite).
"""

from __future__ import annotations

import hashlib
import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import unquote, urlsplit

import pytest
from huggingface_hub import constants

from hawkeye_cli.store.model_files import sha256_of

Mode = Literal["ok", "truncated", "corrupt"]
"""ok; truncated: sends the first half of the file (Content-Length says half, X-Linked-Size the whole);
corrupt: flips the last byte, so the bytes do not match the advertised sha256."""


@dataclass(frozen=True)
class HubFile:
    data: bytes | Path
    sha256: str
    size: int
    mode: Mode

    def open(self) -> BinaryIO:
        return self.data.open("rb") if isinstance(self.data, Path) else io.BytesIO(self.data)


class FakeHub:
    """Serves registered files and records every request; a context manager that starts and stops it."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str, str], HubFile] = {}
        self.gated: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        handler = type("Handler", (_Handler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        serve = {"poll_interval": 0.01}  # how often it checks for shutdown: stopping takes this long
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(
        self, repo: str, filename: str, data: bytes | Path, *, revision: str = "main", mode: Mode = "ok"
    ) -> HubFile:
        """Serve `data` (bytes, or a file streamed from disk) as `filename` of `repo` at `revision`."""
        if isinstance(data, Path):
            file = HubFile(data, sha256_of(data), data.stat().st_size, mode)
        else:
            file = HubFile(data, hashlib.sha256(data).hexdigest(), len(data), mode)
        self.files[repo, revision, filename] = file
        return file

    def count(self, method: str | None = None) -> int:
        """Requests for files; `requests` also holds the rest (huggingface-hub's agent-harness registry fetch)."""
        return sum(1 for seen, path in self.requests if method in (None, seen) and "/resolve/" in path)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.0: one request per connection, so nothing stays open once the hub stops."""

    hub: FakeHub

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for the tests."""

    def _answer(self, send_body: bool) -> None:
        self.hub.requests.append((self.command, self.path))
        repo, resolve, rest = unquote(urlsplit(self.path).path).lstrip("/").partition("/resolve/")
        revision, _, filename = rest.partition("/")
        known = self.hub.files
        if not resolve or not any(r == repo for r, _, _ in known):
            return self._error(404, "RepoNotFound")
        if repo in self.hub.gated:
            return self._error(403, "GatedRepo")
        if not any((r, v) == (repo, revision) for r, v, _ in known):
            return self._error(404, "RevisionNotFound")
        commit = hashlib.sha1(f"{repo}@{revision}".encode()).hexdigest()
        file = known.get((repo, revision, filename))
        if file is None:
            return self._error(404, "EntryNotFound", commit)
        end = file.size // 2 if file.mode == "truncated" else file.size
        start = _range_start(self.headers.get("Range")) if send_body else 0
        self.send_response(206 if start else 200)
        self.send_header("X-Repo-Commit", commit)
        self.send_header("ETag", f'"{file.sha256}"')
        self.send_header("X-Linked-Etag", f'"{file.sha256}"')
        self.send_header("X-Linked-Size", str(file.size))
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        if start:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{file.size}")
        self.end_headers()
        if send_body:
            try:
                for chunk in _chunks(file, start, end):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up; nothing to answer

    def _error(self, status: int, code: str, commit: str | None = None) -> None:
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        if commit is not None:
            self.send_header("X-Repo-Commit", commit)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _range_start(header: str | None) -> int:
    """The N of `bytes=N-`, the only Range form huggingface-hub sends (to resume)."""
    if not header or not header.startswith("bytes="):
        return 0
    return int(header.removeprefix("bytes=").split("-")[0] or 0)


def _chunks(file: HubFile, start: int, end: int) -> Iterator[bytes]:
    with file.open() as handle:
        handle.seek(start)
        position = start
        while position < end:
            chunk = handle.read(min(1 << 20, end - position))
            if file.mode == "corrupt" and position + len(chunk) == file.size:
                chunk = chunk[:-1] + bytes([chunk[-1] ^ 0xFF])
            position += len(chunk)
            yield chunk


def point_hub_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Send huggingface-hub to `url`; it read HF_ENDPOINT into its constants at import, so patch those too."""
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}")


def use_hf_cache(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))


def set_hf_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make every socket connection fail; returns the list of addresses something tried to reach."""
    attempts: list[object] = []

    def refuse(address: object, *args: object, **kwargs: object) -> None:
        attempts.append(address)
        raise OSError(f"network blocked by the test: {address}")

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache for this test."""
    cache = tmp_path / "hf-hub-cache"
    use_hf_cache(monkeypatch, cache)
    return cache


@pytest.fixture
def fake_hub(hf_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running fake hub that huggingface-hub points at, with an empty cache."""
    with FakeHub() as hub:
        point_hub_at(monkeypatch, hub.url)
        yield hub
