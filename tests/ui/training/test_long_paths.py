"""A long run's landscape path is drawn from a bounded number of its own points: evenly spread
and dense at the start, where the parameters move fastest, the first and last always kept."""

from __future__ import annotations

import numpy as np

from playground.ui.training.landscape import MAX_PATH_POINTS, LandscapePlot, thin_path


def test_a_ten_million_point_path_is_thinned_to_its_own_points() -> None:
    n = 10_000_000
    ws = np.linspace(1.0, 2.0, n)
    bs = np.sqrt(np.arange(n, dtype=np.float64))
    tw, tb = thin_path(ws, bs)
    assert len(tw) <= MAX_PATH_POINTS and len(tw) == len(tb)
    assert (tw[0], tb[0], tw[-1], tb[-1]) == (ws[0], bs[0], ws[-1], bs[-1])
    idx = np.rint(tb ** 2).astype(np.int64)  # which epochs were kept
    assert (np.diff(idx) > 0).all() and np.array_equal(tw, ws[idx])
    assert idx[1] == 1 and (idx < 1000).sum() > 100  # the start is drawn in detail


def test_a_short_path_is_drawn_whole() -> None:
    ws, bs = np.arange(5.0), np.arange(5.0) * 2
    tw, tb = thin_path(ws, bs)
    assert np.array_equal(tw, ws) and np.array_equal(tb, bs)


def test_the_landscape_draws_a_long_path_from_bounded_points(qtbot) -> None:
    plot = LandscapePlot()
    qtbot.addWidget(plot)
    n = 3_000_000
    ws, bs = np.linspace(0.0, 2.0, n), np.linspace(1.0, 0.0, n)
    plot.set_path(ws, bs)
    x, y = plot.path.getData()
    assert len(x) <= MAX_PATH_POINTS and (x[-1], y[-1]) == (ws[-1], bs[-1])
    assert (plot.head_dot.pos().x(), plot.head_dot.pos().y()) == (ws[-1], bs[-1])
