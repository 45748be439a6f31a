"""Lessons: every shipped step runs as meant, every predict-first answer equals plain torch, and
bad lesson files are refused with the file and the field named."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from playground.core.lessons.format import (
    LESSONS_DIR,
    Lesson,
    LessonError,
    lesson_from_data,
    load_lesson,
    load_lessons,
    parse_read,
)
from playground.core.lessons.runner import (
    Progress,
    check_answer,
    format_value,
    parse_answer,
    read_value,
    right_choice,
    run_step,
    workspace_ready,
)
from playground.core.tensorlab.workspace import Workspace
from playground.core.training.session import TrainingSession
from tests.oracles import first_randn, seeded

LESSONS, LOAD_ERRORS = load_lessons()
BY_ID = {lesson.id: lesson for lesson in LESSONS}


# ----- plain-torch answers, written out: (lesson id, step) -> what torch gives ----------------


def _grad_fn(t: torch.Tensor) -> str:
    return "None" if t.grad_fn is None else type(t.grad_fn).__name__


def _chain() -> dict[str, torch.Tensor]:
    x = first_randn(3, 2, requires_grad=True)
    y = x + 10
    z = y * y * y
    return {"x": x, "y": y, "z": z, "w": z.mean()}


def _chain_backward() -> float:
    chain = _chain()
    chain["w"].backward()
    return chain["x"].grad[0, 0].item()


def _scalar_step2() -> float:
    x = first_randn(2, 4, requires_grad=True)
    (x + 2).mean().backward()
    x.grad.zero_()
    ((x + 2) * (x + 2)).mean().backward()
    return x.grad[0, 0].item()


def _vector(weighted: bool) -> float:
    x = first_randn(2, 4, requires_grad=True)
    z = (x + 2) * (x + 2)
    z.backward(torch.ones(2, 4))
    if not weighted:
        return x.grad[0, 0].item()
    x.grad.zero_()
    z = (x + 2) * (x + 2)
    z.backward(torch.tensor([[3.0, 0, 0, 0], [0, 0, 0, 0]]))
    return x.grad[0, 1].item()


def _accumulated(backwards: int, zero_after: bool = False, index=(0, 0)) -> float:
    x = first_randn(2, 4, requires_grad=True)
    for _ in range(backwards):
        (x + 2).mean().backward()
    if zero_after:
        x.grad.zero_()
    return x.grad[index].item()


def _regression(update: bool) -> float:
    x = torch.tensor([10.0, 5.0])
    y = torch.tensor([10.0, 5.0])
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    ((w * x + b - y) ** 2).mean().backward()
    if not update:
        return w.grad[0].item()
    with torch.no_grad():
        w -= 0.001 * w.grad
    return w[0].item()


def _train(optimizer: str, lr: float, zero_grad: bool = True) -> tuple[str, float]:
    """The notebook's regression for 100 epochs in plain torch: (how it ended, last loss)."""
    x = torch.tensor([10.0, 5.0])
    y = torch.tensor([10.0, 5.0])
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr) if optimizer == "SGD" else None
    loss = torch.tensor(0.0)
    for _ in range(100):
        loss = torch.nn.functional.mse_loss(w * x + b, y)
        if loss.item() > 1e6:
            return "diverged", loss.item()
        loss.backward()
        if opt is not None:
            opt.step()
            if zero_grad:
                opt.zero_grad()
        else:
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return "completed", loss.item()


def _non_leaf_update() -> str:
    p = torch.ones(1, requires_grad=True)
    (p * 3).sum().backward()
    p = p - 0.1 * p.grad
    return str(p.is_leaf)


def _no_zero_grad() -> float:
    q = torch.ones(1, requires_grad=True)
    (q * 3).sum().backward()
    (q * 3).sum().backward()
    return q.grad[0].item()


def _detach_requires_grad() -> str:
    return str(first_randn(2, 4, requires_grad=True).detach().requires_grad)


def _no_grad_fn() -> str:
    x = first_randn(2, 4, requires_grad=True)
    with torch.no_grad():
        n = x + 1
    return _grad_fn(n)


