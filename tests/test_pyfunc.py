"""The registered model through stock MLflow, on notices as the toolkit writes them.

``mlflow.pyfunc`` and ``mlflow models serve`` must take notices in every form
the toolkit gives them (Parquet from ``triage synth`` read with
``pd.read_parquet``, JSON Lines read with pandas, the JSON body of the scoring
server) and return exactly the risks ``triage score`` gives for them. The
signature lists the notice fields the model reads and nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from loopback import free_port

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
BIN = Path(sys.executable).parent
TRIAGE = str(BIN / "triage")
AS_OF = "2024-04-01T09:00:00+09:00"
MODEL = "models:/intake-urgency-ci@candidate"  # the CI config's own name


def _env(uri: str, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = uri
    env["TRIAGE_CACHE_DIR"] = str(cache)  # never the user's ~/.cache
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# --- the signature: what the model reads --------------------------------------------------


def test_signature_lists_the_fields_the_model_reads_and_nothing_else():
    from triage.contract import notice_fields
    from triage.features import EXCLUDED_FIELDS, SENSITIVE_FIELDS, NoticeFeatures, column_plan
    from triage.tracking import notice_signature

    for sensitive in (False, True):
        inputs = notice_signature(NoticeFeatures(include_sensitive=sensitive)).inputs
        plan = column_plan(sensitive)
        assert inputs.input_names() == [b.field for b in plan]
        required = {b.field for b in plan if b.unknown_at is None}
        assert set(inputs.required_input_names()) == required
        names = set(inputs.input_names())
        assert not names & set(EXCLUDED_FIELDS)  # ids and timestamps are not inputs
        assert names.issuperset(SENSITIVE_FIELDS) == sensitive
        assert not names & set(notice_fields().datetimes)


def test_signature_refuses_a_model_that_does_not_read_notices():
    from sklearn.linear_model import LogisticRegression

    from triage.tracking import notice_signature

    with pytest.raises(TypeError, match="NoticeFeatures"):
        notice_signature(LogisticRegression())


# --- a real store, a real model ------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A CI run in a temporary store, the same 300 notices as Parquet and JSON Lines,
    and ``triage score``'s risk for each of them."""
    work = tmp_path_factory.mktemp("pyfunc")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    env = _env(uri, work / "cache")
    proc = _run([TRIAGE, "run", str(CI_CONFIG), "--quiet"], work, env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    for fmt in ("parquet", "jsonl"):
        proc = _run(
            [TRIAGE, "synth", "--n", "300", "--out", str(work / fmt), "--format", fmt], work, env
        )
        assert proc.returncode == 0, proc.stderr
    parquet, jsonl = work / "parquet" / "notices.parquet", work / "jsonl" / "notices.jsonl"
    proc = _run(
        [TRIAGE, "score", str(parquet), "--model", MODEL, "--routing-model", "",
         "--no-explain", "--as-of", AS_OF],
        work,
        env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    risks = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        risks[row["notice_id"]] = row["risk"]
    assert len(risks) == 300
    return {"work": work, "env": env, "parquet": parquet, "jsonl": jsonl, "risks": risks}


PREDICT = """
import json, sys
import mlflow, pandas as pd
parquet, jsonl = sys.argv[1], sys.argv[2]
model = mlflow.pyfunc.load_model({model!r})
frames = {{
    "parquet": pd.read_parquet(parquet),
    "read_json": pd.read_json(jsonl, lines=True),
    "records": pd.DataFrame([json.loads(l) for l in open(jsonl, encoding="utf-8")]),
}}
out = {{"dtypes": {{k: str(frames["parquet"][k].dtype)
                   for k in ("received_at", "alleged_types", "dv_repeat_count")}}}}
for name, frame in frames.items():
    p = model.predict(frame)
    out[name] = {{"ids": frame["notice_id"].tolist(), "risk": p[:, 1].tolist(),
                  "rowsum": float(abs(p.sum(axis=1) - 1).max())}}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def predicted(store):
    """Stock ``mlflow.pyfunc`` in a fresh process on the three pandas forms of the notices."""
    code = PREDICT.format(model=MODEL)
    proc = _run(
        [sys.executable, "-c", code, str(store["parquet"]), str(store["jsonl"])],
        store["work"],
        store["env"],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _close(a: list[float], b: list[float], tol: float = 1e-12) -> float:
    assert len(a) == len(b)
    worst = max(abs(x - y) for x, y in zip(a, b, strict=True))
    assert worst <= tol, worst
    return worst


@pytest.mark.slow
def test_stock_pyfunc_scores_the_parquet_triage_synth_writes(predicted):
    # The Parquet really holds what broke the old signature: a tz-aware timestamp,
    # lists as numpy arrays, an optional count as float with NaN.
    assert predicted["dtypes"]["received_at"].startswith("datetime64")
    assert "Asia/Tokyo" in predicted["dtypes"]["received_at"]
    assert predicted["dtypes"]["alleged_types"] == "object"
    assert predicted["dtypes"]["dv_repeat_count"] == "float64"
    out = predicted["parquet"]
    assert len(out["risk"]) == 300
    assert all(0.0 <= r <= 1.0 for r in out["risk"])
    assert out["rowsum"] < 1e-9


@pytest.mark.slow
def test_json_lines_read_by_pandas_give_the_same_risks_as_parquet(predicted):
    for form in ("read_json", "records"):
        assert predicted[form]["ids"] == predicted["parquet"]["ids"]
        _close(predicted[form]["risk"], predicted["parquet"]["risk"])


@pytest.mark.slow
def test_stock_pyfunc_gives_what_triage_score_gives(store, predicted):
    risks = store["risks"]
    for form in ("parquet", "read_json", "records"):
        out = predicted[form]
        _close(out["risk"], [risks[i] for i in out["ids"]])


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_mlflow_models_serve_scores_notices_as_triage_score_does(store):
    import pandas as pd

    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "mlflow"), "models", "serve", "-m", MODEL, "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
        cwd=store["work"],
        env={**store["env"], "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("mlflow models serve did not start")
            time.sleep(0.5)
        risks = store["risks"]
        # 100 notices read from the synth Parquet, sent as pandas writes them
        frame = pd.read_parquet(store["parquet"]).head(100)
        split = json.loads(frame.to_json(orient="split", date_format="iso"))
        got = _post(f"{base}/invocations", {"dataframe_split": split})["predictions"]
        ids = frame["notice_id"].tolist()
        _close([row[1] for row in got], [risks[i] for i in ids])
        # the same notices as the JSON Lines carry them, one record each
        lines = store["jsonl"].read_text("utf-8").splitlines()[:100]
        records = [json.loads(line) for line in lines]
        assert [r["notice_id"] for r in records] == ids
        got = _post(f"{base}/invocations", {"dataframe_records": records})["predictions"]
        _close([row[1] for row in got], [risks[i] for i in ids])
    finally:
        server.terminate()
        server.wait(timeout=30)
