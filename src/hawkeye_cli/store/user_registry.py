"""Writing a profile into the user's registry file (`hawkeye calibrate --save`), never into the bundled one.

The file is read, changed and written whole (PyYAML: its comments are not kept), checked by loading the registry
with it, and only then put in place (os.replace), under a lock: a failure leaves the old file as it was, and two
processes saving at once both keep their profile.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock, Timeout

from hawkeye_cli.errors import OutputError, RegistryError
from hawkeye_cli.outputs import write_problem
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import ModelSpec, Registry, Role, load_registry, read_file

LOCK_SECONDS = 10.0
"""How long a save waits for another process saving into the same file."""


def writable_user_registry() -> Path:
    """The user's registry file, or a one-line error when it could not be replaced: checked before a long run."""
    path = paths.user_registry()
    target = path.resolve()
    problem = write_problem(target)
    if problem is None and target.parent.is_dir() and not os.access(target.parent, os.W_OK | os.X_OK):
        problem = f"folder {target.parent} is not writable"  # the new file is written beside the old one
    if problem is not None:
        raise OutputError(f"cannot write the user registry {path}: {problem}",
                          fix=f"make it writable, or set {paths.USER_REGISTRY_ENV} to a models.yaml you can write")
    return path


def save_profile(registry: Registry, name: str, models: Mapping[Role, tuple[str, ModelSpec]],
                 settings: Mapping[str, Any]) -> Path:
    """Set profiles.NAME in the user's file (merged into an entry of that name) to `models` and `settings`.

    `models`: per role, the name it was chosen by and the model. A model no registry file holds (a .gguf path or
    an endpoint given on the command line) is written under `models:` by its alias, so the profile can name it.
    """
    path = writable_user_registry()
    target = path.resolve()
    profile: dict[str, Any] = {}
    added: dict[str, Any] = {}
    for role, (given, spec) in models.items():
        if registry.models.get(spec.alias) == spec:
            profile[role] = given
        elif registry.knows(spec.alias):
            raise RegistryError(f"the {role} {given} is not a registry model, and its name {spec.alias} is taken "
                                f"by another model in {path}",
                                fix="add it under models: with a name of its own, and give that name")
        else:
            added[spec.alias] = spec.model_dump(mode="json", exclude_defaults=True, exclude={"alias"})
            profile[role] = spec.alias
    with _locked(target):
        document = read_file(target) if target.is_file() else {}
        if added:
            document["models"] = {**(document.get("models") or {}), **added}
        profiles = document.get("profiles") or {}
        old = profiles.get(name)
        profiles[name] = {**(old if isinstance(old, dict) else {}), **profile, **settings}
        document["profiles"] = profiles
        _replace(target, yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path


def _replace(target: Path, text: str) -> None:
    """Write `text` beside `target`, check that the registry loads with it, then put it in `target`'s place."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("x", encoding="utf-8") as file:  # the umask's permissions, as a new file gets
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if target.exists():
            shutil.copymode(target, temporary)
        try:
            load_registry([temporary])  # it follows the old file, whose every entry it holds: as if it replaced it
        except RegistryError as exc:
            problem = exc.message.replace(f" + {temporary}", "")
            raise RegistryError(f"{target} left as it was: the registry would not load with the change ({problem})",
                                fix="fix that entry in the file, or save under another name") from exc
        os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"cannot write the user registry {target}: {exc.strerror or exc}",
                          fix=f"free some disk space or make it writable, or set {paths.USER_REGISTRY_ENV} to "
                          "a models.yaml you can write") from exc
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{target}.lock", timeout=LOCK_SECONDS):
            yield
    except Timeout as exc:
        raise OutputError(f"{target} stayed locked by another hawkeye for {LOCK_SECONDS:g} s",
                          fix="let it finish, then run the same command again") from exc
    except OSError as exc:
        raise OutputError(f"cannot write the user registry {target}: {exc.strerror or exc}",
                          fix=f"set {paths.USER_REGISTRY_ENV} to a models.yaml you can write") from exc
