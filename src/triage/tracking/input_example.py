"""The registered model's input example: three made-up notices, never a real one.

MLflow keeps a model's input example beside it, readable by anyone who can
read the registry. Built from the training data, it carried real-looking
notices (the first three of the test period; from an agency's release, its
records). It is built here from a fixed template instead: invented values,
``EXAMPLE-000n`` ids, one notice of each kind and one with facts not known at
intake, so it shows every form a field takes. Only the fields the model's
signature lists are kept (no ids or date-times).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_GENERAL: dict[str, Any] = {
    "notice_id": "EXAMPLE-0001",
    "received_at": "2024-04-01T09:00:00+09:00",
    "safety_confirmed_at": None,
    "region_code": "EX01",
    "region_urbanity": "urban",
    "route": "school",
    "notice_kind": "general",
    "alleged_types": ["physical", "neglect"],
    "child_age_years": 7,
    "child_sex": "unknown",
    "child_disability": False,
    "missed_health_checks": False,
    "not_enrolled": False,
    "no_service_use": False,
    "school_absence": True,
    "child_fears_home": True,
    "child_requests_protection": False,
    "injury": "minor",
    "injury_head_face": True,
    "sexual_abuse_disclosure": False,
    "weapon_used": False,
    "contact_refused": False,
    "household_type": "single_parent",
    "siblings": 1,
    "caregiver_substance_use": False,
    "caregiver_mental_illness": False,
    "dv_in_home": False,
    "welfare_receipt": False,
    "young_caregiver": False,
    "caregiver_pregnant": False,
    "foreign_national_household": False,
    "socially_isolated": True,
    "prior_notices": 1,
    "prior_protection": False,
    "returning_home_after_protection": False,
    "council_registered": True,
    "moved_from_other_area": False,
    "under_guidance": False,
}
_DV_WITNESS: dict[str, Any] = {
    **_GENERAL,
    "notice_id": "EXAMPLE-0002",
    "route": "police",
    "notice_kind": "dv_witness",
    "alleged_types": ["psychological"],
    "child_age_years": 11,
    "injury": "none",
    "injury_head_face": False,
    "household_type": "two_parent",
    "dv_in_home": True,
    "dv_physical_assault": True,
    "dv_weapon": False,
    "dv_strangulation": False,
    "dv_child_intervened": False,
    "dv_child_injured": False,
    "dv_repeat_count": 2,
    "dv_arrest": False,
    "dv_alcohol": True,
    "dv_victim_pregnant": False,
}
# Facts not known at intake are left out, as a JSON line may do.
_UNKNOWNS = ("child_disability", "no_service_use", "child_fears_home", "weapon_used",
             "caregiver_mental_illness", "welfare_receipt", "prior_protection")  # fmt: skip
_SPARSE: dict[str, Any] = {
    k: v for k, v in _GENERAL.items() if k not in _UNKNOWNS
} | {"notice_id": "EXAMPLE-0003", "route": "neighbour", "child_age_years": 2, "injury": "none",
     "alleged_types": ["neglect"], "region_urbanity": "rural", "region_code": "EX02"}  # fmt: skip


def example_notices() -> list[dict[str, Any]]:
    """The three template notices, as JSON objects (fresh copies)."""
    return [dict(n, alleged_types=list(n["alleged_types"])) for n in (_GENERAL, _DV_WITNESS, _SPARSE)]


def input_example(columns: list[str]):
    """The template notices as the model's input frame: only ``columns``, in that order."""
    import pandas as pd

    frame = pd.DataFrame(example_notices())
    return frame[[c for c in columns if c in frame.columns]]


def json_frame(notices, columns: list[str] | None = None):
    """Notices as JSON would carry them: the pyfunc model's input form.

    With ``columns``, only those of them the JSON holds (a field a JSON line
    leaves out, such as a DV detail of a general notice, is left out here too).
    """
    import json
    import tempfile

    import pandas as pd

    from triage.notices import write_notices

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.jsonl"
        write_notices(notices, path)
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    frame = pd.DataFrame(records)
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame
