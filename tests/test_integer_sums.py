"""The bootstrap's compiled whole-number sums equal numpy's ``bincount``, and refuse bad codes."""

import numpy as np
import pytest

from triage.evaluation._integer_sums import count_draws, sum_by_code


def test_count_draws_equals_bincount_row_by_row():
    draws = np.random.default_rng(0).integers(0, 50, size=(6, 40))
    counts = count_draws(draws, 50)
    assert counts.dtype == np.uint8
    np.testing.assert_array_equal(counts, [np.bincount(row, minlength=50) for row in draws])


def test_a_count_past_255_widens_every_row_to_int64():
    draws = np.zeros((2, 300), dtype=np.int64)
    draws[1] = np.arange(300) % 3
    counts = count_draws(draws, 3)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, [[300, 0, 0], [100, 100, 100]])


@pytest.mark.parametrize("bad", [-1, 5])
def test_a_draw_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="outside"):
        count_draws(np.array([[0, bad]]), 5)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.int32, np.bool_])
def test_sum_by_code_equals_weighted_bincount(dtype):
    rng = np.random.default_rng(1)
    W = rng.integers(0, 4, size=(5, 200)).astype(dtype)
    code = rng.integers(0, 9, size=200)
    sums = sum_by_code(W, code, 11)  # two codes that no notice has
    assert sums.dtype == np.int64
    expected = [np.bincount(code, weights=w.astype(float), minlength=11) for w in W]
    np.testing.assert_array_equal(sums, expected)


def test_sum_by_code_refuses_a_code_past_count_and_float_weights():
    W = np.ones((1, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="outside"):
        sum_by_code(W, np.array([0, 1, 2]), 2)
    with pytest.raises(ValueError, match="outside"):
        sum_by_code(W, np.array([0, -1, 1]), 2)
    with pytest.raises(TypeError, match="integers"):
        sum_by_code(np.ones((1, 3)), np.array([0, 1, 1]), 2)
    with pytest.raises(ValueError, match="shape"):
        sum_by_code(W, np.array([0, 1]), 2)
