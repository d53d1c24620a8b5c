"""NoticeFeatures: unknown is its own state, stable names, every column traced to a field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from frames import make_notice_frame
from triage.contract import notice_fields
from triage.features import (
    EXCLUDED_FIELDS,
    MONOTONE_INCREASING,
    SENSITIVE_FIELDS,
    NoticeFeatures,
    feature_groups,
    feature_names,
    monotone_constraints,
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_notice_frame(2000, seed=3)[0]


def _matrix(frame: pd.DataFrame, **params) -> pd.DataFrame:
    nf = NoticeFeatures(**params).fit(frame)
    return pd.DataFrame(nf.transform(frame), columns=nf.get_feature_names_out())


def test_boolean_factor_has_yes_and_unknown_states(frame):
    X = _matrix(frame)
    dv = frame["notice_kind"] == "dv_witness"
    for field in ("weapon_used", "dv_strangulation", "child_requests_protection"):
        rows = dv.to_numpy() if field.startswith("dv_") else np.ones(len(frame), bool)
        X_rows, raw = (
            X.loc[rows].reset_index(drop=True),
            frame.loc[rows, field].reset_index(drop=True),
        )
        unknown = raw.isna().to_numpy()
        true = raw.fillna(False).to_numpy(dtype=bool)
        false = ~unknown & ~true
        assert unknown.any() and true.any() and false.any()
        assert (X_rows.loc[unknown, f"{field}=unknown"] == 1).all()
        assert (X_rows.loc[unknown, f"{field}=yes"] == 0).all()  # never imputed as false … or true
        assert (X_rows.loc[false, [f"{field}=yes", f"{field}=unknown"]] == 0).all().all()
        assert (X_rows.loc[true, f"{field}=yes"] == 1).all()
        assert (X_rows.loc[true, f"{field}=unknown"] == 0).all()


def test_optional_integer_has_unknown_indicator_and_zero_value(frame):
    X = _matrix(frame)
    dv = (frame["notice_kind"] == "dv_witness").to_numpy()
    for field, applies in (("prior_notices", np.ones(len(frame), bool)), ("dv_repeat_count", dv)):
        unknown = frame[field].isna().to_numpy() & applies
        assert unknown.any() or field == "dv_repeat_count"
        assert (X.loc[unknown, f"{field}=unknown"] == 1).all()
        assert (X.loc[unknown, field] == 0).all()
        known = frame.loc[applies, field].dropna().to_numpy(dtype=float)
        assert np.array_equal(X.loc[applies & ~unknown, field].to_numpy(), known)
    assert "child_age_years=unknown" not in X.columns  # required: never unknown


def test_dv_fields_do_not_apply_to_general_notices(frame):
    X = _matrix(frame)
    general = (frame["notice_kind"] == "general").to_numpy()
    dv_columns = [c for c, f in feature_groups(X.columns).items() if f in notice_fields().dv_only]
    assert (X.loc[general, dv_columns] == 0).all().all()
    dv_unknown = (~general) & frame["dv_weapon"].isna().to_numpy()
    if dv_unknown.any():
        assert (X.loc[dv_unknown, "dv_weapon=unknown"] == 1).all()


@pytest.mark.parametrize("encoding", ["strings", "reordered categories", "other categories"])
def test_general_notices_are_found_whatever_the_kind_column_holds(frame, encoding):
    # The general rows are read from notice_kind's codes: these must be the schema's,
    # not the frame's own category order.
    kind = frame["notice_kind"].astype(str)
    loose = frame.copy()
    loose["notice_kind"] = {
        "strings": kind.astype(object),
        "reordered categories": kind.astype(pd.CategoricalDtype(["dv_witness", "general"])),
        "other categories": kind.astype(pd.CategoricalDtype(["x", "dv_witness", "general"])),
    }[encoding]
    nf = NoticeFeatures().fit(frame)
    X = nf.transform(loose)
    assert np.array_equal(X, nf.transform(frame)) and X.flags.f_contiguous
    general = (kind == "general").to_numpy()
    groups = feature_groups(nf.get_feature_names_out())
    dv = [j for j, f in enumerate(groups.values()) if f in notice_fields().dv_only]
    assert 0 < general.sum() < len(general) and (X[np.ix_(general, dv)] == 0).all()
    assert (X[np.ix_(~general, dv)] != 0).any()


@pytest.mark.parametrize("include_sensitive", [False, True])
def test_one_hot_columns_sum_to_one_per_enum(frame, include_sensitive):
    X = _matrix(frame, include_sensitive=include_sensitive)
    groups = feature_groups(X.columns)
    enums = [f for f in notice_fields().enums if f in set(groups.values())]
    assert "route" in enums and ("child_sex" in enums) == include_sensitive
    for field in [*enums, "main_type"]:
        cols = [c for c in X.columns if c.startswith(f"{field}=")]
        assert len(cols) >= 2
        assert (X[cols].sum(axis=1) == 1).all(), field


def test_optional_enum_null_is_its_own_category(frame):
    X = _matrix(frame, include_sensitive=True)
    null = frame["region_urbanity"].isna().to_numpy()
    assert null.any()
    assert (X.loc[null, "region_urbanity=unknown"] == 1).all()
    assert (X.loc[~null, "region_urbanity=unknown"] == 0).all()
    assert (X["child_sex=unknown"] == (frame["child_sex"] == "unknown").to_numpy()).all()


def test_alleged_types_multi_hot_and_main_type(frame):
    X = _matrix(frame)
    for i in range(20):
        types = frame["alleged_types"].iloc[i]
        row = X.iloc[i]
        assert {c.split("=")[1] for c in X.columns if c.startswith("alleged=") and row[c]} == set(
            types
        )
        assert row[f"main_type={types[0]}"] == 1


@pytest.mark.parametrize("include_sensitive", [False, True])
def test_feature_groups_maps_every_column_to_a_contract_field(include_sensitive):
    names = feature_names(include_sensitive=include_sensitive)
    groups = feature_groups(names)
    assert list(groups) == list(names)
    fields = set(notice_fields().all) - set(EXCLUDED_FIELDS)
    assert set(groups.values()) <= fields
    used = set(groups.values())
    assert used.isdisjoint(EXCLUDED_FIELDS)
    assert used.isdisjoint(SENSITIVE_FIELDS) != include_sensitive
    assert used == fields - (set() if include_sensitive else set(SENSITIVE_FIELDS))
    assert groups["alleged=sexual"] == groups["main_type=physical"] == "alleged_types"


def test_feature_groups_refuses_a_foreign_column():
    with pytest.raises(ValueError, match="does not map"):
        feature_groups(["notice_id"])
    with pytest.raises(ValueError, match="does not map"):
        feature_groups(["x0"])


def test_output_is_deterministic_and_names_are_stable(frame):
    nf = NoticeFeatures().fit(frame)
    a, b = nf.transform(frame), NoticeFeatures().fit(frame.iloc[::-1]).transform(frame)
    assert np.array_equal(a, b)
    assert a.dtype == np.float32 and a.flags.f_contiguous
    assert tuple(nf.get_feature_names_out()) == feature_names()
    assert NoticeFeatures(dtype="float64").fit_transform(frame).dtype == np.float64
    assert not np.isnan(a).any()


def test_string_enums_and_list_alleged_types_give_the_same_matrix(frame):
    """Raw JSON-like input (plain strings, lists) encodes like the typed frame."""
    loose = frame.copy()
    loose["route"] = loose["route"].astype(str)
    loose["injury"] = loose["injury"].astype(object)
    loose["alleged_types"] = pd.Series([list(t) for t in frame["alleged_types"]], dtype=object)
    loose["weapon_used"] = loose["weapon_used"].astype(object)
    nf = NoticeFeatures().fit(frame)
    assert np.array_equal(nf.transform(loose), nf.transform(frame))


def test_absent_optional_field_reads_unknown_and_missing_required_raises(frame):
    nf = NoticeFeatures().fit(frame)
    X = pd.DataFrame(
        nf.transform(frame.drop(columns=["weapon_used", "prior_notices"])),
        columns=nf.get_feature_names_out(),
    )
    assert (X["weapon_used=unknown"] == 1).all() and (X["weapon_used=yes"] == 0).all()
    assert (X["prior_notices=unknown"] == 1).all() and (X["prior_notices"] == 0).all()
    with pytest.raises(ValueError, match="required"):
        nf.transform(frame.drop(columns=["injury"]))
    # sensitive required fields are needed only when used
    NoticeFeatures().fit_transform(frame.drop(columns=["child_sex", "household_type"]))


def test_bad_values_are_refused(frame):
    nf = NoticeFeatures().fit(frame)
    bad = frame.copy()
    bad["route"] = bad["route"].astype(str).where(np.arange(len(bad)) > 0, "courier")
    with pytest.raises(ValueError, match="categories"):
        nf.transform(bad)
    bad = frame.copy()
    bad.loc[0, "alleged_types"] = ("beating",)
    with pytest.raises(ValueError, match="alleged_types"):
        nf.transform(bad)
    bad = frame.copy()
    bad["weapon_used"] = bad["weapon_used"].astype("Float64").fillna(2.0)
    with pytest.raises(ValueError, match="true/false/null"):
        nf.transform(bad)
    with pytest.raises(TypeError, match="notice frame"):
        nf.transform(np.zeros((3, 3)))


def test_set_output_pandas_keeps_names_and_index(frame):
    out = NoticeFeatures().set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == list(feature_names()) and out.index.equals(frame.index)


def test_monotone_directions_are_declared_once_and_name_real_columns():
    all_names = set(feature_names(include_sensitive=True))
    assert set(MONOTONE_INCREASING) <= all_names
    assert not any(n.endswith("=unknown") for n in MONOTONE_INCREASING)
    names = feature_names()
    cst = monotone_constraints(names)
    assert cst.shape == (len(names),)
    assert {n for n, c in zip(names, cst, strict=True) if c} == set(MONOTONE_INCREASING)
    assert set(np.unique(cst)) == {0, 1}
