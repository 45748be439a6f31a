"""Running a lesson step against the labs' models, reading answers, and lesson progress (no Qt).

A step's statements go through `Workspace.run`, the pipe every click and typed line takes, so a
lesson can only do what the learner could type. Its Training Lab settings go through
`TrainingSession.update`. Answers are read from the live state with a tiny parser over names,
attributes and integer indices (`lessons.parse_read`), never eval.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from playground.core.lessons import network_step
from playground.core.lessons.format import TRAINING_SETTINGS, Lesson, Question, Read, Step
from playground.core.network.session import NetworkSession
from playground.core.tensorlab.workspace import RunResult, Workspace
from playground.core.training.config import TrainConfig
from playground.core.training.session import TrainingSession

# A typed answer is right when within this much of torch's value (absolute + relative),
# unless the question gives its own tolerance: 0.98 passes for 0.985, 0.12 fails for 0.125.
ABS_TOLERANCE = 1e-3
REL_TOLERANCE = 0.01
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ANSWER = re.compile(rf"^\s*({_NUMBER})\s*(?:/\s*({_NUMBER})\s*)?$")


@dataclass
class StepOutcome:
    """What running one step did, for the panel to show and the tests to check."""

    ok: bool  # the step did what the lesson meant (an expected error counts as ok)
    results: list[RunResult] = field(default_factory=list)
    rebuilt: bool = False  # the workspace was first set up from the lesson's earlier steps
    message: str = ""  # torch's text for the expected message, or the unexpected problem
    started_run: bool = False

    @property
    def raised(self) -> bool:
        """True when a statement was refused or raised."""
        return any(not r.ok for r in self.results)


def workspace_ready(lesson: Lesson, index: int, workspace: Workspace) -> bool:
    """True when the log holds the lesson's earlier steps (the learner's own lines may follow,
    except before the first step, which starts from a new workspace)."""
    expected = lesson.log_before(index)
    log = workspace.log
    if len(expected) == 1:
        return log == expected
    return log[: len(expected)] == expected


def run_step(
    lesson: Lesson,
    index: int,
    workspace: Workspace,
    session: TrainingSession | None = None,
    *,
    full_speed: bool = False,
    network: NetworkSession | None = None,
) -> StepOutcome:
    """Run step `index`: set up the earlier steps if the log lacks them (the replaced session
    stays restorable), run its statements until one fails, then apply its training setup."""
    step = lesson.steps[index]
    outcome = StepOutcome(ok=True)
    if step.statements and not workspace_ready(lesson, index, workspace):
        loaded = workspace.load(lesson.log_before(index))
        if not loaded.ok:  # only a torch change could make shipped statements fail
            outcome.ok = False
            outcome.message = loaded.messages[0].text if loaded.messages else "setup failed"
            return outcome
        outcome.rebuilt = True
    for statement in step.statements:
        result = workspace.run(statement)
        outcome.results.append(result)
        if not result.ok:
            break
    _judge(step, outcome)
    if step.training is not None and session is not None and outcome.ok:
        try:
            _apply_training(step, session, full_speed)
        except (ValueError, RuntimeError) as exc:  # e.g. a run that would not stop in time
            outcome.ok = False
            outcome.message = f"The Training Lab could not be set up: {exc}"
            return outcome
        outcome.started_run = step.training.start
    if step.network is not None and network is not None and outcome.ok:
        try:
            network_step.apply(step.network, network, full_speed)
        except (ValueError, RuntimeError) as exc:
            outcome.ok = False
            outcome.message = f"The Network Lab could not be set up: {exc}"
            return outcome
        outcome.started_run = outcome.started_run or step.network.start
    return outcome


def _judge(step: Step, outcome: StepOutcome) -> None:
    """Compare what happened with what the step meant: the expected message, or none."""
    failed = [r for r in outcome.results if not r.ok]
    expect = step.expect
    if expect is None:
        if failed:
            outcome.ok = False
            outcome.message = _first_text(failed[0], "error")
        return
    if expect.level == "error":
        last_failed = (len(outcome.results) == len(step.statements) and not outcome.results[-1].ok)
        text = _first_text(outcome.results[-1], "error") if outcome.results else ""
        outcome.ok = last_failed and expect.text in text
        outcome.message = text or "the statement ran without the error this step shows"
        return
    warnings = [m.text for r in outcome.results for m in r.messages if m.level == "warning"]
    seen = [w for w in warnings if expect.text in w]
    outcome.ok = not failed and bool(seen)
    if failed:
        outcome.message = _first_text(failed[0], "error")
    else:
        outcome.message = seen[0] if seen else "torch gave no warning this time"


def _first_text(result: RunResult, level: str) -> str:
    for message in result.messages:
        if message.level == level:
            return message.text
    return result.messages[0].text if result.messages else ""


def _apply_training(step: Step, session: TrainingSession, full_speed: bool) -> None:
    """The step's settings over the defaults (so every learner's run is the same) and its data
    kind if it names one; then the speed, and a start if the step asks for one."""
    assert step.training is not None
    if session.is_running():
        session.shutdown(2.0)
    defaults = TrainConfig()
    setup = {name: getattr(defaults, name) for name in TRAINING_SETTINGS}
    setup.update(step.training.settings)
    if step.training.data is not None and session.data.kind != step.training.data:
        session.set_data(kind=step.training.data)  # the learner's custom points are kept
    session.update(**setup)
    if full_speed:
        session.set_speed(None)
    elif step.training.speed_given:
        session.set_speed(step.training.speed)
    if step.training.start:
        session.start()


# ----- reading and checking answers ------------------------------------------------------------


class NotReady(ValueError):
    """The value cannot be read yet (the run is still going), or the name is missing."""


def read_value(read: Read, workspace: Workspace, session: TrainingSession | None,
               outcome: StepOutcome | None = None,
               network: NetworkSession | None = None) -> float | str:
    """The value a question asks about, read from the live state; NotReady says why not."""
    if read.kind == "net":
        try:
            return network_step.read(read.name, network)
        except ValueError as exc:
            raise NotReady(str(exc)) from None
    if read.kind == "outcome":
        return "raises" if outcome is not None and outcome.raised else "runs"
    if read.kind == "run":
        run = session.current if session is not None else None
        if run is None or run.end is None:
            raise NotReady("the training run has not ended yet")
        if read.name == "status":
            return run.end.status
        if read.name == "epochs":
            return float(run.epochs_done)
        if not run.epochs_done:
            raise NotReady("the run trained no epoch")
        return float(run.history.column(read.name)[-1])
    if read.name not in workspace.names:
        raise NotReady(f"there is no tensor named {read.name}")
    tensor = workspace.tensor(read.name)
    if read.attr == "grad_fn":
        return "None" if tensor.grad_fn is None else type(tensor.grad_fn).__name__
    if read.attr in ("requires_grad", "is_leaf"):
        return str(bool(getattr(tensor, read.attr)))
    if read.attr == "dtype":
        return str(tensor.dtype).removeprefix("torch.")
    if read.attr == "grad":
        # Only leaves (or retain_grad tensors) fill .grad; reading it elsewhere makes torch warn.
        tensor = tensor.grad if (tensor.is_leaf or tensor.retains_grad) else None
        if tensor is None:
            if read.index:
                raise NotReady(f"{read.name}.grad is None")
            return "None"
    try:
        value = tensor.detach()[read.index] if read.index else tensor.detach()
    except IndexError as exc:
        raise NotReady(f"{read.name}: {exc}") from None
    if value.numel() != 1:
        raise NotReady(f"{read.name} holds {value.numel()} numbers; index one of them")
    return float(value.item())


def parse_answer(text: str) -> float | None:
    """A typed number or fraction (`0.125`, `1/8`, `1e-3`); None if it is neither."""
    match = _ANSWER.match(text)
    if match is None:
        return None
    number = float(match.group(1))
    if match.group(2) is None:
        return number
    denominator = float(match.group(2))
    return None if denominator == 0 else number / denominator


def check_answer(question: Question, answer: str, actual: float | str) -> bool:
    """True when `answer` (typed, or the choice picked) matches torch's value."""
    if isinstance(actual, str):
        return answer.strip() == actual
    number = parse_answer(answer)
    if number is None or not math.isfinite(actual):
        return False
    tolerance = question.tolerance
    if tolerance is None:
        tolerance = ABS_TOLERANCE + REL_TOLERANCE * abs(actual)
    return abs(number - actual) <= tolerance


