"""The domain never reaches up into the web or queue layers (ARCHITECTURE.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = {"litestar", "arq", "web", "workers"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("recall"), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_no_web_or_queue(path):
    if path.relative_to(ROOT).parts[:2] in {("recall", "cli.py"), ("recall", "cli")}:
        return  # the composition root starts the server and the worker
    assert not imported_modules(path) & FORBIDDEN_IN_DOMAIN


@pytest.mark.parametrize("path", python_files("web"), ids=lambda p: str(p.relative_to(ROOT)))
def test_web_does_not_import_workers(path):
    assert "workers" not in imported_modules(path)


def test_a_worker_process_loads_no_litestar():
    # `recall worker` sets up its logging from web.observability; Litestar would add ~11 MB
    # to every worker of a fan-out.
    import subprocess
    import sys

    code = (
        "import sys, workers.settings, web.observability\n"
        "assert 'litestar' not in sys.modules, 'litestar loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
