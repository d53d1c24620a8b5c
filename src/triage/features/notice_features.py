"""Notice frame → numeric feature matrix, with stable column names.

``NoticeFeatures`` turns a notice frame (see ``triage.contract``) into a float
matrix for the candidate models. Every column, its name and its order follow
from the notice schema and two parameters; nothing depends on the data.

Column names (``get_feature_names_out``), in schema field order:

- enum field: one column per schema category, ``<field>=<category>``
  (``route=police``, ``injury=serious``, ``child_sex=unknown``). An optional
  enum (may be absent) also gets ``<field>=unknown``; a row sums to 1 over its
  field's columns.
- nullable boolean risk factor: ``<field>=yes`` and ``<field>=unknown``.
  ``yes`` = 1 when known true; ``unknown`` = 1 when null or the column is
  absent; both 0 = known false. Unknown is a state of its own, never imputed as
  false.
- integer: the value itself, ``<field>`` (``child_age_years``,
  ``prior_notices``); an optional integer also gets ``<field>=unknown``, and its
  value column holds 0 when unknown (read it together with the indicator).
- ``alleged_types``: multi-hot ``alleged=<type>`` and one-hot
  ``main_type=<type>`` for the first entry.

DV-only fields (``dv_*``) do not apply to general notices: there every
column of such a field is 0 (neither known nor unknown), so ``dv_*=unknown``
means "a DV-witness notice whose police report left this open" and does not
repeat ``notice_kind=general`` (which made linear fits ill-conditioned and
explanations of general notices talk about DV details).

Left out: ``notice_id``, ``received_at``, ``safety_confirmed_at`` (known only
after intake) and ``region_code``. The sensitive attributes in
``SENSITIVE_FIELDS`` are left out unless ``include_sensitive=True``; a fairness
report must say which setting a model used.

The matrix is Fortran-ordered (column-major): it is built column by column and
scikit-learn and LightGBM accept it without a copy. Call
``np.ascontiguousarray`` where a consumer needs row-major data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from triage.contract import load_schema, notice_fields

EXCLUDED_FIELDS: tuple[str, ...] = (
    "notice_id",
    "received_at",
    "safety_confirmed_at",
    "region_code",
)
"""Contract fields never turned into features (identifiers, timestamps)."""

SENSITIVE_FIELDS: tuple[str, ...] = (
    "child_sex",
    "foreign_national_household",
    "welfare_receipt",
    "household_type",
    "region_urbanity",
    "child_disability",
)
"""Protected or proxy attributes: features only with ``include_sensitive=True``."""

KIND_FIELD, GENERAL_KIND = "notice_kind", "general"
"""The field and the value of notices to which the DV-only fields do not apply."""

ALLEGED_FIELD = "alleged_types"
ALLEGED_PREFIXES: tuple[str, str] = ("alleged", "main_type")
"""Column prefixes of ``alleged_types``: multi-hot and main (first) type."""

MONOTONE_INCREASING: dict[str, tuple[str, str]] = {
    "prior_notices": (
        "each earlier notice is more evidence of a pattern, never of safety",
        "過去の通告が増えることは、繰り返しの証拠であり、安全の証拠にはならない",
    ),
    "dv_repeat_count": (
        "each earlier police-attended DV incident is more evidence of escalation",
        "警察が対応した過去のDV事案が増えることは、エスカレートの証拠である",
    ),
    "injury=serious": (
        "serious harm has already happened (assessment sheet: 重大な結果)",
        "重大な結果がすでに生じている（アセスメントシート：重大な結果）",
    ),
    "injury_head_face=yes": (
        "head and face injuries are the ones that kill young children",
        "頭部・顔面の外傷は乳幼児の死亡につながる外傷である",
    ),
    "weapon_used=yes": (
        "a weapon raises the severity of the next incident",
        "凶器の使用は次の事案の重大性を高める",
    ),
    "child_requests_protection=yes": (
        "the child's own account; a low score must never overrule it",
        "子ども本人の訴え。低いスコアがそれを覆してはならない",
    ),
    "sexual_abuse_disclosure=yes": (
        "the child's own account of sexual abuse",
        "性的虐待についての子ども本人の訴え",
    ),
    "child_fears_home=yes": (
        "the child's own account of danger at home",
        "家庭内の危険についての子ども本人の訴え",
    ),
    "dv_strangulation=yes": (
        "strangulation is the strongest known marker of lethal DV",
        "首絞めはDVによる死亡の最も強い指標である",
    ),
    "dv_weapon=yes": (
        "a weapon in a DV incident raises its lethality",
        "DV事案での凶器は致死性を高める",
    ),
    "dv_child_injured=yes": (
        "the child was hurt in the DV incident",
        "子どもがDV事案でけがをした",
    ),
}
"""Output columns whose effect on risk can only be upward, and why (English, Japanese).

