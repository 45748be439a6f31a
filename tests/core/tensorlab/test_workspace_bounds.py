"""What the workspace keeps stays bounded: grad history in bytes and records, printed output in
characters; printing is summarised past PRINT_ELEMENTS; replays go through the replayer and a
cancelled one changes nothing. Values are compared with plain torch computed here."""

from __future__ import annotations

import threading

import pytest
import torch

from playground.core.tensorlab import history as history_module
from playground.core.tensorlab import workspace as workspace_module
from playground.core.tensorlab.workspace import CANCELLED, Replay, Workspace


def backward_lines(ws: Workspace, count: int, line: str = "s.backward(retain_graph=True)"
                   ) -> None:
    for _ in range(count):
        assert ws.run(line).ok


def test_history_drops_the_oldest_copies_past_the_per_tensor_bound(monkeypatch) -> None:
    monkeypatch.setattr(history_module, "HISTORY_BYTES_PER_TENSOR", 4000)
    ws = Workspace()
    assert ws.run("x = torch.ones(100, requires_grad=True)").ok  # 400 bytes a copy
    assert ws.run("s = (x * 3).sum()").ok
    backward_lines(ws, 30)
    records = ws.grad_history("x")
    assert len(records) == 30
    assert sum(r.nbytes for r in records) <= 4000
    assert records[0].grad is None and records[-1].grad is not None  # oldest went first
    expected = torch.full((100,), 3.0)
    for k, record in enumerate(records, start=1):  # every point keeps shape and mean
        assert record.shape == (100,)
        assert record.mean == pytest.approx(float((expected * k).mean()))
    x = torch.ones(100, requires_grad=True)
    s = (x * 3).sum()
    for _ in range(30):
        s.backward(retain_graph=True)
    assert torch.equal(torch.from_numpy(records[-1].grad), x.grad)


def test_history_thins_older_records_past_the_record_bound(monkeypatch) -> None:
    monkeypatch.setattr(history_module, "HISTORY_RECORDS_PER_TENSOR", 10)
    ws = Workspace()
    assert ws.run("x = torch.ones(2, requires_grad=True)").ok
    assert ws.run("s = (x * x).sum()").ok
    backward_lines(ws, 40)
    records = ws.grad_history("x")
    steps = [r.step for r in records]
    assert len(records) <= 10
    assert steps == sorted(set(steps))
    assert steps[-1] == len(ws.log) - 1  # the newest point is always kept
    assert records[-1].grad.tolist() == [80.0, 80.0]  # d(x*x)/dx = 2, forty times


def test_history_total_bound_spans_every_tensor(monkeypatch) -> None:
    monkeypatch.setattr(history_module, "HISTORY_BYTES", 20_000)
    ws = Workspace()
    names = [f"l{i}" for i in range(5)]
    for name in names:
        assert ws.run(f"{name} = torch.ones(500, dtype=torch.float64, requires_grad=True)").ok
    assert ws.run("s = (" + " + ".join(names) + ").sum()").ok
    backward_lines(ws, 10)
    kept = sum(r.nbytes for n in names for r in ws.grad_history(n))
    assert kept <= 20_000
    assert all(len(ws.grad_history(n)) == 10 for n in names)
    assert all(torch.equal(ws.tensor(n).grad, torch.full((500,), 10.0, dtype=torch.float64))
               for n in names)


def test_history_bounds_survive_undo_and_replay(monkeypatch) -> None:
    monkeypatch.setattr(history_module, "HISTORY_BYTES_PER_TENSOR", 2000)
    ws = Workspace()
    assert ws.run("x = torch.ones(100, requires_grad=True)").ok
    assert ws.run("s = (x * 2).sum()").ok
    backward_lines(ws, 12)
    assert ws.undo()
    fresh = Workspace()
    assert fresh.load(ws.log).ok
    assert ([(r.step, r.mean, r.nbytes) for r in ws.grad_history("x")]
            == [(r.step, r.mean, r.nbytes) for r in fresh.grad_history("x")])


def test_printed_output_keeps_only_the_newest(monkeypatch) -> None:
    monkeypatch.setattr(workspace_module, "MAX_PRINTED_CHARS", 200)
    ws = Workspace()
    assert ws.run("e = torch.arange(6.0)").ok
    for _ in range(20):
        assert ws.run("print(e)").ok
    printout = ws.printout()
    assert printout.startswith("... (earlier printed output not kept)\n")
    assert printout.count(str(torch.arange(6.0))) < 20


def test_print_of_a_big_tensor_is_summarised_as_torch_would_with_fewer_edge_items() -> None:
    ws = Workspace()
    assert ws.run("d = torch.arange(7776.0).reshape(6, 6, 6, 6, 6)").ok
    result = ws.run("print(d)")
    d = torch.arange(7776.0).reshape(6, 6, 6, 6, 6)
    with torch._tensor_str.printoptions(edgeitems=1):
        expected = str(d)
    assert result.output.startswith(expected + "\n(shown with 1 edge item per dimension")
    small = ws.run("e = torch.arange(12.0).reshape(3, 4); print(e); e").output
    e = torch.arange(12.0).reshape(3, 4)
    assert small == str(e) + "\n" + repr(e)


def test_print_of_many_short_dimensions_is_one_line() -> None:
    ws = Workspace()
    assert ws.run("c = torch.ones(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)").ok
    result = ws.run("c")
    assert result.ok
    assert result.output.startswith("<tensor of shape (2, 2, 2")
    assert "32,768 elements in 15 dimensions" in result.output


def test_every_replay_goes_through_the_replayer() -> None:
    ws = Workspace()
    seen: list[int] = []

    def replayer(replay: Replay) -> None:
        seen.append(replay.total)
        replay.run()

    ws.replayer = replayer
    assert ws.run("a = torch.ones(3)").ok
    assert ws.run("b = a * 2").ok
    assert ws.undo()
    assert ws.load([*ws.log, "c = a + 1"]).ok
    assert seen == [2, 3]
    assert torch.equal(ws.tensor("c"), torch.ones(3) + 1)


def test_a_cancelled_undo_changes_nothing() -> None:
    ws = Workspace()
    assert ws.run("a = torch.ones(3)").ok
    assert ws.run("b = a * 2").ok
    log, b = ws.log, ws.tensor("b")

    def cancelling(replay: Replay) -> None:
        replay.cancel()
        replay.run()

    ws.replayer = cancelling
    assert not ws.undo()
    assert ws.log == log and ws.tensor("b") is b and not ws.can_redo


def test_a_load_cancelled_from_another_thread_midway_changes_nothing() -> None:
    ws = Workspace()
    assert ws.run("keep = torch.ones(2)").ok
    log = ws.log
    heavy = "; ".join(["c = b * 2"] * 20)
    entries = ["b = torch.ones(1000000)", *([heavy] * 30)]
    started = threading.Event()

    def threaded(replay: Replay) -> None:
        worker = threading.Thread(target=replay.run)
        worker.start()
        while replay.done < 3 and worker.is_alive():
            started.wait(0.001)
        replay.cancel()
        worker.join()

    ws.replayer = threaded
    result = ws.load(entries)
    assert not result.ok
    assert result.messages[0].text == CANCELLED
    assert ws.log == log and ws.names == ["keep"]
