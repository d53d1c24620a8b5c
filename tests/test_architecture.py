"""The architecture in the tree: no package reaches into another's private names,
and every package says what it owns and which layers it may import.

The layer order itself is import-linter's contract in ``pyproject.toml``, run by
``scripts/test.sh`` (``lint-imports``).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "triage"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner(module: str) -> str:
    """The top-level package a module belongs to: ``triage.audit.groups`` → ``triage.audit``."""
    return ".".join(module.split(".")[:2])


def private_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Imports in ``source`` (module ``module``) of another package's private module or name."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        targets: list[tuple[str, list[str]]] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            targets += [(a.name, []) for a in node.names]
        for target, names in targets:
            if not target.startswith("triage.") or _owner(target) == _owner(module):
                continue
            bad = [p for p in target.split(".") if _is_private(p)]
            bad += [n for n in names if _is_private(n)]
            if bad:
                found.append(f"{module} line {node.lineno}: {target} {', '.join(bad)}")
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_checker_finds_a_private_import_across_packages():
    source = (
        "from triage.features import _plan\n"
        "from triage.evaluation._bootstrap import counts\n"
        "from triage.audit._errors import X\n"  # same package: allowed
        "from ._errors import Y\n"  # relative, same package: allowed
        "from triage.features import NoticeFeatures\n"
    )
    found = private_imports(source, "triage.audit.groups")
    assert len(found) == 2
    assert "triage.features _plan" in found[0]
    assert "triage.evaluation._bootstrap _bootstrap" in found[1]


def test_no_module_imports_another_packages_private_name():
    found = []
    for path in _modules():
        found += private_imports(
            path.read_text(encoding="utf-8"),
            _module_name(path),
            is_package=path.name == "__init__.py",
        )
    assert not found, "make the helper public or move it:\n" + "\n".join(found)


def test_the_top_of_the_package_holds_packages_only():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert not loose, f"modules outside a layer's folder: {loose}"


def _layer_packages() -> list[str]:
    config = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in contract["layers"] for name in layer.split("|")]


def test_every_package_is_in_a_layer_of_the_import_contract():
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert sorted(_layer_packages()) == packages


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_each_package_says_what_it_owns_and_which_layers_it_may_import(package):
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text("utf-8")))
    assert doc, f"triage.{package} has no docstring"
    words = " ".join(doc.split())
    assert "Layer:" in words and "May import" in words, (
        f"triage.{package}'s docstring should end with 'Layer: ... May import ...'"
    )


# Control flow, not an error: the web app turns it into a redirect to the login page.
# TooBusy: the bounded waiting room for password checks is full; the login routes answer
# it "busy, retry shortly" (429), it never reaches a user as an error of theirs.
NOT_ERRORS = {"triage.web.security.LoginRequired", "triage.web.password_checks.TooBusy"}


def test_every_exception_the_library_defines_is_a_triage_error():
    import importlib
    import inspect
    import pkgutil

    import triage
    from triage.contract.errors import TriageError

    strays = []
    for info in pkgutil.walk_packages(triage.__path__, "triage."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == info.name
                and f"{info.name}.{name}" not in NOT_ERRORS
                and not issubclass(obj, TriageError)
            ):
                strays.append(f"{info.name}.{name}")
    assert not strays, f"errors without the common base TriageError: {strays}"


def _importers_of(package: str) -> set[str]:
    found = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n == package or n.startswith(package + ".") for n in names):
                found.add(str(path.relative_to(PACKAGE)))
    return found


def test_rich_is_imported_only_by_the_command_line_and_the_progress_display():
    outside = {p for p in _importers_of("rich") if not p.startswith("cli/")}
    assert outside == {"experiment/progress.py"}


# Where runs and models are read or written, and nowhere else.
MLFLOW_MODULES = {
    "tracking/__init__.py",  # the store, experiments, registering and promoting models
    "tracking/project_launch.py",  # `mlflow run`'s own run, and the config's experiment
    "experiment/run_log.py",  # a run: open, tags, params
    "experiment/urgency_log.py",  # an intake-urgency run's model and assessment
    "experiment/routing_log.py",  # a DV-routing run
    "experiment/capacity_log.py",  # a run's capacity curve
    "experiment/explanations.py",  # a run's global explanations
    "audit/report.py",  # an audit run
    "audit/runs.py",  # a run's logged test predictions, for `triage audit --run`
    "audit/mitigation.py",  # mitigation experiment runs
    "report/reader.py",  # what a model card reads from a run
    "report/__init__.py",  # the card logged back to its run
    "scoring/scorer.py",  # the registered model a scorer loads
    "report/utility_report.py",  # the aggregates-utility experiment's run
    "sweep/cell_run.py",  # a sweep cell: a child run of the sweep's parent run
    "sweep/cell_audit.py",  # a cell's audit: its flag counts logged on the cell's run
    "sweep/execute.py",  # the sweep's parent run, resumed or new
    "sweep/sweep_runs.py",  # a sweep's parent and child runs, read back
    "sweep/summary.py",  # the sweep report logged on its parent run
}


def test_mlflow_is_imported_only_where_runs_and_models_are_read_or_written():
    assert _importers_of("mlflow") == MLFLOW_MODULES