The single place where monotone directions are declared. Kept deliberately
short: only factors where domain knowledge (and the national assessment sheet)
says "more of this never means less risk". A ``=yes`` entry holds with its
``=unknown`` column at 0, i.e. it compares known-yes with known-no. Every other
column, ``=unknown`` columns included, is unconstrained (0): there is no
direction known for them, and a wrong constraint costs more than none.
"""

_VALUE_ERRORS = {
    "not_frame": "NoticeFeatures needs a notice frame (pandas DataFrame); got {kind}.",
    "missing_required": "required notice field(s) missing from the frame: {fields}.",
    "required_null": "required field {field!r} has {count} null value(s).",
    "bad_category": "field {field!r} has value(s) outside the schema's categories {cats}: {bad}.",
    "bad_boolean": "field {field!r} must hold true/false/null; found other values.",
    "bad_alleged": "alleged_types entries must be non-empty lists of {types}; got {bad!r}.",
    "unknown_column": "feature column {name!r} does not map to a notice contract field.",
}


@dataclass(frozen=True)
class ColumnBlock:
    """How one contract field becomes output columns."""

    field: str
    kind: str  # "enum" | "bool" | "int" | "alleged"
    names: tuple[str, ...]
    categories: tuple[str, ...] = ()
    unknown_at: int | None = None  # offset of the column that says "not known", if any
    required: bool = False


@cache
def column_plan(include_sensitive: bool) -> tuple[ColumnBlock, ...]:
    """Column blocks in schema order; raises on a contract field of an unhandled kind."""
    f = notice_fields()
    schema = load_schema("notice")
    blocks: list[ColumnBlock] = []
    for field in f.all:
        if field in EXCLUDED_FIELDS or (field in SENSITIVE_FIELDS and not include_sensitive):
            continue
        required = field in f.required
        maybe_missing = not required or field in f.nullable
        if field == ALLEGED_FIELD:
            types = tuple(schema["properties"][field]["items"]["enum"])
            names = tuple(f"{p}={t}" for p in ALLEGED_PREFIXES for t in types)
            blocks.append(ColumnBlock(field, "alleged", names, types, required=required))
        elif field in f.enums:
            cats = f.enums[field]
            names = tuple(f"{field}={c}" for c in cats)
            at = None
            if maybe_missing and "unknown" in cats:  # null joins the schema's own "unknown"
                at = cats.index("unknown")
            elif maybe_missing:
                names, at = (*names, f"{field}=unknown"), len(names)
            blocks.append(ColumnBlock(field, "enum", names, cats, at, required))
        elif field in f.booleans:
            names = (f"{field}=yes",) + ((f"{field}=unknown",) if maybe_missing else ())
            blocks.append(
                ColumnBlock(field, "bool", names, (), 1 if maybe_missing else None, required)
            )
        elif field in f.integers:
            names = (field,) + ((f"{field}=unknown",) if maybe_missing else ())
            blocks.append(
                ColumnBlock(field, "int", names, (), 1 if maybe_missing else None, required)
            )
        else:
            raise NotImplementedError(
                f"notice field {field!r} has no feature encoding: add it to features.py "
                "or to EXCLUDED_FIELDS"
            )
    return tuple(blocks)


def feature_names(*, include_sensitive: bool = False) -> tuple[str, ...]:
    """Output column names for a setting, without fitting anything."""
    return tuple(n for b in column_plan(include_sensitive) for n in b.names)


def feature_groups(names: Iterable[str]) -> dict[str, str]:
    """Map each output column to the contract field it comes from.

    ``route=police`` → ``route``; ``alleged=sexual`` and ``main_type=sexual`` →
    ``alleged_types``; ``prior_notices=unknown`` → ``prior_notices``. Raises
    ``ValueError`` for a name that is not a contract field's column.
    """
    fields = set(notice_fields().all)
    out: dict[str, str] = {}
    for name in names:
        prefix = str(name).split("=", 1)[0]
        field = ALLEGED_FIELD if prefix in ALLEGED_PREFIXES else prefix
        if field not in fields or field in EXCLUDED_FIELDS:
            raise ValueError(_VALUE_ERRORS["unknown_column"].format(name=name))
        out[str(name)] = field
    return out


def monotone_constraints(names: Sequence[str]) -> np.ndarray:
    """+1 for columns in ``MONOTONE_INCREASING``, 0 otherwise, aligned to ``names``."""
    return np.array([1 if str(n) in MONOTONE_INCREASING else 0 for n in names], dtype=np.int8)


def _as_float(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _enum_codes(s: pd.Series, block: ColumnBlock) -> np.ndarray:
    cats = block.categories
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) and tuple(dtype.categories) == cats:
        return s.cat.codes.to_numpy()
    index = pd.Index(cats, dtype=object)
    if isinstance(dtype, pd.CategoricalDtype):  # other categories: recode via the category list
        own = s.cat.codes.to_numpy()
        codes = np.where(own >= 0, index.get_indexer(dtype.categories.astype(object))[own], -1)
    else:
        codes = index.get_indexer(s.astype(object))
    bad = (codes < 0) & s.notna().to_numpy()
    if bad.any():
        values = sorted(map(str, pd.unique(s[bad])))[:5]
        raise ValueError(
            _VALUE_ERRORS["bad_category"].format(field=block.field, cats=list(cats), bad=values)
        )
    return codes


def _alleged_table(uniques: Sequence[object], types: tuple[str, ...]) -> np.ndarray:
    """One row of multi-hot + main-type one-hot per distinct alleged_types value."""
    k = len(types)
    table = np.zeros((len(uniques), 2 * k), dtype=np.float64)
    index = {t: i for i, t in enumerate(types)}
    for r, value in enumerate(uniques):
        entries = tuple(value) if isinstance(value, list | tuple | np.ndarray) else None
        if not entries or any(e not in index for e in entries):
            raise ValueError(_VALUE_ERRORS["bad_alleged"].format(types=list(types), bad=value))
        for e in entries:
            table[r, index[e]] = 1.0
        table[r, k + index[entries[0]]] = 1.0
    return table


def _alleged_codes(s: pd.Series, block: ColumnBlock) -> tuple[np.ndarray, np.ndarray]:
    """Row codes into a small table of distinct values (the number of distinct tuples is tiny)."""
    try:
        codes, uniques = pd.factorize(s)
    except TypeError:  # lists or arrays (JSON, Parquet) are unhashable: compare as tuples
        codes, uniques = pd.factorize(pd.Series([tuple(v) for v in s], dtype=object))
    if (codes < 0).any():
        raise ValueError(
            _VALUE_ERRORS["required_null"].format(field=block.field, count=int((codes < 0).sum()))
        )
    return codes, _alleged_table(list(uniques), block.categories)


class NoticeFeatures(TransformerMixin, BaseEstimator):
    """Numeric features from a notice frame; see the module docstring for the columns.

    Parameters
    ----------
    include_sensitive : bool, default False
        Add the columns of ``SENSITIVE_FIELDS`` (child sex, nationality, welfare,
        household type, urbanity, disability).
    dtype : {"float32", "float64"}, default "float32"
        Output dtype. All values are 0/1 or small counts, exact in float32,
        which halves the memory of a 1M-row matrix.

    ``fit`` learns nothing from the data: it checks the frame and fixes
    ``feature_names_out_``, ``feature_groups_`` and ``monotone_constraints_``.
    An optional field absent from the frame reads as unknown on every row; a
    required one raises ``ValueError``.
    """

    _parameter_constraints: dict = {
        "include_sensitive": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(self, include_sensitive: bool = False, dtype: str = "float32"):
        self.include_sensitive = include_sensitive
        self.dtype = dtype

    def fit(self, X: pd.DataFrame, y: object = None) -> NoticeFeatures:
        self._validate_params()
        self._check_frame(X)
        names = feature_names(include_sensitive=self.include_sensitive)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.feature_groups_ = feature_groups(names)
        self.monotone_constraints_ = monotone_constraints(names)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        self._check_frame(X)
        n = len(X)
        blocks = column_plan(self.include_sensitive)
        out = np.zeros((n, len(self.feature_names_out_)), dtype=self.dtype, order="F")
        general: np.ndarray | None = None  # rows of general notices, once notice_kind is read
        j = 0
        for b in blocks:
            width = len(b.names)
            if b.field not in X.columns:  # optional and absent: unknown everywhere
                # _check_frame refused an absent field that has no unknown column
                assert b.unknown_at is not None
                out[:, j + b.unknown_at] = 1
            elif b.kind == "alleged":
                codes, table = _alleged_codes(X[b.field], b)
                for k in range(width):
                    np.take(table[:, k].astype(out.dtype), codes, out=out[:, j + k])
            elif b.kind == "enum":
                codes = _enum_codes(X[b.field], b)
                self._check_required(b, codes < 0)
                for c in range(len(b.categories)):
                    np.equal(codes, c, out=out[:, j + c])
                if b.unknown_at is not None:
                    out[codes < 0, j + b.unknown_at] = 1
                if b.field == KIND_FIELD:
                    # From the codes at hand: comparing the column as objects with "general"
                    # cost 36 ms at 550k rows, these 0.1 ms; the same rows either way.
                    general = codes == b.categories.index(GENERAL_KIND)
            else:
                s = X[b.field]
                v = _as_float(s)
                unknown = np.isnan(v)
                self._check_required(b, unknown)
                if b.kind == "bool":
                    typed = isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool
                    if not typed and ((v != 0.0) & (v != 1.0) & ~unknown).any():
                        raise ValueError(_VALUE_ERRORS["bad_boolean"].format(field=b.field))
                    np.equal(v, 1.0, out=out[:, j])
                else:
                    np.copyto(out[:, j], v, casting="unsafe", where=~unknown)
                if b.unknown_at is not None:
                    out[:, j + b.unknown_at] = unknown
            j += width
        if general is not None:
            self._blank_dv_fields_on_general_notices(general, out)
        return out

    def _blank_dv_fields_on_general_notices(self, general: np.ndarray, out: np.ndarray) -> None:
        # Row numbers, found once, rather than the boolean mask in each of the 18 DV
        # columns: 0.6 ms a column instead of 4.2 at 550k rows (65 % of them general).
        rows = np.flatnonzero(general)
        if len(rows) == 0:
            return
        dv_only = set(notice_fields().dv_only)
        for j, name in enumerate(self.feature_names_out_):
            if self.feature_groups_[name] in dv_only:
                out[rows, j] = 0

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def _check_frame(self, X: object) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(_VALUE_ERRORS["not_frame"].format(kind=type(X).__name__))
        missing = [
            b.field
            for b in column_plan(self.include_sensitive)
            if b.unknown_at is None and b.field not in X.columns
        ]
        if missing:
            raise ValueError(_VALUE_ERRORS["missing_required"].format(fields=missing))

    @staticmethod
    def _check_required(block: ColumnBlock, null: np.ndarray) -> None:
        if block.unknown_at is None and null.any():
            raise ValueError(
                _VALUE_ERRORS["required_null"].format(field=block.field, count=int(null.sum()))
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags
