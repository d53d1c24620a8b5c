"""The files that ship in the package: copies of the project's files, found from any folder.

``synthetic/`` and ``configs/`` hold the files people edit; the package holds
copies (``src/triage/synth/data``, ``src/triage/experiment/configs``) that an
installed ``triage`` reads when the working folder has no file of that name.
``scripts/sync-package-data.sh`` copies one to the other and names every pair.
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from triage.aggregates.spec import release_spec_path
from triage.experiment.config import (
    PACKAGED_CONFIGS,
    ConfigError,
    find_config,
    packaged_config,
)
from triage.experiment.data import resolve_path
from triage.synth.spec import DEFAULT_SPEC, aggregates_path, load_spec

REPO = Path(__file__).resolve().parents[1]
SYNC = REPO / "scripts" / "sync-package-data.sh"
SYNC_COMMAND = "bash scripts/sync-package-data.sh"
PACKAGE = REPO / "src" / "triage"
PACKAGED_FOLDERS = (
    PACKAGE / "synth" / "data",
    PACKAGE / "experiment" / "configs",
    PACKAGE / "aggregates" / "configs",
)
TRIAGE = str(Path(sys.executable).with_name("triage"))


def _pairs() -> list[tuple[str, str]]:
    """(project file, packaged copy), as the sync script lists them."""
    pairs = []
    for line in SYNC.read_text("utf-8").splitlines():
        words = line.strip().strip('"').split()
        if len(words) == 2 and words[1].startswith("src/triage/"):
            pairs.append((words[0], words[1]))
    return pairs


PAIRS = _pairs()


def test_the_sync_script_names_the_files_an_installed_triage_needs():
    project = {a for a, _ in PAIRS}
    assert {"synthetic/spec.yaml", "synthetic/published_aggregates.csv"} <= project
    assert {f"configs/{name}.yaml" for name in PACKAGED_CONFIGS} <= project
    assert "configs/rules.yaml" in project
    assert "synthetic/sample/notices.jsonl" in project  # `triage serve` seeds an empty store


@pytest.mark.parametrize(("project", "packaged"), PAIRS, ids=[a for a, _ in PAIRS])
def test_packaged_copy_is_byte_equal_to_the_project_file(project, packaged):
    source, copy = REPO / project, REPO / packaged
    assert source.is_file(), f"{project} is missing ({SYNC_COMMAND} copies it into the package)"
    assert copy.is_file(), f"{packaged} is missing: run `{SYNC_COMMAND}`"
    assert copy.read_bytes() == source.read_bytes(), (
        f"{packaged} differs from {project} (the file people edit): run `{SYNC_COMMAND}`"
    )


def test_every_packaged_file_has_its_project_file():
    listed = {REPO / b for _, b in PAIRS}
    for folder in PACKAGED_FOLDERS:
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert path in listed, (
                    f"{path.relative_to(REPO)} is in no pair of scripts/sync-package-data.sh"
                )


def test_every_experiment_config_of_the_project_ships():
    experiment_configs = {
        p.stem
        for p in (REPO / "configs").glob("*.yaml")
        if "config_version" in (yaml.safe_load(p.read_text("utf-8")) or {})
    }
    assert experiment_configs == set(PACKAGED_CONFIGS)


def test_package_data_globs_cover_every_data_file_of_the_package():
    """The wheel holds every file of src/triage the code reads (unzip -l in tests/test_wheel.py)."""
    conf = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    globs = conf["tool"]["setuptools"]["package-data"]["triage"]
    for path in PACKAGE.rglob("*"):
        if not path.is_file() or path.suffix in (".py", ".pyc", ".typed"):
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        assert any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs), (
            f"src/triage/{rel} is in no [tool.setuptools.package-data] pattern"
        )


@pytest.mark.parametrize(("project", "packaged"), PAIRS, ids=[a for a, _ in PAIRS])
def test_an_empty_folder_reads_the_packaged_copy(project, packaged, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _resolver(project)(project).samefile(REPO / packaged)


def _resolver(project: str):
    """What reads the file: experiment configs and synthetic data, the release spec, the
    aggregates-utility config."""
    from triage.pipelines.utility_config import find_utility_config

    if project == "configs/release.yaml":
        return release_spec_path
    if project == "configs/aggregates_utility.yaml":
        return find_utility_config
    return resolve_path


def test_a_file_in_the_working_folder_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "rules.yaml").write_text("rules: []\n", "utf-8")
    assert resolve_path("configs/rules.yaml") == Path("configs/rules.yaml")
    assert resolve_path("configs/unknown.yaml") == Path("configs/unknown.yaml")
    assert resolve_path("elsewhere/spec.yaml") == Path("elsewhere/spec.yaml")


def test_default_spec_is_the_local_one_when_there_else_the_packaged_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = load_spec()
    assert Path(spec.source) == DEFAULT_SPEC
    assert aggregates_path(spec).samefile(PACKAGE / "synth" / "data" / "published_aggregates.csv")

    local = tmp_path / "synthetic"
    local.mkdir()
    text = (REPO / "synthetic" / "spec.yaml").read_text("utf-8")
    (local / "spec.yaml").write_text(text.replace("spec_version:", "# local\nspec_version:", 1))
    mine = load_spec()
    assert Path(mine.source) == local / "spec.yaml"
    assert mine.digest != spec.digest
    # no aggregates beside it: the packaged ones of the same name
    assert aggregates_path(mine).samefile(PACKAGE / "synth" / "data" / "published_aggregates.csv")


def test_audit_defaults_equal_the_projects_audit_yaml():
    """`triage audit` uses configs/audit.yaml when present, else built-in defaults: the same."""
    from triage.audit.config import AuditConfig, load_audit_config

    assert load_audit_config(REPO / "configs" / "audit.yaml") == AuditConfig()


def test_find_config_names_a_packaged_config_when_no_file_has_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in PACKAGED_CONFIGS:
        assert find_config(name) == packaged_config(f"{name}.yaml")
        assert find_config(f"{name}.yaml") == packaged_config(f"{name}.yaml")
    assert find_config("configs/ci.yaml") == Path("configs/ci.yaml")  # a path stays a path
    (tmp_path / "ci.yaml").write_text("config_version: 1\n", "utf-8")
    assert find_config("ci.yaml") == Path("ci.yaml")  # the local file wins
    (tmp_path / "ci").mkdir()  # a folder (a clone, an output) is not a config: it hides nothing
    assert find_config("ci") == packaged_config("ci.yaml")
    with pytest.raises(ConfigError) as info:
        find_config("nightly")
    message = str(info.value)
    assert "\n" not in message and "nightly" in message
    for name in PACKAGED_CONFIGS:
        assert name in message


def test_run_with_an_unknown_name_fails_with_one_line_of_packaged_names(tmp_path):
    proc = subprocess.run(
        [TRIAGE, "run", "nightly"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2  # no such config: a usage mistake
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "nightly" in lines[0] and "ci_dv" in lines[0] and "intake_urgency" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_run_with_a_missing_path_fails_as_before(tmp_path):
    proc = subprocess.run(
        [TRIAGE, "run", "configs/ci.yaml"], cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2  # no config there: a usage mistake (issue 17's convention)
    assert "cannot read config configs/ci.yaml" in proc.stderr


def test_a_shipped_sweep_is_found_from_any_folder_by_its_path_or_its_name(tmp_path, monkeypatch):
    from triage.sweep.cells import find_sweep_file, plan_sweep

    monkeypatch.chdir(tmp_path)
    packaged = PACKAGE / "experiment" / "configs" / "sweeps"
    assert find_sweep_file("configs/sweeps/small/label_bias.yaml").samefile(
        packaged / "small" / "label_bias.yaml"
    )
    assert find_sweep_file("learning_curve").samefile(packaged / "learning_curve.yaml")
    assert plan_sweep("small/learning_curve").name == "learning-curve-small"
    assert find_sweep_file("nightly") == Path("nightly")  # not shipped: as given
    (tmp_path / "learning_curve").write_text("name: mine\n", "utf-8")
    assert find_sweep_file("learning_curve") == Path("learning_curve")  # a local file wins
