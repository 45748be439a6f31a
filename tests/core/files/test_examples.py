"""The bundled example sessions: listed by title, and replaying to the notebook's numbers."""

import pytest
import torch

from playground.core import Workspace
from playground.core.files.examples import SESSIONS_DIR, bundled_examples
from playground.core.files.session_file import read_session_document, write_session
from playground.core.tensorlab.hints import hint_for


def replay(name: str) -> Workspace:
    """The example opened as the window opens it: replayed, then on the tensor it names."""
    ws = Workspace()
    document = read_session_document(SESSIONS_DIR / name)
    result = ws.load(document.statements)
    assert result.ok, result.messages
    if document.current is not None:
        ws.current = document.current
    return ws


def test_accumulation_session_climbs_then_drops():
    ws = replay("notebook_accumulation.json")
    means = [float(r.grad.mean()) if r.grad is not None else None for r in ws.grad_history("x")]
    # The notebook's printed x.grad: three accumulating backwards, then a fourth (0.5) before
    # the loop that zeroes around every backward (0.125 each time); it ends on the last 0.125.
    assert means == [0.125, 0.25, 0.375, 0.5, 0.0, 0.125, 0.0, 0.125]


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


@pytest.mark.parametrize(("name", "current", "grad"), [
    ("notebook_backward.json", "x", "0.125"),
    ("notebook_vector_backward.json", "x", "2 * y * w"),
    ("notebook_accumulation.json", "x", "0.125"),
    ("notebook_detach_no_grad.json", "y", None),
])
def test_each_example_ends_on_the_tensor_it_is_about(name: str, current: str,
                                                     grad: str | None) -> None:
    """It opens on the tensor the example is about, its .grad in the inspector, and the hint
    describes that state truly (plain torch computes the grad here)."""
    ws = replay(name)
    assert ws.current == current
    torch.manual_seed(0)
    x = torch.randn(2, 4, requires_grad=True)
    facts = ws.facts(current)
    hint = hint_for(ws)
    if grad == "0.125":
        ((x + 2).mean()).backward()
        assert torch.equal(torch.from_numpy(facts.grad), x.grad)
        assert hint == "x.grad is shown under Inspector; Zero grads resets it before the next pass."
    elif grad is not None:
        y = x + 2
        w = torch.randn(2, 4)
        (y * y).backward(w)
        assert torch.equal(torch.from_numpy(facts.grad), x.grad)
        assert "tick requires_grad" not in hint and "x.grad is shown" in hint
    else:
        assert facts.grad is None and "detach" in hint
    assert ws.tensor(current).grad is not None or grad is None
