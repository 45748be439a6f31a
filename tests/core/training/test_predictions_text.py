"""`print(y_predicted)` as the notebook prints it: a run's end asks for it twice (readouts and
log), so the last text is kept, for exactly the config object and the bits of w and b."""

from __future__ import annotations

import torch

from playground.core.training import TrainConfig, noisy_line
from playground.core.training.notebook_log import predictions_text


def torch_text(config: TrainConfig, w: float, b: float) -> str:
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    wt = torch.tensor([w], requires_grad=True)
    bt = torch.tensor([b], requires_grad=True)
    with torch.enable_grad():
        return str(wt * x + bt)


def test_the_text_is_torchs_and_asked_again_the_same() -> None:
    config = TrainConfig(dataset=noisy_line(1_000, seed=3))
    first = predictions_text(config, 1.5, -0.25)
    assert first == torch_text(config, 1.5, -0.25)
    assert predictions_text(config, 1.5, -0.25) is first  # kept, not made again
    assert predictions_text(config, 1.5, -0.5) == torch_text(config, 1.5, -0.5)


def test_another_config_or_other_bits_make_a_new_text() -> None:
    a = TrainConfig(dataset=noisy_line(5, seed=1))
    b = TrainConfig(dataset=noisy_line(5, seed=2))
    assert predictions_text(a, 2.0, 0.0) == torch_text(a, 2.0, 0.0)
    assert predictions_text(b, 2.0, 0.0) == torch_text(b, 2.0, 0.0)
    # -0.0 == 0.0, yet torch prints -0. for a zero slope times positive x: its own text
    zero = TrainConfig(dataset=noisy_line(3, seed=1))
    assert predictions_text(zero, 0.0, 0.0) == torch_text(zero, 0.0, 0.0)
    assert predictions_text(zero, -0.0, -0.0) == torch_text(zero, -0.0, -0.0)


def test_the_newest_log_lines_are_the_tail_of_the_whole_log() -> None:
    from playground.core.training.session import TrainingSession

    session = TrainingSession(TrainConfig(epochs=1_000), speed=None)
    session.start()
    assert session.wait(30)
    whole = session.log_lines()
    assert len(whole) == 2 * 100 + 1  # "Epoch N" and its loss every tenth epoch, predictions
    for first, most in ((0, 50), (0, 10_000), (333, 20), (995, 40)):
        part = session.log_lines(first, most)
        assert part[-1] == whole[-1]  # the predictions close it
        assert len(part) <= most + 1
        assert whole[-len(part):] == part
    assert session.log_lines(333) == whole[-len(session.log_lines(333)):]
    assert session.log_lines(333)[0] == "Epoch 340"