def _switched_off() -> str:
    x = first_randn(2, 4, requires_grad=True)
    x.requires_grad_(False)
    return str((x * 2).requires_grad)


ANSWERS: dict[tuple[str, int], Callable[[], float | str]] = {
    ("01-grad-fn-chain", 0): lambda: _grad_fn(_chain()["x"]),
    ("01-grad-fn-chain", 1): lambda: _grad_fn(_chain()["y"]),
    ("01-grad-fn-chain", 2): lambda: str(_chain()["z"].is_leaf),
    ("01-grad-fn-chain", 3): lambda: _grad_fn(_chain()["w"]),
    ("01-grad-fn-chain", 4): _chain_backward,
    ("02-backward-scalar", 0): lambda: str(first_randn(2, 4, requires_grad=True).grad),
    ("02-backward-scalar", 1): lambda: _accumulated(1),
    ("02-backward-scalar", 2): _scalar_step2,
    ("03-backward-vector", 0): lambda: "raises",
    ("03-backward-vector", 1): lambda: _vector(weighted=False),
    ("03-backward-vector", 2): lambda: _vector(weighted=True),
    ("04-stop-tracking", 0): _detach_requires_grad,
    ("04-stop-tracking", 1): _no_grad_fn,
    ("04-stop-tracking", 2): _switched_off,
    ("05-accumulation", 0): lambda: _accumulated(1),
    ("05-accumulation", 1): lambda: _accumulated(3),
    ("05-accumulation", 2): lambda: _accumulated(3, zero_after=True, index=(1, 3)),
    ("05-accumulation", 3): lambda: _accumulated(1),
    ("06-linear-regression", 1): lambda: _regression(update=False),
    ("06-linear-regression", 2): lambda: _regression(update=True),
    ("06-linear-regression", 3): lambda: _train("Manual", 0.001)[0],
    ("06-linear-regression", 4): lambda: _train("SGD", 0.001)[1],
    ("06-linear-regression", 5): lambda: _train("SGD", 0.001, zero_grad=False)[0],
    ("06-linear-regression", 6): lambda: _train("SGD", 0.02)[0],
    ("07-pitfalls", 0): lambda: "raises",
    ("07-pitfalls", 3): _non_leaf_update,
    ("07-pitfalls", 4): _no_zero_grad,
}


