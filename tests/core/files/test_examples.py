"""The bundled example sessions: listed by title, and replaying to the notebook's numbers."""

import torch

from playground.core import Workspace
from playground.core.files.examples import SESSIONS_DIR, bundled_examples
from playground.core.files.session_file import read_session, write_session


def replay(name: str) -> Workspace:
    ws = Workspace()
    result = ws.load(read_session(SESSIONS_DIR / name))
    assert result.ok, result.messages
    return ws


def test_accumulation_session_climbs_then_drops():
    ws = replay("notebook_accumulation.json")
    means = [float(r.grad.mean()) if r.grad is not None else None for r in ws.grad_history("x")]
    # The notebook's printed x.grad: three accumulating backwards, then a fourth (0.5) before
    # the loop that zeroes after every backward (0.125 each time).
    assert means == [0.125, 0.25, 0.375, 0.5, 0.0, 0.125, 0.0, 0.125, 0.0]


def test_vector_backward_session_matches_torch():
    ws = replay("notebook_vector_backward.json")
    torch.manual_seed(0)
    x = torch.randn(2, 4, requires_grad=True)
    v = torch.randn(2, 4)
    ((x + 2) * (x + 2)).backward(v)
    assert torch.equal(torch.from_numpy(ws.facts("x").grad), x.grad)
    assert torch.allclose(x.grad, 2 * (x.detach() + 2) * v)


def test_backward_and_detach_sessions():
    ws = replay("notebook_backward.json")
    assert ws.facts("x").grad.tolist() == [[0.125] * 4] * 2
    ws = replay("notebook_detach_no_grad.json")
    for name in ("y", "z"):
        facts = ws.facts(name)
        assert facts.grad_fn is None and not facts.requires_grad


def test_bundled_examples_are_titled_and_skip_bad_files(tmp_path):
    examples = bundled_examples()
    assert [e.path.name for e in examples] == [
        "notebook_backward.json", "notebook_vector_backward.json",
        "notebook_detach_no_grad.json", "notebook_accumulation.json"]
    assert all(e.title[0].isdigit() and e.summary for e in examples)

    write_session(tmp_path / "plain.json", ["x = torch.ones(2)"])
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"format": "something else"}', encoding="utf-8")
    found = bundled_examples(tmp_path)
    assert [(e.title, e.summary, e.path.name) for e in found] == [("plain", "", "plain.json")]
