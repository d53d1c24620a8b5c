"""`triage score` and `triage queue`: the one scoring path, end to end, with a real registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from triage.contract import TIERS, load_schema

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
TRIAGE = str(Path(sys.executable).with_name("triage"))
AS_OF = "2024-04-01T09:00:00+09:00"
# The CI configs register under their own names, never the production models'.
URGENCY = "intake-urgency-ci"
ROUTING = "dv-witness-routing-ci"
MODEL = ["--model", f"models:/{URGENCY}@champion"]

pytestmark = pytest.mark.slow


def _env(store: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{store / 'mlflow.db'}"
    env["TRIAGE_CACHE_DIR"] = str(store / "cache")
    env.update(extra)
    return env


def _run(args, cwd, env, stdin=None):
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, input=stdin
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A registry holding a trained intake-urgency (CI) model, not yet promoted."""
    work = tmp_path_factory.mktemp("score")
    proc = _run([TRIAGE, "run", str(CI_CONFIG), "--quiet"], work, _env(work))
    assert proc.returncode == 0, proc.stderr
    return work


@pytest.fixture(scope="module")
def champion(store):
    proc = _run(
        [TRIAGE, "promote", "1", "--model", URGENCY, "--reason", "test fixture"], store, _env(store)
    )
    assert proc.returncode == 0, proc.stderr
    return store


def _validator():
    schema = load_schema("score")
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_without_a_champion_the_message_says_how_to_promote(store):
    proc = _run([TRIAGE, "score", str(SAMPLE), "--as-of", AS_OF, *MODEL], store, _env(store))
    assert proc.returncode == 2
    assert "triage promote" in proc.stderr and "@champion" in proc.stderr