def _torch_message(action: Callable[[], object]) -> str:
    """torch's own text for what `action` does wrong (an error, or else the first warning)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            action()
        except Exception as exc:  # torch's own exception: its text is what we compare
            return str(exc)
    return str(caught[0].message)


def _backward_twice() -> None:
    a = torch.randn(3, requires_grad=True)
    s = (a * a).sum()
    s.backward()
    s.backward()


def _in_place_leaf() -> None:
    a = torch.randn(3, requires_grad=True)
    a += 1


def _non_leaf_grad() -> None:
    p = torch.ones(1, requires_grad=True)
    (p * 3).sum().backward()
    p = p - 0.1 * p.grad
    (p * 3).sum().backward()
    _ = p.grad


# The message each step meant to fail shows, produced by plain torch in this test.
MESSAGES: dict[tuple[str, int], Callable[[], object]] = {
    ("03-backward-vector", 0): lambda: (first_randn(2, 4, requires_grad=True) ** 2).backward(),
    ("07-pitfalls", 0): _backward_twice,
    ("07-pitfalls", 1): lambda: (torch.randn(3, requires_grad=True) * 2).backward(),
    ("07-pitfalls", 2): _in_place_leaf,
    ("07-pitfalls", 3): _non_leaf_grad,
    ("07-pitfalls", 5): lambda: torch.tensor([1, 2, 3], requires_grad=True),
}


# ----- the shipped lessons ----------------------------------------------------------------------


def test_the_shipped_lessons_load_and_cover_the_notebooks_topics() -> None:
    assert LOAD_ERRORS == []
    assert LESSONS_DIR.is_dir()
    titles = " | ".join(lesson.title for lesson in LESSONS).lower()
    for topic in ("grad_fn", "backward of a scalar", "non-scalar", "stopping the tracking",
                  "accumulation", "linear regression", "pitfalls"):
        assert topic in titles, topic
    pitfalls = BY_ID["07-pitfalls"]
    assert len(pitfalls.steps) == 6


def test_every_question_and_every_expected_message_has_a_plain_torch_oracle() -> None:
    # The Network Lab's questions have their oracle in tests/core/network/test_lessons_network.py
    questions = {(lesson.id, i) for lesson in LESSONS for i, s in enumerate(lesson.steps)
                 if s.question is not None and s.network is None}
    assert questions == set(ANSWERS)
    expected = {(lesson.id, i) for lesson in LESSONS for i, s in enumerate(lesson.steps)
                if s.expect is not None}
    assert expected == set(MESSAGES)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_step_runs_as_meant_and_every_answer_matches_torch(lesson: Lesson) -> None:
    ws = Workspace()
    session = TrainingSession()
    try:
        for index, step in enumerate(lesson.steps):
            assert workspace_ready(lesson, index, ws), (lesson.id, index, ws.log)
            outcome = run_step(lesson, index, ws, session, full_speed=True)
            assert outcome.ok, (lesson.id, index, outcome.message)
            assert not outcome.rebuilt  # run in order, each step finds the one before it
            if step.training is not None and step.training.start:
                assert session.speed is None and session.wait(60)
            if step.expect is not None:
                # torch's own text, exactly as plain torch words it (the workspace keeps it)
                assert outcome.message == _torch_message(MESSAGES[(lesson.id, index)])
                assert step.expect.text in outcome.message
                levels = {m.level for r in outcome.results for m in r.messages}
                assert step.expect.level in levels
            else:
                assert not outcome.raised, (lesson.id, index)
            if step.question is None or step.network is not None:
                continue  # a network step's answer: tests/core/network/test_lessons_network.py
            actual = read_value(step.question.read, ws, session, outcome)
            oracle = ANSWERS[(lesson.id, index)]()
            if isinstance(oracle, str):
                assert actual == oracle, (lesson.id, index)
            else:
                assert actual == pytest.approx(oracle, rel=1e-5, abs=1e-6), (lesson.id, index)
            typed = format_value(actual)
            assert check_answer(step.question, typed, actual)
            if step.question.kind == "choice":
                assert right_choice(step.question, actual) == typed  # exactly one choice fits
                wrong = [c for c in step.question.choices if c != typed]
                assert wrong and not any(check_answer(step.question, c, actual) for c in wrong)
            else:
                assert not check_answer(step.question, format_value(actual + 1.0), actual)
    finally:
        session.shutdown(2.0)


def test_the_regression_lessons_training_steps_set_the_session_up() -> None:
    lesson = BY_ID["06-linear-regression"]
    ws, session = Workspace(), TrainingSession()
    try:
        run_step(lesson, 3, ws, session, full_speed=True)
        assert session.wait(60)
        assert session.config.optimizer == "Manual" and session.config.lr == 0.001
        assert session.current.end.status == "completed" and session.current.epochs_done == 100
        manual_loss = float(session.current.history.column("loss")[-1])
        run_step(lesson, 5, ws, session, full_speed=True)  # forget zero_grad, over the defaults
        assert session.wait(60)
        assert session.config.forget_zero_grad and session.config.optimizer == "SGD"
        run_step(lesson, 6, ws, session, full_speed=True)
        assert session.wait(60)
        assert not session.config.forget_zero_grad  # each step starts from the defaults
        assert session.config.lr == 0.02 and session.current.end.status == "diverged"
        assert manual_loss == pytest.approx(_train("Manual", 0.001)[1], rel=1e-6)
        assert len(session.earlier) == 2  # the earlier runs stay for comparison
    finally:
        session.shutdown(2.0)


def test_a_training_step_trains_on_the_notebooks_points_whatever_the_learner_set() -> None:
    lesson = BY_ID["06-linear-regression"]
    session = TrainingSession()
    session.set_data(kind="noisy", points=7)
    session.update(batch_size=2, lr=0.5, forget_zero_grad=True)
    try:
        run_step(lesson, 4, Workspace(), session, full_speed=True)
        assert session.wait(60)
        assert session.data.kind == "notebook" and session.config.batch_size is None
        assert session.current.end.status == "completed"
        assert float(session.current.history.column("loss")[-1]) == pytest.approx(
            _train("SGD", 0.001)[1], rel=1e-6)
    finally:
        session.shutdown(2.0)


def test_a_training_step_that_cannot_start_says_why() -> None:
    step = {"title": "t", "text": "x", "training": {"settings": {"lr": 0.01}, "start": True}}
    lesson = lesson_from_data(_lesson(steps=[step]), "10-train")
    session = TrainingSession()
    session.set_data(kind="custom", custom=())  # no points: nothing to train on
    try:
        outcome = run_step(lesson, 0, Workspace(), session)
        assert not outcome.ok and not outcome.started_run
        assert outcome.message == ("The Training Lab could not be set up: "
                                   "dataset has no points; add at least one")
        assert session.current is None and not session.is_running()
        # the notebook's data, named by the regression lesson, makes the same session trainable
        assert run_step(BY_ID["06-linear-regression"], 3, Workspace(), session,
                        full_speed=True).ok
        assert session.wait(60) and session.current.end.status == "completed"
    finally:
        session.shutdown(2.0)


def test_a_training_step_keeps_its_pace_unless_told_full_speed() -> None:
    lesson = BY_ID["06-linear-regression"]
    session = TrainingSession(speed=None)
    try:
        run_step(lesson, 3, Workspace(), session)
        assert session.speed == 6.0  # the default pace: about 17 s for 100 epochs
        session.stop()
        assert session.wait(10)
        assert session.current.end.status == "stopped"
    finally:
        session.shutdown(2.0)


def test_a_step_out_of_order_first_sets_up_the_earlier_steps_and_keeps_the_old_session() -> None:
    lesson = BY_ID["05-accumulation"]
    ws = Workspace()
    ws.run("mine = torch.ones(2)")
    outcome = run_step(lesson, 1, ws, None)  # straight to "two more passes"
    assert outcome.ok and outcome.rebuilt
    assert "mine" not in ws.names and ws.can_restore  # Edit > Restore Previous brings it back
    assert read_value(lesson.steps[1].question.read, ws, None) == pytest.approx(_accumulated(3))
    # the learner's own lines after the lesson's are kept when the next step runs
    ws.run("extra = torch.zeros(1)")
    assert run_step(lesson, 2, ws, None).ok and "extra" in ws.names


def test_the_first_step_starts_from_a_new_workspace() -> None:
    lesson = BY_ID["02-backward-scalar"]
    ws = Workspace()
    for line in ("x = torch.ones(2, 4, requires_grad=True)", "x.sum().backward()"):
        ws.run(line)
    outcome = run_step(lesson, 0, ws, None)
    assert outcome.rebuilt and ws.log[1:] == list(lesson.steps[0].statements)
    assert torch.equal(ws.tensor("x").detach(), first_randn(2, 4))
    assert read_value(parse_read("x.grad"), ws, None) == "None"


def test_a_step_meant_to_fail_logs_nothing_for_the_failing_statement() -> None:
    lesson = BY_ID["07-pitfalls"]
    ws = Workspace()
    outcome = run_step(lesson, 0, ws, None)
    assert outcome.ok and outcome.raised
    assert ws.log == lesson.log_before(1)
    assert "s.backward()" in ws.log  # the first backward ran; the second one did not log


# ----- reading and answers ------------------------------------------------------------------------


def test_reads_resolve_names_attributes_and_indices_without_eval() -> None:
    ws = Workspace()
    for line in ("x = torch.randn(2, 3, requires_grad=True)", "y = (x * x).sum()", "y.backward()",
                 "k = torch.tensor([1, 2, 3])"):
        assert ws.run(line).ok
    x = torch.randn(2, 3, generator=seeded())
    assert read_value(parse_read("x[1, 2]"), ws, None) == pytest.approx(x[1, 2].item())
    assert read_value(parse_read("x.grad[0, -1]"), ws, None) == pytest.approx(2 * x[0, -1].item())
    assert read_value(parse_read("y"), ws, None) == pytest.approx((x * x).sum().item())
    assert read_value(parse_read("y.grad_fn"), ws, None) == "SumBackward0"
    assert read_value(parse_read("y.grad"), ws, None) == "None"  # non-leaf: no torch warning
    assert read_value(parse_read("x.is_leaf"), ws, None) == "True"
    assert read_value(parse_read("k.dtype"), ws, None) == "int64"
    assert read_value(parse_read("k[2]"), ws, None) == 3.0
    for bad in ("x", "x[5, 0]", "nobody", "y.grad[0]"):
        with pytest.raises(ValueError):
            read_value(parse_read(bad), ws, None)
    for refused in ("x.__class__", "x.grad()", "__import__('os')", "x[0:2]", "run.x", "x.T[0]",
                    "x.grad_fn[0]", "x + 1"):
        with pytest.raises(ValueError):
            parse_read(refused)


def test_answers_accept_numbers_and_fractions_within_tolerance() -> None:
    question = BY_ID["02-backward-scalar"].steps[1].question
    assert parse_answer("1/8") == 0.125 and parse_answer(" -2.5e-1 ") == -0.25
    for bad in ("", "nan", "inf", "1/0", "0.1.2", "x", "1//8", "2**3"):
        assert parse_answer(bad) is None, bad
    assert check_answer(question, "0.125", 0.125) and check_answer(question, "1/8", 0.125)
    assert not check_answer(question, "0.12", 0.125) and not check_answer(question, "0.25", 0.125)
    assert check_answer(question, "0.98", 0.9850000143)  # within 1 %
    assert not check_answer(question, "hello", 0.125)
    assert format_value(15.0) == "15" and format_value(0.9850000143) == "0.985"


# ----- progress -------------------------------------------------------------------------------------


def test_progress_round_trips_and_drops_what_is_stale() -> None:
    lesson = BY_ID["05-accumulation"]
    progress = Progress(lesson=lesson.id, step=2)
    for i in range(len(lesson.steps)):
        progress.mark(lesson, i)
    again = Progress.from_json(progress.to_json(), LESSONS)
    assert again == progress and again.completed(lesson)
    stale = json.dumps({"lesson": "gone", "step": 99, "done": {lesson.id: [0, 99, "x"],
                                                              "gone": [1]}})
    read = Progress.from_json(stale, LESSONS)
    assert read.lesson is None and read.done == {lesson.id: {0}}
    for junk in (None, 5, "", "[", "[1, 2]", '{"step": "2"}', "{" * 5000):
        assert Progress.from_json(junk, LESSONS) == Progress()


# ----- bad lesson files: each names the file and the field -----------------------------------------


GOOD_STEP = {"title": "t", "text": "some text", "statements": ["x = torch.ones(2)"]}


def _lesson(**changes: object) -> dict:
    data = {"format": 1, "title": "T", "summary": "S", "steps": [dict(GOOD_STEP)]}
    data.update(changes)
    return data


def _step(**changes: object) -> dict:
    return _lesson(steps=[{**GOOD_STEP, **changes}])


BAD_FILES: list[tuple[str, object, str]] = [
    ("not json", "{", "not valid JSON"),
    ("a list", [], "the top level: must be a JSON object"),
    ("format", _lesson(format=2), "format: must be 1"),
    ("no title", {k: v for k, v in _lesson().items() if k != "title"}, "title: must be"),
    ("unknown top field", _lesson(colour="red"), "colour: is not a known field"),
    ("no steps", _lesson(steps=[]), "steps: must be a non-empty list"),
    ("empty text", _step(text=" "), "steps[0].text: must be a non-empty string"),
    ("typo in a step", _step(explanation="x"), "steps[0].explanation: is not a known field"),
    ("statements not a list", _step(statements="x = 1"), "steps[0].statements: must be a list"),
    ("refused statement", _step(statements=["import os"]), "steps[0].statements[0]:"),
    ("unknown name", _step(statements=["y = q + 1"]), "steps[0].statements[0]: Unknown name"),
    ("syntax", _step(statements=["x = ("]), "steps[0].statements[0]: SyntaxError"),
    ("show", _step(show="plots"), "steps[0].show: must be one of"),
    ("nothing to run", _lesson(steps=[{"title": "t", "text": "x"}]), "steps[0]: needs statements"),
    ("expect level", _step(expect={"level": "fatal", "text": "x"}), "steps[0].expect.level"),
    ("expect without statements",
     _lesson(steps=[{"title": "t", "text": "x", "show": "graph",
                     "expect": {"level": "error", "text": "x"}}]), "steps[0].expect: a step"),
    ("question read", _step(question={"prompt": "p", "read": "x.__dict__", "explanation": "e"}),
     "steps[0].question.read:"),
    ("question eval", _step(question={"prompt": "p", "read": "open('f')", "explanation": "e"}),
     "steps[0].question.read: "),
    ("question without explanation", _step(question={"prompt": "p", "read": "x[0]"}),
     "steps[0].question.explanation: must be"),
    ("choice without choices",
     _step(question={"prompt": "p", "read": "x[0]", "explanation": "e", "kind": "choice"}),
     "steps[0].question.choices: a choice question"),
    ("choices on a number", _step(question={"prompt": "p", "read": "x[0]", "explanation": "e",
                                            "choices": ["1", "2"]}), "steps[0].question.choices"),
    ("tolerance", _step(question={"prompt": "p", "read": "x[0]", "explanation": "e",
                                  "tolerance": -1}), "steps[0].question.tolerance"),
    ("run read without a run",
     _step(question={"prompt": "p", "read": "run.loss", "explanation": "e"}),
     "steps[0].question.read: run.* can only"),
    ("optimizer", _step(training={"settings": {"optimizer": "Lion"}}),
     "steps[0].training.settings.optimizer: must be one of"),
    ("setting name", _step(training={"settings": {"momentum": 0.9}}),
     "steps[0].training.settings.momentum: is not a known field"),
    ("lr type", _step(training={"settings": {"lr": "fast"}}),
     "steps[0].training.settings.lr: has the wrong type"),
    ("lr bool", _step(training={"settings": {"lr": True}}),
     "steps[0].training.settings.lr: must be a number"),
    ("lr zero", _step(training={"settings": {"lr": 0}}),
     "steps[0].training.settings.lr: is 0; the Learning rate box accepts a number from 1e-05 to 1"),
    ("lr 1e400", '{"format": 1, "title": "t", "summary": "s", "steps": [{"title": "t", '
     '"text": "x", "training": {"settings": {"lr": 1e400}}}]}',
     "steps[0].training.settings.lr: is inf; the Learning rate box accepts"),
    ("lr above the slider", _step(training={"settings": {"lr": 5.0}}),
     "steps[0].training.settings.lr: is 5.0;"),
    ("w0 beyond its box", _step(training={"settings": {"w0": 1e6}}),
     "steps[0].training.settings.w0: is 1000000.0; the Initial w box accepts a number from "
     "-100 to 100"),
    ("b0 1e308", _step(training={"settings": {"b0": 1e308}}),
     "steps[0].training.settings.b0: is 1e+308;"),
    ("epochs 3e9", _step(training={"settings": {"epochs": 3_000_000_000}}),
     "steps[0].training.settings.epochs: is 3000000000; the Epochs box accepts a whole number "
     "from 1 to 1,000,000"),
    ("batch 3e9", _step(training={"settings": {"batch_size": 3_000_000_000}}),
     "steps[0].training.settings.batch_size: is 3000000000;"),
    ("a 4,400-digit integer", '{"format": 1, "title": "t", "summary": "s", "steps": [{"title": '
     '"t", "text": "x", "training": {"settings": {"epochs": ' + "9" * 4400 + '}}}]}',
     "Exceeds the limit (4300 digits) for integer string conversion"),
    ("nested 100 deep", "[" * 100 + "]" * 100, "nested more than 20 levels deep"),
    ("epochs", _step(training={"settings": {"epochs": 0}}), "steps[0].training.settings.epochs"),
    ("speed", _step(training={"speed": 7}), "steps[0].training.speed: must be"),
    ("start", _step(training={"start": "yes"}), "steps[0].training.start: must be true or false"),
    ("data", _step(training={"data": "custom"}), "steps[0].training.data: must be one of"),
    ("batch size", _step(training={"settings": {"batch_size": 0}}),
     "steps[0].training.settings.batch_size: must be at least 1"),
]


@pytest.mark.parametrize(("content", "field"), [(c, f) for _, c, f in BAD_FILES],
                         ids=[name for name, _, _ in BAD_FILES])
def test_a_bad_lesson_file_is_refused_naming_the_file_and_the_field(
        tmp_path: Path, content: object, field: str) -> None:
    path = tmp_path / "09-broken.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    text = str(info.value)
    assert text.startswith("09-broken.json: "), text
    assert field in text, text


def test_a_bad_file_never_hides_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "01-good.json").write_text(json.dumps(_lesson()))
    (tmp_path / "02-bad.json").write_bytes(b"\xff\xfe not text")
    (tmp_path / "03-big.json").write_text(" " * 300_000)
    (tmp_path / "04-dir.json").mkdir()
    lessons, errors = load_lessons(tmp_path)
    assert [lesson.id for lesson in lessons] == ["01-good"]
    assert len(errors) == 3 and all(e.split(":")[0].endswith(".json") for e in errors)
    assert load_lessons(tmp_path / "missing") == ([], [])


def test_adding_a_lesson_is_adding_a_file(tmp_path: Path) -> None:
    data = _lesson(steps=[{**GOOD_STEP, "question": {
        "prompt": "x[1]?", "read": "x[1]", "explanation": "ones"}}])
    (tmp_path / "10-new.json").write_text(json.dumps(data))
    (lesson,), _ = load_lessons(tmp_path)
    ws = Workspace()
    assert run_step(lesson, 0, ws, None).ok
    assert read_value(lesson.steps[0].question.read, ws, None) == torch.ones(2)[1].item()


def test_lessons_and_their_runner_load_no_qt() -> None:
    import subprocess
    import sys

    code = ("import sys\n"
            "from playground.core.lessons.format import load_lessons\n"
            "from playground.core.lessons.runner import run_step\n"
            "from playground.core.tensorlab.workspace import Workspace\n"
            "lessons, errors = load_lessons()\n"
            "assert run_step(lessons[0], 0, Workspace()).ok and not errors\n"
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


LOAD_IN_A_CHILD = """
import json, sys
from playground.core.lessons.format import load_lessons
lessons, errors = load_lessons(sys.argv[1])
print(json.dumps({"ids": [lesson.id for lesson in lessons], "errors": errors}))
"""


def test_files_that_are_not_lessons_never_hang_or_stop_the_loader(tmp_path: Path) -> None:
    # In a child with a deadline: a FIFO would block open(), /dev/zero would read forever.
    import os
    import subprocess
    import sys

    (tmp_path / "01-good.json").write_text(json.dumps(_lesson()))
    os.mkfifo(tmp_path / "02-fifo.json")
    (tmp_path / "03-zero.json").symlink_to("/dev/zero")
    (tmp_path / "04-digits.json").write_text(
        '{"format": 1, "title": "t", "summary": "s", "steps": [{"title": "t", "text": "x", '
        '"training": {"settings": {"epochs": ' + "9" * 4400 + "}}}]}")
    (tmp_path / "05-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "06-sparse.json").write_bytes(b"{")
    os.truncate(tmp_path / "06-sparse.json", 10**9)  # 1 GB by stat, no disk used
    proc = subprocess.run([sys.executable, "-c", LOAD_IN_A_CHILD, str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["ids"] == ["01-good"]
    errors = dict(e.split(": ", 1) for e in report["errors"])
    assert sorted(errors) == ["02-fifo.json", "03-zero.json", "04-digits.json", "05-deep.json",
                              "06-sparse.json"]
    assert "not a regular file" in errors["02-fifo.json"]
    assert "not a regular file" in errors["03-zero.json"]
    assert "4300 digits" in errors["04-digits.json"]
    assert "nested more than 20 levels" in errors["05-deep.json"]
    assert "a lesson is at most 200,000" in errors["06-sparse.json"]


def _texts(lesson) -> list[str]:
    """Every sentence a learner reads in a lesson, with the panel's own lead-ins."""
    out = []
    for step in lesson.steps:
        out += [step.title, step.text, step.instead or ""]
        if step.training is not None and step.training.watch:
            out.append(f"Watch: {step.training.watch}")
        if step.network is not None and step.network.watch:
            out.append(f"Watch: {step.network.watch}")
        if step.question is not None:
            out += [step.question.prompt, step.question.explanation, *step.question.choices]
    return out


