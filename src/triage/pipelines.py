"""Find and run the pipelines in ``pipelines/``: each is a short composition of library steps."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from triage.synth.spec import REPO_ROOT


def pipelines_dir() -> Path:
    """``./pipelines`` when run from a project folder, else the one beside this package's source."""
    here = Path.cwd() / "pipelines"
    return here if here.is_dir() else REPO_ROOT / "pipelines"


def load_pipeline(name: str) -> ModuleType:
    path = pipelines_dir() / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"pipeline '{name}': no file {path}")
    spec = importlib.util.spec_from_file_location(f"triage_pipeline_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_pipeline(cfg, *, config_path: Path | None = None, console=None, quiet: bool = False):
    return load_pipeline(cfg.pipeline).run(
        cfg, config_path=config_path, console=console, quiet=quiet
    )
