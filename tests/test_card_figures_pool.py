"""A card's figures are drawn in a pool of threads; the card holds them all, drawn."""

from __future__ import annotations

import multiprocessing
import sys

import pytest

from triage.report.sections import common


def _draw_in_pool() -> str:
    return common._drawing_pool().submit(lambda: "drawn").result(timeout=20)


def test_drawn_waits_for_every_figure_and_keeps_the_order():
    figures: common.Figures = {"first": {"base64": "a"}}
    figures["second"] = common._drawing_pool().submit(lambda: {"base64": "b"})
    figures["third"] = {"base64": "c"}
    assert common.drawn(figures) == {
        "first": {"base64": "a"},
        "second": {"base64": "b"},
        "third": {"base64": "c"},
    }


def test_a_drawing_that_failed_fails_the_card():
    def broken() -> common.Figure:
        raise ValueError("no data to draw")

    figures: common.Figures = {"broken": common._drawing_pool().submit(broken)}
    with pytest.raises(ValueError, match="no data to draw"):
        common.drawn(figures)


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_a_forked_process_draws_in_a_pool_of_its_own():
    assert _draw_in_pool() == "drawn"  # the parent's pool exists, with its threads
    with multiprocessing.get_context("fork").Pool(1) as child:
        assert child.apply(_draw_in_pool) == "drawn"
