"""A session-wide guard: tests leave the checkout's ./mlflow.db, ./mlruns, ./reports and ./intake alone.

At the start of the session it records every file under those folders (path, size,
sha256; the folders may be absent) of the repository root and, if it differs, of the
working folder. After each test's body, and again after its teardown, it walks them
again, stat only (a few hundred entries take about a millisecond; absent folders cost
nothing), and hashes only what changed. A test that created, changed or deleted
anything there fails, its report naming the paths; the guard then takes the new state
as known, so only the test that made a change is blamed for it.

Registered by tests/conftest.py; tests/test_checkout_guard.py runs it on a folder
made to look like a checkout.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

GUARDED = ("mlruns", "mlflow.db", "mlflow.db.lock", "reports", "intake")
HOW_TO_FIX = (
    "tests must leave these folders byte-identical: write into tmp_path, point "
    "MLFLOW_TRACKING_URI and TRIAGE_INTAKE_STORE there (monkeypatch.setenv), pass "
    "reports=/--out into it, or monkeypatch.chdir(tmp_path) before anything that writes "
    "relative paths (MLflow's default artefact root is ./mlruns of the working folder)"
)
MAX_LISTED = 20


@dataclass(frozen=True)
class Entry:
    mode: int
    size: int
    mtime_ns: int
    inode: int

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


def _walk(root: Path) -> dict[str, Entry]:
    """Every path under ``root`` (itself included) with its lstat; {} when absent."""
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return {}
    out = {str(root): Entry(st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino)}
    stack = [str(root)] if stat.S_ISDIR(st.st_mode) else []
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError):  # removed while walking
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                out[entry.path] = Entry(st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino)
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
    return out


def _digest(path: str, entry: Entry) -> str | None:
    """sha256 of a file's bytes (of a symlink's target text); None for a folder."""
    if entry.is_dir:
        return None
    if stat.S_ISLNK(entry.mode):
        return hashlib.sha256(os.readlink(path).encode()).hexdigest()
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as err:  # unreadable or gone: still a difference worth naming
        return f"unreadable: {err}"
    return h.hexdigest()


class CheckoutGuard:
    """Watches ``GUARDED`` folders under each of ``bases``; reports what changed."""

    def __init__(self, bases: list[Path], names: tuple[str, ...] = GUARDED) -> None:
        unique = dict.fromkeys(Path(b).resolve() for b in bases)
        self.base = next(iter(unique))  # paths are shown relative to the first base
        self.roots = [b / name for b in unique for name in names]
        self.stats: dict[str, Entry] = {}
        self.digests: dict[str, str | None] = {}

    def _stat_all(self) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for root in self.roots:
            out.update(_walk(root))
        return out

    def start(self) -> None:
        """Record every path's stat and every file's sha256."""
        self.stats = self._stat_all()
        self.digests = {p: _digest(p, e) for p, e in self.stats.items()}

    def _show(self, path: str) -> str:
        p = Path(path)
        return str(p.relative_to(self.base)) if p.is_relative_to(self.base) else str(p)

    def check(self) -> str | None:
        """What changed since the last check (or start), as lines; None when nothing did.

        The new state becomes the known one, so a change is reported once.
        """
        now = self._stat_all()
        if now == self.stats:
            return None
        before, before_digests = self.stats, self.digests
        digests = {
            p: before_digests[p] if before.get(p) == e and p in before_digests else _digest(p, e)
            for p, e in now.items()
        }
        self.stats, self.digests = now, digests

        created = [p for p in now if p not in before]
        deleted = [p for p in before if p not in now]
        changed, rewritten, relisted = [], [], []
        for p, e in now.items():
            if p not in before or before[p] == e:
                continue
            if e.is_dir:
                if before[p].is_dir:
                    relisted.append(p)  # entries added or removed; named below unless gone again
                else:
                    changed.append(p)
            elif digests[p] != before_digests.get(p):
                changed.append(p)
            else:
                rewritten.append(p)
        touched_dirs = {str(Path(p).parent) for p in created + deleted + changed + rewritten}
        relisted = [p for p in relisted if p not in touched_dirs]

        lines: list[str] = []

        def top(paths: list[str], within: set[str]) -> list[str]:
            # a created (deleted) folder stands for everything created (deleted) in it
            return sorted(p for p in paths if str(Path(p).parent) not in within)

        def add(kind: str, paths: list[str], universe: dict[str, Entry]) -> None:
            for p in paths[:MAX_LISTED]:
                suffix = ""
                if universe[p].is_dir:
                    inside = sum(
                        1 for q, e in universe.items() if q.startswith(p + os.sep) and not e.is_dir
                    )
                    suffix = f"{os.sep} (folder, {inside} file{'s' * (inside != 1)})"
                lines.append(f"  {kind}: {self._show(p)}{suffix}")
            if len(paths) > MAX_LISTED:
                lines.append(f"  ... and {len(paths) - MAX_LISTED} more {kind}")

        add("created", top(created, set(created)), now)
        add("changed", sorted(changed), now)
        add("rewritten with the same bytes", sorted(rewritten), now)
        add("deleted", top(deleted, set(deleted)), before)
        add("entries added and removed again in", sorted(relisted), now)
        return "\n".join(lines) if lines else None

    # pytest hooks -------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.when == "setup":
            return report  # setup's writes are named with the body's (or the teardown's)
        problem = self.check()
        if problem is None:
            return report
        phase = "its setup or body" if call.when == "call" else "its teardown"
        message = (
            f"checkout guard: {item.nodeid} wrote into the checkout's "
            f"{', '.join('./' + n for n in GUARDED)} ({phase}, fixtures included, "
            f"or another process meanwhile):\n{problem}\n{HOW_TO_FIX}"
        )
        if report.failed:
            report.sections.append(("checkout guard", message))
        else:
            if hasattr(report, "wasxfail"):
                del report.wasxfail
            report.outcome = "failed"
            report.longrepr = message
        return report


def register(config: pytest.Config, repo: Path) -> CheckoutGuard:
    """Snapshot ``repo``'s (and the working folder's) guarded folders; check after each test."""
    guard = CheckoutGuard([repo, Path.cwd()])
    guard.start()
    config.pluginmanager.register(guard, "checkout-guard")
    return guard
