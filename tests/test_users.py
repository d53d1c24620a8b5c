"""Logins: argon2id hashes in the intake store, added from the command line only."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from triage.cli import app as cli
from triage.decisions import connect
from triage.decisions.users import (
    UserError,
    add_user,
    authenticate,
    is_active,
    list_users,
    set_active,
)

PASSWORD = "a long test password"


@pytest.fixture
def conn(tmp_path):
    c = connect(tmp_path / "store")
    yield c
    c.close()


def test_a_user_logs_in_with_their_password_only(conn):
    add_user(conn, "sato", PASSWORD)
    assert authenticate(conn, "sato", PASSWORD)
    assert not authenticate(conn, "sato", PASSWORD + "x")
    assert not authenticate(conn, "nobody", PASSWORD)


def test_the_password_is_stored_as_an_argon2id_hash(conn):
    add_user(conn, "sato", PASSWORD)
    (stored,) = conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [
        ("sato", "short", "password"),
        ("佐藤 花子", PASSWORD, "username"),
        ("a", PASSWORD, "username"),
        ("x" * 65, PASSWORD, "username"),
    ],
)
def test_bad_names_and_short_passwords_are_refused(conn, name, password, field):
    with pytest.raises(UserError, match=f"^{field}:"):
        add_user(conn, name, password)


def test_a_name_is_added_once(conn):
    add_user(conn, "sato", PASSWORD)
    with pytest.raises(UserError, match="already exists"):
        add_user(conn, "sato", PASSWORD)


def test_a_disabled_user_cannot_log_in(conn):
    add_user(conn, "sato", PASSWORD)
    set_active(conn, "sato", False)
    assert not is_active(conn, "sato") and not authenticate(conn, "sato", PASSWORD)
    set_active(conn, "sato", True)
    assert authenticate(conn, "sato", PASSWORD)


def test_triage_users_add_list_and_disable(tmp_path):
    store = str(tmp_path / "store")
    runner = CliRunner()
    added = runner.invoke(
        cli, ["users", "add", "tanaka", "--store", store, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        cli, ["users", "add", "tanaka", "--store", store, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert again.exit_code == 2 and "already exists" in again.stderr
    prompted = runner.invoke(
        cli, ["users", "add", "suzuki", "--store", store], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert PASSWORD not in prompted.stdout
    assert runner.invoke(cli, ["users", "disable", "tanaka", "--store", store]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list", "--store", store]).stdout
    assert "tanaka\tdisabled" in listed and "suzuki\tactive" in listed
    conn = connect(tmp_path / "store")
    assert [u["username"] for u in list_users(conn)] == ["suzuki", "tanaka"]


@pytest.mark.parametrize("command", [["add", "bob", "--password-stdin"], ["list"], ["disable", "bob"]])
def test_users_on_a_file_that_is_not_an_intake_store_is_one_line_and_exit_2(tmp_path, command):
    store = tmp_path / "store"
    store.mkdir()
    (store / "intake.db").write_text("not a database at all, just text")
    res = CliRunner().invoke(
        cli, ["users", *command, "--store", str(store)], input="a long password 123\n"
    )
    assert res.exit_code == 2, res.output
    assert res.output.strip().startswith("error: store:")
    assert len(res.output.strip().splitlines()) == 1
    assert (store / "intake.db").read_text() == "not a database at all, just text"
