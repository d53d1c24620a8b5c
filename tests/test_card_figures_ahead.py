"""Figures drawn ahead of a card are embedded by the run's next card, once, while the
data they were drawn from are unchanged; otherwise the card draws them itself."""

from __future__ import annotations

import threading

from triage.report.reader import RunRecord
from triage.report.sections import common


def _run(files: dict[str, bytes], run_id: str) -> RunRecord:
    return RunRecord(run_id, "0", None, {}, {}, {}, fetch=files.get)


class _Drawing:
    """A drawing that records the threads it ran in and how often (a real matplotlib figure)."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def __call__(self, lang: str):
        from triage.explain.figures import agg_figure

        self.threads.append(threading.current_thread().name)
        fig = agg_figure(2, 1)
        fig.add_subplot().set_title(f"{lang} {len(self.threads)}")
        return fig


def _embed(run: RunRecord, drawing: _Drawing) -> common.Figure:
    figures: common.Figures = {}
    key, _ = common.embed_figure(
        run, "fig/curve.png", figures, "en", draw=("fig/data.json", drawing)
    )
    assert key is not None
    return common.drawn(figures)[key]


def test_a_figure_drawn_ahead_is_embedded_once_and_drawn_in_the_callers_thread():
    run, drawing = _run({"fig/data.json": b"[1, 2]"}, "once"), _Drawing()
    with common.drawing_ahead():
        ahead = _embed(run, drawing)
    assert drawing.threads == [threading.current_thread().name]  # not in the pool
    assert _embed(run, drawing) == ahead  # the next card: the same figure, not drawn again
    assert len(drawing.threads) == 1
    again = _embed(run, drawing)  # the one after: drawn again (each kept figure serves once)
    assert len(drawing.threads) == 2
    assert again["base64"] != ahead["base64"]  # the drawing's title counts its calls


def test_a_figure_whose_data_changed_or_of_another_run_is_drawn_again():
    files = {"fig/data.json": b"[1, 2]"}
    drawing = _Drawing()
    with common.drawing_ahead():
        _embed(_run(files, "changed"), drawing)
    _embed(_run(files, "another"), drawing)  # another run
    assert len(drawing.threads) == 2
    files["fig/data.json"] = b"[1, 3]"
    _embed(_run(files, "changed"), drawing)  # the same run, its data logged again
    assert len(drawing.threads) == 3
    assert all(name.startswith("card-figure") for name in drawing.threads[1:])


def test_figures_kept_ahead_are_bounded():
    drawing = _Drawing()
    with common.drawing_ahead():
        for i in range(common.AHEAD_KEPT + 5):
            _embed(_run({"fig/data.json": b"[]"}, f"bounded-{i}"), drawing)
    assert len(common._drawn_ahead) <= common.AHEAD_KEPT
