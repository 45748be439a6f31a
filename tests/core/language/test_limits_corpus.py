"""The hostile-statement corpus (issue "Limits that hold"): every input here must be refused with
a message, run nothing that writes files, and leave the workspace exactly as it was.

The lists are plain data so test_limits_memory.py can replay them in a child process and
measure the memory peak.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from playground.core.tensorlab.workspace import Workspace

# Names every small-setup input may use: a leaf with a grad, a graph, a 0-d size tensor.
SMALL_SETUP = [
    "x = torch.randn(2, 4, requires_grad=True)",
    "y = x * 2",
    "z = y.mean()",
    "z.backward(retain_graph=True)",
    "n = torch.tensor(50000000)",
    "k = torch.tensor(4000)",
]
# Big tensors for the memory and time limits (about 80 MB in all).
BIG_SETUP = [
    "g = torch.randn(9000000, requires_grad=True)",
    "b = torch.ones(9000000)",
    "c = torch.ones(1000, 1000)",
]

ONES_65 = ", ".join(["1"] * 65)
EXP12 = "s = g" + ".exp()" * 12 + ".sum()"

# Item 1: sizes given as tensors, lists, shapes, products; temporaries never named.
SIZES = [
    "a = torch.arange(torch.tensor(30000000))",
    "a = torch.ones(torch.tensor(250000000)).sum()",
    "a = torch.arange(0, torch.tensor(400000000)).sum()",
    "torch.linspace(0, 1, torch.tensor(20000000))",
    "torch.randn(torch.tensor(1000), torch.tensor(100000))",
    "a = torch.zeros(torch.tensor(5000), 5000)",
    "a = torch.ones(torch.tensor([30000000]))",
    "a = torch.full((torch.tensor(20000000),), 1.0)",
    "a = torch.rand(k.item(), k.item())",
    "a = torch.ones(n)",
    "a = torch.arange(n)",
    "a = torch.linspace(0, 1, n)",
    "a = torch.randn(n, 2)",
    "a = torch.zeros(k, k)",
    "a = torch.full((k, k), 2.0)",
    "a = torch.ones(n).sum()",
    "a = torch.ones(x.numel() * 10000000)",
    "a = torch.zeros(x.shape[0] * 100000, 1000)",
    "a = torch.ones(100000, 100000)",
    "torch.ones(10 ** 8).sum()",
    "a = torch.arange(0, 1e9, 0.5)",
    "a = torch.arange(1e308)",
    "a = torch.arange(0, 1, 1e-9)",
    "a = torch.linspace(0, 1, 10 ** 9)",
    "a = torch.ones_like(torch.ones(n))",
    "a = torch.randn_like(torch.zeros(k, k))",
    "a = torch.ones(5000, 1) * torch.ones(1, 5000)",
    "a = torch.ones(4000, 1) @ torch.ones(1, 4000)",
    "a = torch.ones(2000, 2000) @ torch.ones(2000, 2000)",
    "a = torch.ones(4000, 1) + torch.zeros(4000)",
    "a = x.reshape(8, 1) + torch.ones(1, 2000000)",
    "a = (torch.ones(4000, 1) - torch.ones(4000)).sum()",
    "a = torch.ones(4000, 1).matmul(torch.ones(1, 4000))",
    "a = torch.matmul(torch.ones(4000, 1), torch.ones(1, 4000))",
    "a = torch.add(torch.ones(5000, 1), torch.ones(5000))",
    "a = torch.ones(5000, 1).mul(torch.ones(5000))",
    "a = torch.ones(5000, 1).pow(torch.ones(5000))",
    "a = torch.clamp(torch.ones(5000, 1), min=torch.zeros(5000))",
    "a = torch.ones(5000, 1) ** torch.ones(5000)",
    "a = torch.ones(5000, 1) // torch.ones(5000)",
    "a = torch.ones(5000, 1) % torch.ones(5000)",
    "a = torch.ones(5000, 1) / torch.ones(5000)",
]
# Item 2: memory autograd graphs keep (needs BIG_SETUP).
GRAPHS = [
    EXP12,
    "s = (g * g * g * g * g * g * g).sum()",
    "s = g.sigmoid().sigmoid().sigmoid().sigmoid().sigmoid().sigmoid().sum()",
    "s = g.exp().exp().exp().exp().exp().exp() + g.exp().exp().exp()",
    "s = g.exp() + (g.exp() + (g.exp() + (g.exp() + (g.exp() + g.exp()))))",
]
# Item 3: work per line and statements per line.
WORK = [
    "; ".join(["a = b * 2"] * 99),
    "; ".join(["d = c @ c"] * 99),
    "; ".join(["a = x + 1"] * 101),
    "with torch.no_grad(): " + "; ".join(["a = x + 1"] * 101),
    "; ".join(["a = b.exp()"] * 60),
    "; ".join(["a=b*2"] * 1500),  # the inputs, as typed there
    "; ".join(["d=c@c"] * 1400),
]
# Item 4: more than 64 dimensions.
DIMS = [
    f"a = torch.zeros({ONES_65})",
    f"a = torch.ones(({ONES_65}))",
    f"a = torch.full(({ONES_65}), 1.0)",
    "a = x.reshape(" + "1, " * 63 + "2, 4)",
    "a = torch.randn(" + ", ".join(["1"] * 100) + ")",
    "a = x.sum().reshape(" + ", ".join(["1"] * 70) + ")",
    "a = torch.reshape(x, [" + ", ".join(["1"] * 65) + ", 8])",
    "a = x.view(" + ", ".join(["1"] * 65) + ", 2, 4)",
]
# Reaching outside the subset: files, imports, dunders, other modules, other syntax.
ESCAPES = [
    "__import__('os').system('touch canary')",
    "open('canary.txt', 'w').write('x')",
    "torch.save(x, 'canary.pt')",
    "torch.load('canary.pt')",
    "x.__class__",
    "x.__dict__",
    "().__class__.__bases__[0].__subclasses__()",
    "eval('1')",
    "exec('a = 1')",
    "getattr(x, 'grad')",
    "globals()",
    "a = lambda: 0",
    "a = [i for i in range(3)]",
    "import os",
    "from os import system",
    "del x",
    "a = x if x else x",
    "def f(): pass",
    "class A: pass",
    "with open('canary.txt', 'w') as f: pass",
    "try:\n    x\nexcept Exception:\n    pass",
    "raise ValueError('no')",
    "assert False",
    "async def f(): pass",
    "for i in range(3): a = x",
    "while True: a = x",
    "if x: a = x",
    "x.grad_fn.next_functions",
    "x.grad_fn.register_hook(print)",
    "x.register_hook(print)",
    "torch.hub.load('a', 'b')",
    "torch.from_numpy(x)",
    "torch.ops.aten.add(x, x)",
    "torch._C",
    "x._version",
    "x.numpy()",
    "x.tolist()",
    "x.storage()",
    "x.data_ptr()",
    "x.to('cuda')",
    "x.cuda()",
    "x.share_memory_()",
    "torch.set_num_threads(64)",
    "torch.set_default_dtype(torch.float64)",
    "torch.autograd.set_detect_anomaly(True)",
    "torch.optim.SGD([x], lr=0.1)",
    "nn.MSELoss()",
    "torch.nn.Linear(2, 3)",
    "torch.nn.functional.mse_loss(x, x)",
    "F.mse_loss(x, x)",
    "print(open)",
    "print(*[x])",
    "print(x, sep='')",
    "f'{x}'",
    "b'abc'",
    "'abc'",
    "a = 'text'",
    "a = 5",
    "a = [1, 2]",
    "x.shape = (2,)",
    "x[0] = 1",
    "a, b = x, x",
    "a = b = x",
    "(a := x)",
    "x < y",
    "x and y",
    "{1: x}",
    "{x}",
    "x = x.float; print(x)",
    "é = torch.ones(2)",
    "_a = torch.ones(2)",
    "torch = torch.ones(2)",
    "print = torch.ones(2)",
    "None = x",
    "a = torch.ones(2, device='cuda')",
    "a = torch.ones(2, dtype=torch.complex64)",
    "a = torch.randn(2, generator=None)",
    "a = torch.ones(2, out=x)",
    "a = torch.ones(**{})",
    "a = torch.ones(*[2])",
    "torch.no_grad()",
    "with torch.enable_grad(): a = x",
    "with torch.no_grad() as g: a = x",
    "with torch.no_grad(), torch.no_grad(): a = x",
    "torch.manual_seed('a')",
    "torch.manual_seed(1, 2)",
    "torch.manual_seed",
]
# Malformed text and numbers that could freeze the window.
MALFORMED = [
    "",
    "   ",
    "# only a comment",
    "a = torch.ones(",
    "a = x +",
    "\x00",
    "a = torch.ones(2)\x00",
    "a = " + "-" * 60 + "x",
    "a = torch.tensor(" + "[" * 60 + "1" + "]" * 60 + ")",
    "a = x + " + "1 + " * 3000 + "1",
    "a = 10 ** 10 ** 10",
    "a = x * 10 ** 100000",
    "a = x * (2 ** 9999) * (2 ** 9999)",
    "a = torch.tensor([1, [2]])",
    "a = torch.tensor('abc')",
    "a = torch.tensor(float('inf'))",
    "a = torch.arange(float('nan'))",
    "a = torch.arange(0, 10, 0)",
    "a = torch.ones(-1)",
    "a = x.sum(dim=100)",
    "a = x.reshape(-1, -1)",
    "a = x.reshape(3, 3)",
    "a = x @ x",
    "a = x @ 2",
    "x @= 2",
    "x += torch.ones(5)",
    "x.zero_()",
    "x.backward()",
    "y.backward()",
    "a = q",
    "q += 1",
    "x.grad = 5",
    "x.grad = torch.ones(3)",
    "x.requires_grad = 'yes'",
    "y.requires_grad = False",
    "k.requires_grad_()",
    "x.grad.zero_(); x.grad.foo()",
    "a = x.grad_fn",
    "a = x.shape",
]
# Lines that change the state and then fail: the snapshot (or a replay) must undo all of it.
PARTIAL = [
    "y2 = x * 2; y2 @ torch.ones(3)",
    "x.requires_grad = False; x @ torch.ones(3)",
    "x.requires_grad_(False); x @ torch.ones(3)",
    "x.grad = None; x @ torch.ones(3)",
    "torch.manual_seed(5); x @ torch.ones(3)",
    "q = torch.randn(3); x @ torch.ones(3)",
    "x.data.zero_(); x @ torch.ones(3)",
    "x.grad.zero_(); x @ torch.ones(3)",
    "with torch.no_grad(): x -= 1\nx @ torch.ones(3)",
    "y.retain_grad(); x @ torch.ones(3)",
    "z.backward(); x @ torch.ones(3)",
    "z.backward(); z.backward()",
    "w = x * 3; s2 = w.sum(); s2.backward(); s2.backward()",
    "x.grad += 1; x @ torch.ones(3)",
    "y = y * 2; y @ torch.ones(3)",
]

STATEMENTS = SIZES + GRAPHS + WORK + DIMS + ESCAPES + MALFORMED + PARTIAL


def setup_for(source: str) -> list[str]:
    """The set-up an input needs: the big tensors only where it uses them."""
    needs_big = source in GRAPHS or source in WORK[:2] or source in WORK[4:]
    return SMALL_SETUP + (BIG_SETUP if needs_big else [])


def make_workspace(source: str) -> Workspace:
    """A workspace with the set-up `source` needs."""
    ws = Workspace()
    for line in setup_for(source):
        assert ws.run(line).ok, line
    return ws


def state_of(ws: Workspace) -> dict:
    """Everything a statement could change, as plain copies."""
    out: dict = {"log": ws.log, "names": ws.names, "current": ws.current,
                 "rng": ws._state.env.generator.get_state().clone()}
    for name in ws.names:
        t = ws.tensor(name)
        grad = t.grad if t.is_leaf else None
        out[name] = (t.detach().clone(), t.dtype, t.requires_grad, t.is_leaf, t.retains_grad,
                     None if t.grad_fn is None else type(t.grad_fn).__name__,
                     None if grad is None else grad.clone(), len(ws.grad_history(name)))
    return out


def assert_same_state(before: dict, after: dict) -> None:
    """Every value, flag, grad, history length, the log and the RNG are unchanged."""
    assert after.keys() == before.keys()
    for key, old in before.items():
        new = after[key]
        if isinstance(old, torch.Tensor):
            assert torch.equal(old, new), key
        elif isinstance(old, tuple):
            for a, b in zip(old, new, strict=True):
                if isinstance(a, torch.Tensor):
                    assert torch.equal(a, b), key
                else:
                    assert a == b, key
        else:
            assert old == new, key


def test_the_corpus_is_big_and_has_every_item() -> None:
    assert len(STATEMENTS) >= 150
    assert len(set(STATEMENTS)) == len(STATEMENTS)


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory: anything written there is a leak."""
    folder = tmp_path / "canary"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("source", STATEMENTS)
def test_hostile_statement_is_refused_and_changes_nothing(source: str, canary: Path) -> None:
    ws = make_workspace(source)
    before = state_of(ws)
    changes: list[int] = []
    ws.log_changed.connect(lambda *_: changes.append(1))
    result = ws.run(source)
    assert not result.ok
    assert result.messages and result.messages[0].level == "error"
    assert result.messages[0].text.strip()
    assert_same_state(before, state_of(ws))
    assert changes == []  # views were not told of a change that did not happen
    assert os.listdir(canary) == []
    # The workspace still works after the refusal.
    assert ws.run("after = x * 3").ok
    assert torch.equal(ws.tensor("after"), before["x"][0] * 3)
