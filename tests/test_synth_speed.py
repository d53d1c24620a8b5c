"""The data step's speed-ups give the very data and fingerprint they gave before (issue 18).

Each faster function is checked value for value (bit for bit) against the formula it
replaced (written out here; the categorical draw's is its fallback for many shifts,
``_draw_categorical_per_notice``). Their speed is measured by ``benchmarks/bench_pipeline.py``,
not here. The pinned fingerprints were computed by the code before the speed-ups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.experiment.config import find_config, load_config
from triage.experiment.data import _column_bytes, _repr_lines, fingerprint, load_data
from triage.synth import load_spec
from triage.synth.generate import receipt_order
from triage.synth.intake import notice_ids, numbered
from triage.synth.nodes import (
    MAX_SHIFTS_LOOKED_UP,
    _applies,
    _draw_categorical,
    _draw_categorical_per_notice,
)
from triage.synth.spec import CategoricalNode
from triage.synth.terms import sigmoid


def synthetic(n: int, seed: int):
    cfg = load_config(find_config("intake_urgency"))
    raw = cfg.model_dump(mode="json")
    raw["data"]["synthetic"]["n"] = n
    return load_data(type(cfg).model_validate(raw).data, seed=seed)


@pytest.mark.parametrize(
    ("n", "seed", "before"),
    [
        (5_000, 1, "42d6b3833501ca54"),
        (5_000, 7, "d05d1434f4b2f7f6"),
        (300_000, 3, "26f110938f8c2d79"),  # two chunks drawn side by side
    ],
)
def test_fingerprint_is_the_one_before_the_speed_ups(n, seed, before):
    data = synthetic(n, seed)
    assert fingerprint(data.notices, data.truth) == before


@pytest.mark.parametrize(
    "values",
    [
        ["SYN2023-0000001", "C11", ""],
        ["it's", 'say "hi"', "back\\slash", "tab\there", "new\nline"],
        ["日本語", "zero\u200bwidth", "\x7f", "é"],
        [np.str_("numpy"), "plain"],
        ["a", None, float("nan")],
        [],
    ],
)
def test_repr_lines_are_the_reprs_joined(values):
    assert _repr_lines(values) == "\n".join(map(repr, values)).encode()


def test_string_column_bytes_are_the_reprs_joined():
    s = pd.Series(["x'y", "plain", None], dtype=object)
    assert _column_bytes(s) == "\n".join(map(repr, s.tolist())).encode()


def old_numbered(prefix: str, first: int, last: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(first, last + 1).astype(str), 7))


@pytest.mark.parametrize(
    ("first", "last"),
    [(1, 1), (1, 2_000), (9_999_990, 10_000_010), (99_999_998, 100_000_001)],
)
def test_numbered_ids_are_numpys_zero_padded_strings(first, last):
    new, old = numbered("SYN2023-", first, last), old_numbered("SYN2023-", first, last)
    assert new.dtype == old.dtype
    assert new.tolist() == old.tolist()


def test_notice_ids_are_str_objects_in_order():
    ids = notice_ids(2021, 3)
    assert ids.dtype == object
    assert ids.tolist() == ["SYN2021-0000001", "SYN2021-0000002", "SYN2021-0000003"]
    assert {type(i) for i in ids} == {str}


def test_receipt_order_is_the_stable_argsort():
    rng = np.random.default_rng(0)
    received = 1_617_202_800 + rng.integers(0, 50, 20_000) * 60  # many ties
    assert (receipt_order(received) == np.argsort(received, kind="stable")).all()
    assert receipt_order(np.array([5])).tolist() == [0]
    huge = np.array([2**62, -(2**62), 0, 2**62])  # the sort key would overflow
    assert receipt_order(huge).tolist() == [1, 2, 0, 3]


@pytest.fixture(scope="module")
def context():
    n = 200_000
    rng = np.random.default_rng(2)
    levels = {"colour": ("red", "green", "blue"), "size": ("s", "m", "l", "xl")}
    values = {
        "colour": rng.integers(0, 3, n).astype(np.int16),
        "size": rng.integers(0, 4, n).astype(np.int16),
    }
    return n, values, levels


SHIFTED = CategoricalNode(
    kind="categorical",
    probs={"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05},
    shifts=[
        {"when": {"colour": "red"}, "add": {"a": 1.7, "c": -0.4}},
        {"when": {"size": ["m", "xl"]}, "add": {"a": -0.3, "d": float("-inf")}},
        {"when": {"colour": ["green", "blue"], "size": "s"}, "add": {"b": 2.0}},
    ],
)


def test_categorical_draws_are_those_of_per_notice_weights(context):
    n, values, levels = context
    for node in (SHIFTED, CategoricalNode(kind="categorical", probs={"x": 0.2, "y": 0.8})):
        new = _draw_categorical(node, values, levels, np.random.default_rng(3), n)
        old = _draw_categorical_per_notice(node, values, levels, np.random.default_rng(3), n)
        assert new.dtype == old.dtype
        assert (new == old).all()


@pytest.mark.parametrize("shifts", [MAX_SHIFTS_LOOKED_UP, MAX_SHIFTS_LOOKED_UP + 1])
def test_categorical_draws_with_many_shifts_are_those_of_per_notice_weights(context, shifts):
    n, values, levels = context
    colours, sizes = levels["colour"], levels["size"]
    node = CategoricalNode(
        kind="categorical",
        probs={"a": 0.4, "b": 0.6},
        shifts=[
            {"when": {"colour": colours[i % 3], "size": sizes[i % 4]}, "add": {"a": 0.1 * i}}
            for i in range(shifts)
        ],
    )
    new = _draw_categorical(node, values, levels, np.random.default_rng(6), n)
    old = _draw_categorical_per_notice(node, values, levels, np.random.default_rng(6), n)
    assert (new == old).all()


def test_conditions_select_the_notices_isin_selects(context):
    n, values, levels = context
    cond = {"colour": ["red", "blue"], "size": "xl"}
    expected = np.isin(values["colour"], [0, 2]) & np.isin(values["size"], [3])
    assert (_applies(cond, values, levels, n) == expected).all()


def test_sigmoid_is_the_formula_bit_for_bit():
    x = np.random.default_rng(4).normal(scale=30, size=10_000)
    x[:4] = [0.0, -0.0, 800.0, -800.0]
    with np.errstate(over="ignore"):  # exp(800) is inf in both, as it should be
        assert sigmoid(x).tobytes() == (1.0 / (1.0 + np.exp(-x))).tobytes()


def test_intervened_draws_follow_the_categorical_lookup():
    """A node set by hand (the do-operator) still reaches the shifts that read it."""
    spec = load_spec(None)
    from triage.synth import generate

    sexual = generate(spec, n=4_000, seed=5, interventions={"main_type": "sexual"})
    other = generate(spec, n=4_000, seed=5, interventions={"main_type": "neglect"})
    female = lambda d: (d.notices["child_sex"] == "female").mean()  # noqa: E731
    assert female(sexual) > female(other) + 0.1
