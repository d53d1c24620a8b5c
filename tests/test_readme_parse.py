"""How tests/test_readme_commands.py reads the README and the toolkit's printed next steps."""

from __future__ import annotations

from pathlib import Path

from readme_commands import fill, is_server, printed_commands, section, shell_lines

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_commands_section_spans_its_subsections_and_stops_at_the_next_section():
    lines = shell_lines(section(README.read_text("utf-8")))
    assert lines[0].startswith("triage synth ")
    assert "triage decisions export --out decisions.parquet" in [x.split("  #")[0].strip() for x in lines]
    assert not any("aggregates release" in x for x in lines)  # the next ## section
    assert not any(x.startswith("#") for x in lines)
    assert [x for x in lines if is_server(x)] == [
        "triage serve                                 # http://127.0.0.1:8000; store in ./intake/",
        next(x for x in lines if x.startswith("triage serve --notices")),
    ]


def test_placeholders_are_filled_as_whole_words_only():
    values = {"RUN_ID": "abc", "VERSION": "1"}
    assert fill("triage audit --run RUN_ID && triage report RUN_ID", values) == (
        "triage audit --run abc && triage report abc"
    )
    assert fill("triage promote VERSION --reason x", values) == "triage promote 1 --reason x"
    assert fill("triage run configs/ci.yaml  # VERSIONS", values).endswith("VERSIONS")


def test_printed_next_steps_are_found_as_printed_in_order():
    out = (
        "MLflow run 0a in experiment 1 at sqlite:////w/mlflow.db\n"
        "look at it with: mlflow ui --backend-store-uri sqlite:////w/mlflow.db\n"
        "promotion to @champion is a person's decision, never automatic: "
        "triage promote 1 --model intake-urgency-ci --reason '...'\n"
        "next: triage aggregates check out/r\n"
        "keep these: `triage decisions verify --expect-count 0 --expect-head 00`.\n"
    )
    assert printed_commands(out) == [
        "mlflow ui --backend-store-uri sqlite:////w/mlflow.db",
        "triage promote 1 --model intake-urgency-ci --reason '...'",
        "triage aggregates check out/r",
        "triage decisions verify --expect-count 0 --expect-head 00",
    ]