# What a typed answer that is not a number gets: the form to use, and another try (the value
# stays hidden, so the question is still a prediction).
NOT_A_NUMBER = "Enter a number, e.g. 0.25 or 1/8"


@dataclass(frozen=True)
class Verdict:
    """How an answer fared: "right", "wrong", "not_a_number" (try again; torch's value not
    shown) or "revealed" (no answer given), and the line the panel shows."""

    kind: str
    text: str

    @property
    def settled(self) -> bool:
        """False while the learner still has to give a readable answer."""
        return self.kind != "not_a_number"


def judge_answer(question: Question, answer: str | None, actual: float | str,
                 read_text: str) -> Verdict:
    """The verdict on `answer` (typed, or the choice picked; None if none) against torch's
    value; `read_text` names what was read (`x.grad[0, 0]`)."""
    shown = format_value(actual)
    outcome_read = question.read.kind == "outcome"  # "runs" / "raises": what happened
    subject = f"it {shown}" if outcome_read else f"{read_text} = {shown}"
    if answer is None:
        lead = "What happened" if outcome_read else "torch's value"
        return Verdict("revealed", f"{lead}: {subject}.")
    if not isinstance(actual, str) and question.kind != "choice" and parse_answer(answer) is None:
        return Verdict("not_a_number", f"{NOT_A_NUMBER}: “{answer}” is not one. "
                                       "Type your prediction again and press Check.")
    if check_answer(question, answer, actual):
        return Verdict("right", f"✓ Right: {subject}.")
    if outcome_read:
        return Verdict("wrong", f"✗ Not quite: you said {answer}; {subject}.")
    return Verdict("wrong", f"✗ Not quite: you said {answer}; torch computed {shown}.")


