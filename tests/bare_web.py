"""A real intake app without a model, for the tests of logins, sessions, headers and faults.

The app, the store (SQLite in pytest's tmp_path) and argon2 are the real ones;
only the model is absent (the app then runs as it does before any promotion),
so these tests start in a fraction of a second instead of training one.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
PASSWORD = "a long test password"
SECRET = "k7Qp2vX9mZr4Lw8sTn3Yb6Hc1Jd5Fg0Ae-_UiOoPlKjMnBvCxZq"


def bare_state(store: Path, **settings):
    from triage.decisions import connect
    from triage.decisions.sessions import ensure_sessions_table
    from triage.scoring.queue import DayCapacity
    from triage.web.state import WebSettings, WebState

    conn = connect(store)
    ensure_sessions_table(conn)
    conn.close()
    return WebState(
        settings=WebSettings(store=store, config=CI_CONFIG, load_sample=False, **settings),
        scorer=None,
        model_problem="no model in this test",
        capacity=DayCapacity(per_day=10, immediate=3),
        fixed_clock=None,
        scorer_key="",
        synthetic=False,
        rules_by_id={},
    )


def bare_app(store: Path, **settings):
    from triage.web.app import create_app

    return create_app(state=bare_state(store, **settings))


def add_worker(store: Path, name: str, password: str = PASSWORD) -> None:
    from triage.decisions import connect
    from triage.decisions.users import add_user

    conn = connect(store)
    try:
        add_user(conn, name, password)
    finally:
        conn.close()
