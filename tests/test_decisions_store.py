"""The intake store's files: private modes, keys that are never silently remade, and
readers (`verify`, `export`) that create and change nothing and explain a bad file in one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_decisions_chain import N_DECISIONS, make_store
from triage.cli import app as cli
from triage.decisions import (
    ANCHOR,
    CHAIN_KEY,
    DB_NAME,
    WORKER_KEY,
    DecisionInput,
    KeyMissing,
    StoreUnusable,
    connect,
    record_decision,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    ids = make_store(root / "store", root)
    return root / "store", ids


@pytest.fixture
def store(template, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(template[0], copy)
    return copy


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file in ``folder``: size, mtime and contents."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.iterdir())
    }


def _one_line_error(result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# ------------------------------------------------------------------ file modes


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_is_0600_files_in_a_0700_folder_whatever_the_umask(tmp_path):
    old = os.umask(0)  # the worst case: every file would be world-writable
    try:
        folder = tmp_path / "store"
        conn = connect(folder)
        conn.execute("INSERT INTO meta(key, value) VALUES ('probe', 'x')")  # -wal in use
        names = {p.name for p in folder.iterdir()}
        assert {DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", CHAIN_KEY, WORKER_KEY, ANCHOR} <= names
        modes = {p.name: _mode(p) for p in folder.iterdir()}
        conn.close()
    finally:
        os.umask(old)
    assert _mode(folder) == 0o700
    assert modes == dict.fromkeys(modes, 0o600), modes


def test_an_older_stores_loose_modes_are_tightened_on_connect(store):
    conn = connect(store)
    conn.close()
    (store / DB_NAME).chmod(0o644)
    store.chmod(0o755)
    conn = connect(store)
    conn.execute("INSERT INTO meta(key, value) VALUES ('probe', 'x')")
    assert _mode(store / DB_NAME) == 0o600 and _mode(store / (DB_NAME + "-wal")) == 0o600
    conn.close()


def test_the_anchor_keeps_its_mode_when_rewritten(store, template):
    conn = connect(store)
    record_decision(conn, DecisionInput(notice_id=template[1][4], decided_tier="urgent"), user="w")
    conn.close()
    assert _mode(store / ANCHOR) == 0o600
    assert not [p.name for p in store.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ keys


def test_a_missing_chain_key_is_an_error_naming_it_never_a_new_key(store, template):
    (store / CHAIN_KEY).unlink()
    conn = connect(store)  # the pages still open: only chaining needs the key
    with pytest.raises(KeyMissing, match=CHAIN_KEY) as err:
        record_decision(
            conn, DecisionInput(notice_id=template[1][4], decided_tier="urgent"), user="w"
        )
    assert str(err.value).count("\n") == 0
    conn.close()
    assert not (store / CHAIN_KEY).exists()
    _one_line_error(_cli("decisions", "verify", "--store", str(store)), 2, CHAIN_KEY)
    assert not (store / CHAIN_KEY).exists()


def test_a_missing_worker_key_stops_the_export_and_is_not_remade(store, tmp_path):
    (store / WORKER_KEY).unlink()
    out = tmp_path / "d.csv"
    result = _cli("decisions", "export", "--store", str(store), "--out", str(out))
    _one_line_error(result, 2, WORKER_KEY, "Restore")
    assert not (store / WORKER_KEY).exists() and not out.exists()
    named = _cli("decisions", "export", "--store", str(store), "--out", str(out), "--worker-ids")
    assert named.exit_code == 0, named.output  # logins need no key


def test_the_same_worker_gets_the_same_pseudonym_in_every_export(store, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        assert _cli("decisions", "export", "--store", str(store), "--out", str(out)).exit_code == 0
    assert first.read_text("utf-8") == second.read_text("utf-8")


def test_an_unkeyed_store_with_decisions_is_refused_in_one_line(store):
    db = sqlite3.connect(store / DB_NAME)
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreUnusable, match="without a key"):
        connect(store)
    _one_line_error(_cli("decisions", "verify", "--store", str(store)), 2, "without a key")


def test_an_unkeyed_store_without_decisions_gets_its_keys(tmp_path):
    folder = tmp_path / "old"
    connect(folder).close()
    for name in (CHAIN_KEY, WORKER_KEY, ANCHOR):
        (folder / name).unlink()
    db = sqlite3.connect(folder / DB_NAME)
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    connect(folder).close()
    assert all((folder / n).is_file() for n in (CHAIN_KEY, WORKER_KEY, ANCHOR))
    assert _cli("decisions", "verify", "--store", str(folder)).exit_code == 0


# ------------------------------------------------------------------ read-only readers


def test_verify_and_export_create_and_change_nothing_in_the_store(store, tmp_path):
    before = _snapshot(store)
    assert _cli("decisions", "verify", "--store", str(store)).exit_code == 0
    out = tmp_path / "d.jsonl"
    assert _cli("decisions", "export", "--store", str(store), "--out", str(out)).exit_code == 0
    assert _snapshot(store) == before  # not even SQLite's -wal/-shm files


def test_verify_reads_a_store_a_writer_has_open(store, template):
    conn = connect(store)
    record_decision(conn, DecisionInput(notice_id=template[1][4], decided_tier="urgent"), user="w")
    try:
        result = _cli("decisions", "verify", "--store", str(store))
        assert result.exit_code == 0 and f"ok: {N_DECISIONS + 1} decisions" in result.stdout
    finally:
        conn.close()


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _foreign(db: Path) -> None:
    db.unlink(missing_ok=True)
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE photos(id INTEGER)")
    other.commit()
    other.close()


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (lambda db: db.write_bytes(b""), "is empty"),
        (_truncated, "damaged"),
        (lambda db: db.write_bytes(b"PK\x03\x04 a zip, not a database" * 200), "not a SQLite"),
        (_foreign, "not an intake store"),
    ],
    ids=["empty", "truncated", "not-sqlite", "foreign"],
)
@pytest.mark.parametrize("command", ["verify", "export"])
def test_a_bad_database_file_is_one_line_and_exit_2_and_stays_as_it_was(
    store, tmp_path, spoil, words, command
):
    db = store / DB_NAME
    spoil(db)
    before = _snapshot(store)
    extra = ["--out", str(tmp_path / "d.csv")] if command == "export" else []
    result = _cli("decisions", command, "--store", str(store), *extra)
    _one_line_error(result, 2, words, str(db))
    assert _snapshot(store) == before
    assert not (tmp_path / "d.csv").exists()


def test_verify_of_a_missing_store_creates_nothing(tmp_path):
    result = _cli("decisions", "verify", "--store", str(tmp_path / "none"))
    _one_line_error(result, 2, "no intake store")
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("content", [b"not a database at all" * 300, b"PK\x03\x04" * 2000])
def test_setting_up_a_store_over_a_foreign_file_says_so_in_one_line(tmp_path, content):
    # `triage users add` and `triage serve` set a store up with connect().
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(content)
    with pytest.raises(StoreUnusable, match="not a SQLite database") as err:
        connect(folder)
    assert "\n" not in str(err.value)
    assert (folder / DB_NAME).read_bytes() == content
    assert not (folder / CHAIN_KEY).exists()


def test_a_read_overtaken_by_a_writer_is_done_again_with_locking(store, template):
    from triage.decisions import read_snapshot

    counts: list[int] = []
    writers = []

    def read(conn) -> int:
        counts.append(conn.execute("SELECT count(*) FROM decisions").fetchone()[0])
        if len(counts) == 1:  # a writer starts and decides while the immutable read runs
            writers.append(connect(store))
            decision = DecisionInput(notice_id=template[1][4], decided_tier="urgent")
            record_decision(writers[0], decision, user="w")
        return counts[-1]

    try:
        assert read_snapshot(store, read) == N_DECISIONS + 1
    finally:
        for writer in writers:
            writer.close()
    assert counts == [N_DECISIONS, N_DECISIONS + 1]


def test_setting_up_a_store_over_another_programs_database_leaves_it_alone(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    _foreign(folder / DB_NAME)
    with pytest.raises(StoreUnusable, match="not an intake store"):
        connect(folder)
    db = sqlite3.connect(folder / DB_NAME)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert tables == {"photos"}