def test_every_line_conforms_to_the_score_schema_in_input_order(champion):
    proc = _run(
        [TRIAGE, "score", str(SAMPLE), "--as-of", AS_OF, "--lang", "en", *MODEL],
        champion,
        _env(champion),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    ids = [json.loads(line)["notice_id"] for line in SAMPLE.read_text("utf-8").splitlines()]
    assert len(lines) == len(ids)
    validator = _validator()
    for i, line in enumerate(lines):
        record = json.loads(line)
        errors = list(validator.iter_errors(record))
        assert not errors, f"line {i + 1}: {errors[0].message}"
        assert record["notice_id"] == ids[i]
        assert record["model"] == f"models:/{URGENCY}/1"
        floor = record["rule_floor"]
        if floor is not None:
            assert TIERS.index(record["suggested_tier"]) <= TIERS.index(floor)
        assert TIERS.index(record["suggested_tier"]) <= TIERS.index(record["model_tier"])
        assert (
            "person" in record["decision_support_notice"]
            or "worker" in record["decision_support_notice"]
        )
        assert record["factors"], "every score shows why"
        total = record["base"] + sum(f["contribution"] for f in record["factors"])
        assert abs(total + record["other_factors"] - record["margin"]) < 1e-6
        for factor in record["factors"]:
            assert "=" not in factor["feature"] and factor["label_en"] and factor["label_ja"]


def test_japanese_is_the_default_language(champion):
    proc = _run([TRIAGE, "score", str(SAMPLE), "--as-of", AS_OF, *MODEL], champion, _env(champion))
    first = json.loads(proc.stdout.splitlines()[0])
    assert "担当職員" in first["decision_support_notice"]


def test_bad_lines_are_named_and_the_valid_ones_still_scored(champion, tmp_path):
    good = SAMPLE.read_text("utf-8").splitlines()[:5]
    rows = [json.loads(line) for line in good]
    rows[1]["route"] = "carrier_pigeon"
    del rows[2]["received_at"]
    rows[3]["received_at"] = "2023-06-01T10:00:00"
    lines = [json.dumps(r) for r in rows] + ['{"notice_id": "X1", "route": ']
    bad = tmp_path / "mixed.jsonl"
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    proc = _run([TRIAGE, "score", str(bad), "--as-of", AS_OF, *MODEL], champion, _env(champion))
    assert proc.returncode == 3
    scored = [json.loads(line)["notice_id"] for line in proc.stdout.splitlines()]
    assert scored == [rows[0]["notice_id"], rows[4]["notice_id"]]
    err = proc.stderr
    assert "line 2" in err and "route" in err
    assert "line 3" in err and "received_at" in err
    assert "line 4" in err and "offset" in err.lower()
    assert "line 6" in err and "JSON" in err


def test_usage_errors_exit_2(champion):
    env = _env(champion)
    assert (
        _run(
            [TRIAGE, "score", str(SAMPLE), "--as-of", "2024-04-01T09:00:00", *MODEL], champion, env
        ).returncode
        == 2
    )
    assert _run([TRIAGE, "score", "missing.jsonl", *MODEL], champion, env).returncode == 2
    assert (
        _run([TRIAGE, "score", str(SAMPLE), "--lang", "fr", *MODEL], champion, env).returncode == 2
    )
    assert (
        _run(
            [TRIAGE, "score", str(SAMPLE), "--model", f"models:/{URGENCY}/9"], champion, env
        ).returncode
        == 2
    )


def test_queue_orders_by_tier_then_deadline_overdue_first(champion):
    proc = _run(
        [
            TRIAGE,
            "queue",
            str(SAMPLE),
            "--as-of",
            "2024-04-02T09:00:00+09:00",
            "--json",
            "--config",
            str(CI_CONFIG),
            *MODEL,
        ],  # fmt: skip
        champion,
        _env(champion),
    )
    assert proc.returncode == 0, proc.stderr
    view = json.loads(proc.stdout)
    queue = view["queue"]
    keys = [
        (TIERS.index(e["suggested_tier"]), not e["overdue"], e["safety_deadline"]) for e in queue
    ]
    assert [k[:2] for k in keys] == sorted(k[:2] for k in keys)
    assert sum(view["counts"].values()) == len(queue)
    assert view["capacity"]["immediate+urgent"] == pytest.approx(9 * 40 / 60)
    assert all(e["overdue"] == ("R-ONSITE" in e["rules"]) for e in queue)
    # The daily capacity meets the day's notices (received in the 24 h before the clock),
    # never the file's three-year totals.
    clock = datetime.fromisoformat("2024-04-02T09:00:00+09:00")
    received = {
        n["notice_id"]: datetime.fromisoformat(n["received_at"])
        for n in map(json.loads, SAMPLE.read_text("utf-8").splitlines())
    }
    day = [e for e in queue if clock - timedelta(hours=24) < received[e["notice_id"]] <= clock]
    assert view["counts_last_24h"] == {t: sum(e["suggested_tier"] == t for e in day) for t in TIERS}
    assert sum(view["counts_last_24h"].values()) < sum(view["counts"].values()) / 100
    urgent_day = view["counts_last_24h"]["immediate"] + view["counts_last_24h"]["urgent"]
    assert view["over_capacity"]["immediate+urgent"] == (urgent_day > 9 * 40 / 60)


def test_python_api_gives_the_same_records_as_the_cli(champion, monkeypatch):
    from triage.notices import validate_notices
    from triage.scoring import Scorer

    for key, value in _env(champion).items():
        if key.startswith(("MLFLOW_", "TRIAGE_")):
            monkeypatch.setenv(key, value)
    scorer = Scorer.load(f"models:/{URGENCY}@champion", routing_model=None)
    frame = validate_notices(SAMPLE).valid.head(50)
    api = scorer.score(frame, as_of=AS_OF, lang="en")
    cli = _run([TRIAGE, "score", str(SAMPLE), "--as-of", AS_OF, "--lang", "en", *MODEL,
                "--routing-model", ""], champion, _env(champion))  # fmt: skip
    assert api == [json.loads(line) for line in cli.stdout.splitlines()[:50]]


def test_a_missing_routing_model_names_itself_in_the_promote_hint(champion):
    """The note about a routing model that is not there says how to promote that model
    (named, so that the command as printed never moves the urgency champion)."""
    absent = "dv-witness-routing-absent"
    proc = _run([TRIAGE, "score", str(SAMPLE), "--as-of", AS_OF, *MODEL,
                 "--routing-model", f"models:/{absent}@champion"], champion, _env(champion))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (note,) = [line for line in proc.stderr.splitlines() if line.startswith("note:")]
    assert f"triage promote VERSION --model {absent} --reason" in note


@pytest.fixture(scope="module")
def routed(champion):
    """The champion plus a promoted DV-witness routing model."""
    env = _env(champion)
    proc = _run([TRIAGE, "run", str(REPO / "configs" / "ci_dv.yaml"), "--quiet"], champion, env)
    assert proc.returncode == 0, proc.stderr
    promoted = _run([TRIAGE, "promote", "1", "--model", ROUTING, "--reason", "test"], champion, env)
    assert promoted.returncode == 0, promoted.stderr
    return champion


def _use_store(store, monkeypatch) -> None:
    for key, value in _env(store).items():
        if key.startswith(("MLFLOW_", "TRIAGE_")):
            monkeypatch.setenv(key, value)


def test_dv_witness_notices_take_the_routing_models_tier(routed, monkeypatch):
    import numpy as np

    from triage.notices import validate_notices
    from triage.scoring import Scorer

    _use_store(routed, monkeypatch)
    scorer = Scorer.load(f"models:/{URGENCY}@champion", routing_model=f"models:/{ROUTING}@champion")
    assert scorer.routing is not None and scorer.routing.uri == f"models:/{ROUTING}/1"
    frame = validate_notices(SAMPLE).valid
    dv = (frame["notice_kind"] == "dv_witness").to_numpy()
    _, tiers = scorer.model_tiers(frame)
    p_cgc = scorer.routing.risk(frame.loc[dv])
    to_cgc = p_cgc >= scorer.routing.cgc_cut
    assert to_cgc.any() and (~to_cgc).any()
    assert np.isin(tiers[dv][to_cgc], ["immediate", "urgent"]).all()
    records = scorer.score(frame, as_of=AS_OF, explain=False)
    for rec, is_dv in zip(records, dv, strict=True):
        assert (rec["dv_route"] is None) == (not is_dv)
        if is_dv:
            assert rec["dv_route"] == (
                "cgc" if rec["suggested_tier"] != "standard" else "municipality"
            )


# ---------------------------------------------------------------- one notice, the fast path


def _varied(sample: list[dict]) -> list[tuple[dict, str]]:
    """(notice, as_of) pairs: every committed notice, then edits that reach every branch.

    The sample has DV-witness notices and unknown values; the edits add notices
    with every nullable fact unknown or absent, each rule's trigger, receipt
    times with odd offsets and fractions, and moments either side of 48 h.
    """
    from triage.contract import notice_fields

    fields = notice_fields()
    nullable = [f for f in fields.booleans if f in fields.nullable]
    optional = [f for f in fields.all if f not in fields.required]
    out = [(n, AS_OF) for n in sample]
    triggers = [
        {"injury": "serious"},
        {"sexual_abuse_disclosure": True},
        {"child_requests_protection": True},
        {"returning_home_after_protection": True, "alleged_types": ["neglect"]},
        {"moved_from_other_area": True},
        {"missed_health_checks": True, "safety_confirmed_at": None},
        {"not_enrolled": True, "safety_confirmed_at": None},
        {"no_service_use": True, "safety_confirmed_at": None},
        {"safety_confirmed_at": None},
        {"alleged_types": ["sexual", "physical"]},
        {"received_at": "2024-03-30T08:59:59.5+09:00", "safety_confirmed_at": None},
        {"received_at": "2024-03-29T23:00:00-05:30", "safety_confirmed_at": None},
        {"received_at": "2024-03-30T00:00:00Z", "safety_confirmed_at": "2024-04-01T09:00:01+09:00"},
    ]
    for i, n in enumerate(sample[:400]):
        edit = triggers[i % len(triggers)]
        out.append(({**n, **edit}, AS_OF))
        if i % 4 == 0:
            out.append(({**n, **{f: None for f in nullable if f in n}}, AS_OF))
        if i % 4 == 1:
            out.append(({k: v for k, v in n.items() if k not in optional}, AS_OF))
        if i % 4 == 2:  # just before and just after its 48 h deadline
            received = n["received_at"]
            for hours in (47.9, 48.0):
                when = (pd.Timestamp(received) + pd.Timedelta(hours=hours)).isoformat()
                out.append(({**n, "safety_confirmed_at": None}, when))
    return [({**n, "notice_id": f"{n['notice_id']}-{k}"}, a) for k, (n, a) in enumerate(out)]


def test_one_notice_as_a_dict_scores_exactly_as_in_a_frame(routed, monkeypatch):
    """The API's one-notice path (no DataFrame) gives the batch path's line, byte for byte."""
    from triage.notices import validate_notices
    from triage.scoring import Scorer
    from triage.scoring.lines import score_line

    _use_store(routed, monkeypatch)
    scorer = Scorer.load(f"models:/{URGENCY}@champion", routing_model=f"models:/{ROUTING}@champion")
    assert scorer.routing is not None
    sample = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    cases = _varied(sample)
    assert sum(n["notice_kind"] == "dv_witness" for n, _ in cases) > 100
    checked = 0
    for as_of in sorted({a for _, a in cases}):
        notices = [n for n, a in cases if a == as_of]
        result = validate_notices(notices)
        assert result.ok, result.errors[:3]
        for lang, top, explain in (("ja", None, True), ("en", 3, True), ("ja", None, False)):
            # An even spread of each group (every k-th notice: each kind, route and time is
            # there): one at a time, scoring all of them took over a minute
            share = 400 if (lang, explain) == ("ja", True) else 150
            notices_here = slice(None, None, max(1, len(notices) // share))
            frame = result.valid.iloc[notices_here].reset_index(drop=True)
            batch = scorer.score(frame, as_of=as_of, lang=lang, top=top, explain=explain)
            for record, want in zip(result.records[notices_here], batch, strict=True):
                got = scorer.score(record, as_of=as_of, lang=lang, top=top, explain=explain)
                assert [score_line(r) for r in got] == [score_line(want)], record
                checked += 1
    assert checked > 1000


def test_the_cli_prints_the_shared_score_line_formatter(champion):
    from triage.scoring.lines import score_line

    proc = _run([TRIAGE, "score", str(SAMPLE), "--as-of", AS_OF, *MODEL, "--routing-model", ""],
                champion, _env(champion))  # fmt: skip
    lines = proc.stdout.splitlines()
    assert lines and all(score_line(json.loads(line)) == line for line in lines)
