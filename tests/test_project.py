"""Guards on the project's shape: generated OpenAPI, the error hierarchy, import direction, package origin."""

from __future__ import annotations

import ast
import importlib
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml

from api.openapi import render_yaml
from lrs.errors import LRSError, all_error_classes

ROOT = Path(__file__).resolve().parents[1]


def test_openapi_yaml_is_generated_from_the_code() -> None:
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == render_yaml(), "openapi.yaml drifted: run `lrs openapi --output openapi.yaml`"


def test_every_error_class_has_a_status_and_is_documented() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    documented = spec["components"]["responses"]
    for error in all_error_classes():
        assert 400 <= error.status <= 599, error
        assert HTTPStatus(error.status).phrase
        assert error.__name__ in documented, error
        assert documented[error.__name__]["description"].startswith(str(error.status))
    referenced = {
        ref["$ref"].rsplit("/", 1)[1]
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)  # path-level "parameters" is a list
        for ref in operation.get("responses", {}).values()
        if "$ref" in ref
    }
    assert {"BadRequestError", "UnauthorizedError", "StorageUnavailableError"} <= referenced


@pytest.mark.parametrize("package", ["lrs", "api", "auth", "validators"])
def test_our_packages_come_from_this_repository(package: str) -> None:
    module = importlib.import_module(package)
    assert Path(module.__file__ or "").resolve().parent == ROOT / package


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("lrs", {"flask", "flask_smorest", "werkzeug", "api", "auth", "validators"}),
        ("validators", {"flask", "flask_smorest", "werkzeug", "api", "auth"}),
        ("auth", {"flask", "flask_smorest", "api"}),
    ],
)
def test_imports_flow_one_way(package: str, forbidden: set[str]) -> None:
    for path in (ROOT / package).rglob("*.py"):
        leaked = _imports(path) & forbidden
        assert not leaked, f"{path.relative_to(ROOT)} imports {sorted(leaked)}"


def test_errors_carry_their_headers() -> None:
    from lrs.errors import StorageUnavailableError, TooManyRequestsError, UnauthorizedError

    assert "WWW-Authenticate" in UnauthorizedError("x").headers()
    assert TooManyRequestsError("x", retry_after=7).headers() == {"Retry-After": "7"}
    assert "Retry-After" in StorageUnavailableError("x").headers()
    assert LRSError("x").status == 500


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command() -> None:
    readme_commands = [line for line in _readme().splitlines() if line.startswith("python3 -m venv .venv")]
    assert len(readme_commands) == 2, "the README's first section has exactly two fresh-machine commands"
    run_command, test_command = readme_commands
    assert "lrs serve" in run_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_readme_documents_every_setting() -> None:
    from lrs.settings import VARIABLES

    readme = _readme()
    for name in VARIABLES:
        assert f"`{name}`" in readme, name
