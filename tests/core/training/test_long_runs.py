"""Long runs: records reserved once (no copy while a run trains), memory counted as filled, a
replayed state remembered so showing an epoch and continuing from it replay once, exactly."""

from __future__ import annotations

import numpy as np

from playground.core.training import TrainConfig, noisy_line, train
from playground.core.training.checkpoints import RECENT, CheckpointSink, CheckpointStore
from playground.core.training.history import FIELDS, RunHistory, record_row
from playground.core.training.rewind import last_step, state_after
from playground.core.training.run import Run

DATA = noisy_line(8, noise=0.2, seed=4)


def test_a_reserved_history_never_moves_its_buffer_while_it_fills() -> None:
    history = RunHistory()
    history.reserve(50_000)
    first = history.column("loss")
    base = first.base
    rows = [(float(e), 1.0 / (e + 1), 2.0, 1.0, 0.001, 0.5, float("nan")) for e in range(1000)]
    for start in range(0, 50_000, 1000):
        history.extend([(start + r[0], *r[1:]) for r in rows])
        assert history.column("loss").base is base  # the plots' views stay valid, no copy
    assert len(history) == 50_000 and history.capacity == 50_000
    assert history.column("epoch")[-1] == 49_999.0
    assert np.isnan(history.column("b_grad")).all()
    assert history.nbytes == 50_000 * len(FIELDS) * 8  # the rows filled, not the capacity
    history.extend(rows[:1])  # beyond the reservation it still grows
    assert len(history) == 50_001 and history.capacity >= 50_001


def test_extend_takes_rows_or_an_array_of_rows_alike() -> None:
    rows = [(0, 1.5, 2.0, 1.0, 0.01, -0.5, 0.25), (1, 1.25, 2.5, 1.5, 0.01, -0.25, 0.5)]
    a, b = RunHistory(), RunHistory()
    a.extend(rows)
    b.extend(np.array(rows, dtype=np.float64))
    assert a.rows() == b.rows() == [tuple(float(v) for v in r) for r in rows]


def test_a_run_going_reserves_every_epoch_and_a_finished_one_does_not() -> None:
    config = TrainConfig(dataset=DATA, epochs=300_000)
    assert Run(config).history.capacity >= 300_000
    loaded = Run.from_dict(Run(config).to_dict() | {"records": [[0, 1.0, 1.0, 1.0, 0.01,
                                                                   0.1, 0.1]]})
    assert loaded.history.capacity < 300_000


def test_showing_an_epoch_then_continuing_from_it_replays_once_and_exactly() -> None:
    config = TrainConfig(dataset=DATA, optimizer="Adam", lr=0.02, epochs=400)
    sink = CheckpointSink(1)
    gen = train(config, checkpoints=sink)
    rows = []
    while True:
        try:
            rows.append(record_row(next(gen)))
        except StopIteration:
            break
    every = {c.epoch: c for c in sink.drain()}
    run = Run(config)
    run.history.extend(rows)
    store = run.checkpoints
    store.interval = 128
    for ckpt in every.values():
        store.add(ckpt)
    lrs = run.history.column("lr")
    segments = run.segments
    step = last_step(segments, store, lrs, 300)  # what the update formula replays
    assert store.nearest(300) is step.after  # remembered: the state after epoch 300
    after = state_after(segments, store, lrs, 300)  # what Start continues from: no replay
    assert after is step.after
    want = every[300]  # the loop's own state after epoch 300
    assert (after.w, after.b, after.w_grad, after.b_grad) == (want.w, want.b, want.w_grad,
                                                              want.b_grad)
    assert np.array_equal(after.values, want.values)
    # A later epoch replays from the remembered state, and lands on the loop's state exactly.
    later = state_after(segments, store, lrs, 310)
    assert (later.w, later.b) == (every[310].w, every[310].b)
    assert np.array_equal(later.values, every[310].values)
    for k in range(RECENT + 2):  # only the last few are kept
        state_after(segments, store, lrs, 200 + k)
    kept = {c.epoch for c in store._recent}
    assert len(kept) == RECENT and 300 not in kept and 200 + RECENT + 1 in kept


def test_a_store_copied_for_a_branch_leaves_the_remembered_states_behind() -> None:
    config = TrainConfig(dataset=DATA, epochs=100)
    run = Run(config)
    run.history.extend([record_row(r) for r in train(config)])
    run.state_after(77)
    assert run.checkpoints.nearest(80).epoch == 77
    copy = run.checkpoints.upto(90)
    assert isinstance(copy, CheckpointStore) and copy.nearest(80).epoch == 63  # the interval's


def test_json_rows_are_the_rows_with_none_for_nan() -> None:
    history = RunHistory()
    rows = [(0, 1.5, 2.0, 1.0, 0.01, float("nan"), float("nan")),
            (1, 1.25, 2.5, 1.5, 0.01, -0.25, 0.5), (2, 0.1, 0.2, 0.3, 0.01, 0.1, float("nan"))]
    history.extend(rows)
    assert history.json_rows() == [[None if v != v else v for v in row]
                                   for row in history.rows()]
    assert history.json_rows()[0][5:] == [None, None] and history.json_rows()[1][5] == -0.25
