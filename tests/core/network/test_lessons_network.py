"""The Network Lab's lessons: each step sets the session up as it says (over the defaults,
whatever the learner had), and every answer read from the run equals a plain torch loop's."""

from __future__ import annotations

import pytest

from playground.core.lessons.format import load_lessons, parse_read
from playground.core.lessons.runner import check_answer, format_value, read_value, run_step
from playground.core.network.config import NetConfig
from playground.core.network.datasets import DataSettings
from playground.core.network.session import NetworkSession
from playground.core.tensorlab.workspace import Workspace
from tests.core.network.test_loop import plain_loop

LESSONS = [lesson for lesson in load_lessons()[0]
           if any(step.network is not None for step in lesson.steps)]


def test_the_two_network_lessons_ship():
    assert [lesson.id for lesson in LESSONS] == ["08-hidden-layer-xor",
                                                 "09-features-or-depth-circle"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_network_answer_is_the_plain_loops(lesson):
    # What a learner might have set before: the step must not depend on it.
    network = NetworkSession(DataSettings(kind="Spiral", noise=30, seed=5),
                             NetConfig(layers=(7, 7), activation="ReLU", regularization="L1"))
    ws = Workspace()
    try:
        for index, step in enumerate(lesson.steps):
            outcome = run_step(lesson, index, ws, None, full_speed=True, network=network)
            assert outcome.ok, (lesson.id, index, outcome.message)
            if step.network is None:
                continue
            assert network.speed is None
            if step.network.start:
                assert network.wait(120)
            if step.question is None:
                continue
            data = DataSettings(**step.network.data)
            config = NetConfig.from_dict(step.network.settings)
            assert network.data_settings == data and network.config == config
            rows = plain_loop(data.split(), data.seed, features=config.features,
                              layers=config.layers, activation=config.activation,
                              regularization=config.regularization, rate=config.reg_rate,
                              optimizer=config.optimizer, lr=config.lr,
                              batch_size=config.batch_size, epochs=config.epochs)
            field = step.question.read.name
            oracle = rows[-1][{"train_loss": 0, "test_loss": 1, "train_accuracy": 2,
                               "test_accuracy": 3}[field]]
            actual = read_value(step.question.read, ws, None, outcome, network)
            assert actual == oracle
            assert check_answer(step.question, format_value(actual), actual)
    finally:
        network.shutdown(2.0)


def test_net_reads_wait_for_the_run_and_refuse_other_fields():
    from playground.core.lessons.runner import NotReady

    with pytest.raises(NotReady):
        read_value(parse_read("net.test_accuracy"), Workspace(), None, None, NetworkSession())
    with pytest.raises(ValueError, match="net.weights is not readable"):
        parse_read("net.weights")


def test_a_bad_network_step_is_refused_when_the_lesson_loads(tmp_path):
    import json

    bad = {"format": 1, "title": "t", "summary": "s", "steps": [
        {"title": "a", "text": "b", "network": {"settings": {"layers": [40]}}}]}
    (tmp_path / "10-bad.json").write_text(json.dumps(bad))
    lessons, errors = load_lessons(tmp_path)
    assert lessons == [] and "steps[0].network" in errors[0] and "1-16" in errors[0]
