"""Every package hawkeye imports is declared in pyproject.toml, and what is installed (what the tests run on)
meets its requirement: an undeclared import works only where something else happened to install it. A floor is a
lower bound, checked as one: a newer upstream release must never fail the suite (openai 3.63 did, against a test
that wanted the installed minor version to equal the floor)."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = {canonicalize_name(Requirement(line).name): Requirement(line) for line in PROJECT["dependencies"]}
TEST_DECLARED = {canonicalize_name(Requirement(line).name): Requirement(line)
                 for line in PROJECT["optional-dependencies"]["test"]}


def imported_modules(folder: Path) -> set[str]:
    """Top-level names of the modules imported anywhere under `folder` (at the top or inside functions)."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.partition(".")[0])
    return names


def third_party(folder: Path, own: set[str]) -> dict[str, set[str]]:
    """Each third-party module imported under `folder`, with the distributions that provide it."""
    providers = importlib.metadata.packages_distributions()
    modules = imported_modules(folder) - set(sys.stdlib_module_names) - {"__future__"} - own
    return {module: {canonicalize_name(name) for name in providers.get(module, [])} for module in modules}


@pytest.mark.parametrize("folder", ["src", "benchmarks"])
def test_every_imported_package_is_declared(folder: str) -> None:
    undeclared = {module: dists for module, dists in third_party(ROOT / folder, {"hawkeye_cli"}).items()
                  if not dists & DECLARED.keys()}
    assert not undeclared, f"imported but not in [project].dependencies: {undeclared}"


def test_every_package_the_tests_import_is_declared() -> None:
    own = {path.stem for path in (ROOT / "tests").glob("*.py")} | {"hawkeye_cli"}
    undeclared = {module: dists for module, dists in third_party(ROOT / "tests", own).items()
                  if not dists & (DECLARED.keys() | TEST_DECLARED.keys())}
    assert not undeclared, f"imported by tests but declared nowhere: {undeclared}"


@pytest.mark.parametrize("requirement", [*DECLARED.values(), *TEST_DECLARED.values()], ids=str)
def test_the_installed_version_meets_the_floor(requirement: Requirement) -> None:
    """The tests ran on the installed version, so it is what a floor may claim."""
    installed = importlib.metadata.version(requirement.name)
    assert requirement.specifier.contains(installed, prereleases=True), f"{requirement} but {installed} is tested"


def test_every_floor_is_admitted_by_its_own_requirement() -> None:
    """A floor is a lower bound a user may install: each declared floor must satisfy the rest of its own
    requirement (`openai>=3.57,<4` admits 3.57), whatever upstream has released since."""
    unsatisfiable = []
    for requirement in [*DECLARED.values(), *TEST_DECLARED.values()]:
        floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        unsatisfiable += [f"{requirement} (floor {floor})" for floor in floors
                          if not requirement.specifier.contains(floor, prereleases=True)]
    assert not unsatisfiable, f"floors their own requirement excludes: {unsatisfiable}"


def test_the_remote_and_serving_packages_declare_a_floor() -> None:
    """The code maps these packages' errors and internals as their floors have them (see pyproject.toml): a
    requirement without a floor would admit versions whose errors nobody mapped."""
    for name in ("openai", "httpx2", "jinja2", "anyio", "starlette", "fastapi", "typer", "llama-cpp-python"):
        assert any(spec.operator == ">=" for spec in DECLARED[name].specifier), f"{name} declares no floor"