@pytest.mark.parametrize("lesson_id", sorted(BY_ID))
def test_no_lesson_text_doubles_a_word(lesson_id: str) -> None:
    """No "Watch: Watch the loss": no word twice in a row anywhere a learner reads."""
    import re

    for text in _texts(BY_ID[lesson_id]):
        prose = re.sub(r"`[^`]*`", "", text)  # code such as `a * a` may repeat a name
        doubled = re.search(r"\b([A-Za-z]{2,})[\s:,]+\1\b", prose, re.IGNORECASE)
        assert doubled is None, (lesson_id, text)


def test_an_answer_that_is_not_a_number_is_not_marked() -> None:
    from playground.core.lessons.format import Question
    from playground.core.lessons.runner import NOT_A_NUMBER, judge_answer

    question = next(s.question for s in BY_ID["02-backward-scalar"].steps
                    if s.question is not None and s.question.kind == "number"
                    and s.question.read.kind == "tensor" and "grad[0, 0]" in s.question.read_text)
    assert isinstance(question, Question)
    for typed in ("abc", "1/0", "0.1.2", "one eighth"):
        verdict = judge_answer(question, typed, 0.125, "x.grad[0, 0]")
        assert verdict.kind == "not_a_number" and not verdict.settled
        assert verdict.text.startswith(NOT_A_NUMBER) and "0.125" not in verdict.text
    assert judge_answer(question, "1/8", 0.125, "x.grad[0, 0]").kind == "right"
    assert judge_answer(question, "0.2", 0.125, "x.grad[0, 0]").text == (
        "✗ Not quite: you said 0.2; torch computed 0.125.")
    assert judge_answer(question, None, 0.125, "x.grad[0, 0]").kind == "revealed"


