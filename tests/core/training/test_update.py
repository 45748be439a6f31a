"""The update formula's numbers against a plain torch loop's: the parameter before and after, the
gradient, and every optimiser state value as torch's optimiser holds it in `state`."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from playground.core.training import TrainConfig, noisy_line, train
from playground.core.training.checkpoints import CheckpointSink, CheckpointStore, start_checkpoint
from playground.core.training.rewind import last_step
from playground.core.training.update import describe, update_text

DATA = noisy_line(10, noise=0.4, seed=1)
OPTIMIZERS = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "RMSprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "Adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
}
STATE_KEYS = {"SGD": (), "Momentum": ("momentum_buffer",), "Adam": ("step", "exp_avg", "exp_avg_sq"),
              "RMSprop": ("step", "square_avg"), "Adagrad": ("step", "sum")}


def torch_step(optimizer: str, lr: float, k: int):
    """Plain torch up to epoch k's step: {param: (before, grad, after, state before, after)}."""
    x, y = torch.tensor(DATA.x), torch.tensor(DATA.y)
    w = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([1.0], requires_grad=True)
    opt = OPTIMIZERS[optimizer]([w, b], lr)
    for _ in range(k + 1):
        F.mse_loss(w * x + b, y).backward()
        before = {n: (p.item(), p.grad.item(), _state(opt, p)) for n, p in (("w", w), ("b", b))}
        opt.step()
        opt.zero_grad()
    return {n: (before[n][0], before[n][1], p.item(), before[n][2], _state(opt, p))
            for n, p in (("w", w), ("b", b))}


def _state(opt, p) -> dict[str, float]:
    return {k: float(v.reshape(-1)[0]) for k, v in opt.state.get(p, {}).items()
            if isinstance(v, torch.Tensor)}


def recorded_step(optimizer: str, lr: float, epochs: int, k: int):
    config = TrainConfig(dataset=DATA, optimizer=optimizer, lr=lr, epochs=epochs)
    sink = CheckpointSink()
    for _ in train(config, checkpoints=sink):
        pass
    store = CheckpointStore(start_checkpoint(1.0, 1.0, optimizer))
    for ckpt in sink.drain():
        store.add(ckpt)
    return last_step([(0, config)], store, [lr] * epochs, k)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("k", [0, 1, 15, 23])
def test_every_value_equals_torchs(optimizer, k) -> None:
    step = recorded_step(optimizer, 0.01, 30, k)
    expected = torch_step(optimizer, 0.01, k)
    for index, name in enumerate(("w", "b")):
        got = describe(optimizer, step.lr, step.before, step.after, index)
        before, grad, after, state_before, state_after = expected[name]
        assert (got.before, got.grad, got.after) == (before, grad, after)
        assert {k: got.state[k] for k in STATE_KEYS[optimizer]} == {
            k: state_after[k] for k in STATE_KEYS[optimizer]}
        assert got.previous == state_before
        if optimizer == "Adam":
            t = state_after["step"]
            assert got.derived == {"m_hat": state_after["exp_avg"] / (1 - 0.9**t),
                                   "v_hat": state_after["exp_avg_sq"] / (1 - 0.999**t)}
        text = "\n".join(got.lines)
        assert f"= {after:.5g}" in text and f"{before:.5g}" in text
        for key in STATE_KEYS[optimizer]:
            if key != "step":
                assert f"{state_after[key]:.5g}" in text


def test_sgd_reads_like_the_hand_calculation() -> None:
    step = recorded_step("SGD", 0.001, 10, 4)
    w0, g, w1, _, _ = torch_step("SGD", 0.001, 4)["w"]
    g_text = f"({g:.5g})" if g < 0 else f"{g:.5g}"
    line = f"w <- w - lr * dL/dw = {w0:.5g} - 0.001 * {g_text} = {w1:.5g}"
    assert line in update_text("SGD", step.lr, step.before, step.after, 4).splitlines()


def test_momentum_first_step_starts_the_buffer_and_later_ones_use_it() -> None:
    first = recorded_step("Momentum", 0.01, 5, 0)
    assert "first step" in describe("Momentum", 0.01, first.before, first.after, 0).lines[0]
    later = recorded_step("Momentum", 0.01, 5, 3)
    line = describe("Momentum", 0.01, later.before, later.after, 0).lines[0]
    assert line.startswith("buf <- 0.9 * buf + dL/dw = 0.9 * ")


def test_the_text_names_the_epoch_and_both_parameters() -> None:
    step = recorded_step("Adam", 0.05, 8, 6)
    text = update_text("Adam", step.lr, step.before, step.after, 6)
    assert text.splitlines()[0] == "Epoch 6's last update (Adam, lr 0.05):"
    assert any(line.startswith("w <- w - lr * m_hat") for line in text.splitlines())
    assert any(line.startswith("b <- b - lr * m_hat") for line in text.splitlines())