def format_value(value: float | str) -> str:
    """How the panel writes torch's value: six significant digits at most."""
    if isinstance(value, str):
        return value
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def right_choice(question: Question, actual: float | str) -> str | None:
    """The choice that matches torch's value (None if the lesson's choices miss it)."""
    matching = [c for c in question.choices if check_answer(question, c, actual)]
    return matching[0] if len(matching) == 1 else None


# ----- progress ---------------------------------------------------------------------------------


@dataclass
class Progress:
    """Where the learner is (lesson and step) and which steps of which lessons they have run;
    stored as one JSON string (QSettings keeps it between launches)."""

    lesson: str | None = None
    step: int = 0
    done: dict[str, set[int]] = field(default_factory=dict)

    def mark(self, lesson: Lesson, index: int) -> None:
        self.done.setdefault(lesson.id, set()).add(index)

    def completed(self, lesson: Lesson) -> bool:
        """Every step of the lesson has been run as meant."""
        return len(self.done.get(lesson.id, set())) >= len(lesson.steps)

    def steps_done(self, lesson: Lesson) -> int:
        return len(self.done.get(lesson.id, set()))

    def to_json(self) -> str:
        return json.dumps({"lesson": self.lesson, "step": self.step,
                           "done": {k: sorted(v) for k, v in self.done.items()}})

    @classmethod
    def from_json(cls, text: Any, lessons: list[Lesson]) -> Progress:
        """Read back what to_json wrote; anything stale or malformed is dropped, never raised."""
        try:
            data = json.loads(text) if isinstance(text, str) else {}
        except (ValueError, RecursionError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        by_id = {lesson.id: lesson for lesson in lessons}
        progress = cls()
        done = data.get("done")
        if isinstance(done, dict):
            for key, steps in done.items():
                if key in by_id and isinstance(steps, list):
                    count = len(by_id[key].steps)
                    kept = {s for s in steps if type(s) is int and 0 <= s < count}
                    if kept:
                        progress.done[key] = kept
        lesson = data.get("lesson")
        if lesson in by_id:
            progress.lesson = lesson
            step = data.get("step")
            if type(step) is int and 0 <= step < len(by_id[lesson].steps):
                progress.step = step
        return progress


def setup_code(step: Step) -> str:
    """The lab setup a step writes (Training or Network Lab), as the lab's controls name it."""
    if step.training is None:
        return "" if step.network is None else step.network.code()
    lines = [f"{name} = {value!r}" for name, value in step.training.settings.items()]
    if step.training.speed_given:
        speed = step.training.speed
        lines.append(f"speed = {'full' if speed is None else f'{speed:g} epochs/s'}")
    if step.training.start:
        lines.append("Start")
    return "\n".join(lines)