def test_what_the_lessons_say_about_freed_graphs_and_grads_is_the_state() -> None:
    """Lesson texts that describe a state (graph freed or kept, grads zeros or filled) are
    checked against that state after the steps before them ran, and against plain torch."""
    from playground.core.tensorlab.hints import grad_state, graph_freed

    vector = BY_ID["03-backward-vector"]
    ws = Workspace()
    for index in range(2):
        run_step(vector, index, ws, None)
    # Step 3 says "The graph was freed by the first backward, so z is built again first".
    assert "graph was freed" in vector.steps[2].text
    assert graph_freed(ws, "z")
    x = torch.randn(2, 4, requires_grad=True)
    z = (x + 2) * (x + 2)
    z.backward(torch.ones(2, 4))
    with pytest.raises(RuntimeError, match="second time"):
        z.backward(torch.ones(2, 4))

    pitfalls = BY_ID["07-pitfalls"]
    # "A graph of only additions and a mean saves nothing and would run twice".
    assert "would run twice" in pitfalls.steps[0].question.explanation
    ws = Workspace()
    for line in ("a = torch.randn(3, requires_grad=True)", "m = (a + 2).mean()",
                 "m.backward()"):
        assert ws.run(line).ok
    assert not graph_freed(ws, "m") and ws.run("m.backward()").ok

    accumulation = BY_ID["05-accumulation"]
    ws = Workspace()
    for index in range(3):
        run_step(accumulation, index, ws, None)
    # Step 3 ("Clear it with zero_()") says every entry of x.grad is 0 again.
    assert "Every entry is 0 again" in accumulation.steps[2].question.explanation
    assert grad_state(ws, ["x"]) == "zeros"
    run_step(accumulation, 3, ws, None)
    assert grad_state(ws, ["x"]) == "filled"
