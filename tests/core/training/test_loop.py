"""train() against plain torch loops written here: every optimiser, loss, pitfall and batch mode."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as F

from playground.core.training import (
    LOSSES,
    OPTIMIZERS,
    OUT_OF_PLACE_EXPLANATION,
    Dataset,
    EpochRecord,
    RunEnd,
    TrainConfig,
    TrainControl,
    noisy_line,
    train,
)

NOTEBOOK_LOSSES = (1.0, 0.1568, 0.1004, 0.0963, 0.0957, 0.0953, 0.0949, 0.0945, 0.0942, 0.0938)


def run(config: TrainConfig, control: TrainControl | None = None):
    """Drain train() into (records, RunEnd)."""
    records: list[EpochRecord] = []
    gen = train(config, control)
    while True:
        try:
            records.append(next(gen))
        except StopIteration as stop:
            return records, stop.value


def make_optimizer(name: str, params, lr: float):
    return {
        "SGD": lambda: torch.optim.SGD(params, lr=lr),
        "Momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9),
        "Adam": lambda: torch.optim.Adam(params, lr=lr),
        "RMSprop": lambda: torch.optim.RMSprop(params, lr=lr),
        "Adagrad": lambda: torch.optim.Adagrad(params, lr=lr),
    }[name]()


LOSS_FNS = {"MSE": F.mse_loss, "L1": F.l1_loss, "Huber": F.huber_loss}


def plain_loop(
    data: Dataset,
    loss: str = "MSE",
    optimizer: str = "SGD",
    lrs: list[float] | None = None,
    epochs: int = 100,
    w0: float = 1.0,
    b0: float = 1.0,
    batch_size: int | None = None,
    seed: int = 0,
    zero_grad: bool = True,
    new_optimizer_each_epoch: bool = False,
):
    """The textbook loop, written out: returns [(loss, w, b, w_grad, b_grad)] per epoch."""
    lrs = lrs or [0.001] * epochs
    x = torch.tensor(data.x)
    y = torch.tensor(data.y)
    w = torch.tensor([w0], requires_grad=True)
    b = torch.tensor([b0], requires_grad=True)
    loss_fn = LOSS_FNS[loss]
    opt = None if optimizer == "Manual" else make_optimizer(optimizer, [w, b], lrs[0])
    gen = torch.Generator().manual_seed(seed)
    out = []
    for epoch in range(epochs):
        lr = lrs[epoch]
        if opt is not None:
            if new_optimizer_each_epoch:
                opt = make_optimizer(optimizer, [w, b], lr)
            for group in opt.param_groups:
                group["lr"] = lr
        batches = (
            [torch.arange(len(x))]
            if batch_size is None
            else torch.randperm(len(x), generator=gen).split(batch_size)
        )
        total = 0.0
        for idx in batches:
            L = loss_fn(w * x[idx] + b, y[idx])
            L.backward()
            grads = (w.grad.item(), b.grad.item())
            if opt is None:
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
                if zero_grad:
                    w.grad.zero_()
                    b.grad.zero_()
            else:
                opt.step()
                if zero_grad:
                    opt.zero_grad()
            total += L.item() * len(idx)
        # Full batch reports the loss itself; mini-batches their size-weighted mean.
        epoch_loss = L.item() if batch_size is None else total / len(x)
        out.append((epoch_loss, w.item(), b.item(), *grads))
    return out


def as_tuples(records: list[EpochRecord]):
    return [(r.loss, r.w, r.b, r.w_grad, r.b_grad) for r in records]


DATA = noisy_line(n=8, slope=2.0, intercept=1.0, noise=0.5, seed=3)


# ---- the notebook ---------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["SGD", "Manual"])
def test_notebook_defaults_reproduce_the_notebook_losses(optimizer: str) -> None:
    records, end = run(TrainConfig(optimizer=optimizer))
    assert end.status == "completed"
    assert [r.epoch for r in records] == list(range(100))
    assert tuple(round(r.loss, 4) for r in records[::10]) == NOTEBOOK_LOSSES
    assert all(r.lr == 0.001 for r in records)
    expected = plain_loop(TrainConfig().dataset, optimizer=optimizer)
    assert as_tuples(records) == expected


def test_default_config_is_the_notebook() -> None:
    config = TrainConfig()
    assert config.dataset.x == (10.0, 5.0) and config.dataset.y == (10.0, 5.0)
    assert (config.w0, config.b0, config.loss, config.optimizer) == (1.0, 1.0, "MSE", "SGD")
    assert (config.lr, config.epochs, config.batch_size) == (0.001, 100, None)


# ---- every optimiser x every loss -----------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_and_loss_matches_a_plain_loop(optimizer: str, loss: str) -> None:
    lr = 0.01
    config = TrainConfig(dataset=DATA, optimizer=optimizer, loss=loss, lr=lr, epochs=40)
    records, end = run(config)
    assert end.status == "completed", end
    expected = plain_loop(DATA, loss, optimizer, [lr] * 40, epochs=40)
    assert as_tuples(records) == expected
    assert records[-1].loss < records[0].loss  # it actually learned something


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "Manual"])
def test_mini_batches_match_a_plain_loop_with_the_same_seeded_shuffle(optimizer: str) -> None:
    config = TrainConfig(dataset=DATA, optimizer=optimizer, lr=0.005, epochs=15, batch_size=3)
    records, end = run(config)
    assert end.status == "completed"
    expected = plain_loop(DATA, "MSE", optimizer, [0.005] * 15, epochs=15, batch_size=3)
    assert as_tuples(records) == expected


def test_mini_batch_shuffle_is_reproducible_by_seed() -> None:
    config = TrainConfig(dataset=DATA, lr=0.005, epochs=10, batch_size=2, seed=7)
    first, _ = run(config)
    again, _ = run(config)
    other, _ = run(TrainConfig(dataset=DATA, lr=0.005, epochs=10, batch_size=2, seed=8))
    assert as_tuples(first) == as_tuples(again)
    assert [r.w for r in first] != [r.w for r in other]


def test_batch_size_at_least_the_dataset_is_full_batch() -> None:
    full, _ = run(TrainConfig(dataset=DATA, lr=0.005, epochs=5))
    big, _ = run(TrainConfig(dataset=DATA, lr=0.005, epochs=5, batch_size=len(DATA.x)))
    assert as_tuples(full) == as_tuples(big)


# ---- pitfalls -------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["Manual", "SGD", "Adam"])
def test_forget_zero_grad_accumulates_gradients_like_torch(optimizer: str) -> None:
    config = TrainConfig(optimizer=optimizer, epochs=20, forget_zero_grad=True)
    records, end = run(config)
    assert end.status == "completed"
    expected = plain_loop(config.dataset, optimizer=optimizer, epochs=20, zero_grad=False)
    assert as_tuples(records) == expected
    normal, _ = run(TrainConfig(optimizer=optimizer, epochs=20))
    assert [r.w for r in records] != [r.w for r in normal]
    # The grad at epoch 1 is epoch 0's plus epoch 1's own gradient.
    own_grad_at_1 = plain_loop(config.dataset, optimizer=optimizer, epochs=2)[1][3]
    assert records[1].w_grad == pytest.approx(records[0].w_grad + own_grad_at_1, rel=1e-5)


def test_out_of_place_update_ends_with_torchs_error_explained() -> None:
    records, end = run(TrainConfig(optimizer="Manual", out_of_place_update=True))
    # What torch does with the same code: epoch 0 works, epoch 1 finds w.grad is None.
    x = torch.tensor([10.0, 5.0])
    y = torch.tensor([10.0, 5.0])
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    lr = 0.001
    losses = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TypeError) as excinfo:
            for _ in range(2):
                L = F.mse_loss(w * x + b, y)
                L.backward()
                losses.append(L.item())
                w = w - lr * w.grad
                b = b - lr * b.grad
    assert any("non-leaf" in str(c.message) for c in caught)
    assert not w.is_leaf
    assert end == RunEnd("error", str(excinfo.value), OUT_OF_PLACE_EXPLANATION)
    assert [r.loss for r in records] == losses[:1]
    assert records[0].w == pytest.approx(1.0 - lr * records[0].w_grad)


def test_out_of_place_flag_is_ignored_by_torch_optimizers() -> None:
    flagged, end = run(TrainConfig(out_of_place_update=True, epochs=10))
    normal, _ = run(TrainConfig(epochs=10))
    assert end.status == "completed"
    assert as_tuples(flagged) == as_tuples(normal)


def test_new_optimizer_each_epoch_is_harmless_for_sgd() -> None:
    fresh, _ = run(TrainConfig(new_optimizer_each_epoch=True))
    normal, _ = run(TrainConfig())
    assert as_tuples(fresh) == as_tuples(normal)


@pytest.mark.parametrize("optimizer", ["Momentum", "Adam"])
def test_new_optimizer_each_epoch_loses_state(optimizer: str) -> None:
    config = TrainConfig(dataset=DATA, optimizer=optimizer, lr=0.01, epochs=30)
    fresh, _ = run(TrainConfig(**{**config.__dict__, "new_optimizer_each_epoch": True}))
    normal, _ = run(config)
    expected = plain_loop(
        DATA, "MSE", optimizer, [0.01] * 30, epochs=30, new_optimizer_each_epoch=True
    )
    assert as_tuples(fresh) == expected
    assert abs(fresh[-1].w - normal[-1].w) > 1e-3


# ---- live learning rate ---------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["Manual", "SGD", "Adam"])
def test_live_lr_change_equals_a_plain_loop_with_that_schedule(optimizer: str) -> None:
    control = TrainControl(lr=0.001)
    config = TrainConfig(dataset=DATA, optimizer=optimizer, lr=0.001, epochs=30)
    records: list[EpochRecord] = []
    gen = train(config, control)
    for record in gen:
        records.append(record)
        if record.epoch == 9:
            control.lr = 0.004
        if record.epoch == 19:
            control.lr = 0.0005
    schedule = [0.001] * 10 + [0.004] * 10 + [0.0005] * 10
    assert [r.lr for r in records] == schedule
    assert as_tuples(records) == plain_loop(DATA, "MSE", optimizer, schedule, epochs=30)


def test_control_lr_rejects_nonsense() -> None:
    control = TrainControl(lr=0.1)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="learning rate"):
            control.lr = bad
    assert control.lr == 0.1


# ---- divergence and errors ------------------------------------------------------------------


def test_lr_one_on_the_notebook_data_diverges() -> None:
    records, end = run(TrainConfig(lr=1.0))
    assert end.status == "diverged"
    assert len(records) < 100
    assert all(math.isfinite(v) for r in records for v in (r.loss, r.w, r.b))
    assert f"epoch {len(records)}" in end.reason and "learning rate 1" in end.reason
    assert end.explanation
    # The loss really was exploding: the first records already grow by orders of magnitude.
    assert records[-1].loss > 1e3 * records[0].loss


def test_a_non_finite_first_loss_diverges_without_records() -> None:
    records, end = run(TrainConfig(w0=1e30, b0=1e30))
    assert records == []
    assert end.status == "diverged" and "epoch 0" in end.reason


def test_a_tiny_first_loss_does_not_make_harmless_growth_a_divergence() -> None:
    # Adam steps ~lr whatever the gradient, so starting a hair from the optimum the loss grows
    # far more than 1e6-fold while staying small: the max(first loss, 1) floor keeps it going.
    records, end = run(TrainConfig(optimizer="Adam", lr=0.01, w0=1.000001, b0=0.0, epochs=50))
    assert end.status == "completed"
    assert max(r.loss for r in records) > 1e6 * records[0].loss


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"loss": "Hinge"}, "unknown loss"),
        ({"optimizer": "LBFGS"}, "unknown optimizer"),
        ({"lr": 0.0}, "learning rate"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch size"),
        ({"w0": math.nan}, "finite"),
        ({"dataset": Dataset("empty", (), ())}, "no points"),
        ({"dataset": Dataset("ragged", (1.0,), (1.0, 2.0))}, "y values"),
    ],
)
def test_invalid_configs_are_refused_clearly(change: dict, message: str) -> None:
    config = TrainConfig(**change)
    with pytest.raises(ValueError, match=message):
        config.validate()
    records, end = run(config)
    assert records == [] and end.status == "error" and message in end.reason


def test_train_switches_grad_mode_on_itself_without_leaking_it() -> None:
    with torch.no_grad():
        gen = train(TrainConfig(epochs=3))
        first = next(gen)
        assert not torch.is_grad_enabled()  # not leaked into the consumer between epochs
        rest = list(gen)
    expected = plain_loop(TrainConfig().dataset, epochs=3)
    assert as_tuples([first, *rest]) == expected
