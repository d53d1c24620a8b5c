"""What made a run: package versions, the git commit, and the model's pinned requirements."""

from __future__ import annotations

import importlib.metadata as md
import platform
import subprocess
from pathlib import Path

CORE_PACKAGES = (
    "urgency-triage",
    "numpy",
    "pandas",
    "scikit-learn",
    "lightgbm",
    "shap",
    "fairlearn",
    "mlflow",
    "pyarrow",
    "pydantic",
)


def package_versions() -> dict[str, str]:
    out = {}
    for name in CORE_PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(cwd: Path | None = None) -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def environment_tags() -> dict[str, str]:
    tags = {f"version.{k}": v for k, v in package_versions().items()}
    tags["python"] = platform.python_version()
    tags["platform"] = platform.platform()
    tags["git_commit"] = git_commit(Path(__file__).resolve().parent)
    tags["mlflow.source.git.commit"] = tags["git_commit"].removesuffix("+dirty")
    return tags


def pip_requirements() -> list[str]:
    """Pinned requirements for the logged model, given so MLflow need not infer them (slow)."""
    wanted = ("urgency-triage", "numpy", "pandas", "scikit-learn", "lightgbm", "pyarrow", "skops")
    reqs = []
    for name in wanted:
        try:
            reqs.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            continue
    return reqs
