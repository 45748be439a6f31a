"""Lessons as data: JSON files under resources/lessons/, loaded and validated here (no Qt).

A lesson is a list of steps; a step explains something, may run statements through the
Tensor Lab's pipe, may set up (and start) the Training Lab, may expect torch to complain, and
may ask a predict-first question whose answer is read from the real state afterwards
(`lesson_run.py` does the running). Adding a lesson is adding a file: every field is checked
here, and an error names the file and the field, e.g. `03-x.json: steps[2].question.read: ...`.
The format is JSON because tomllib only exists from Python 3.11 and we support 3.10.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.files.guarded import FileRefused, read_json
from playground.core.labs import GRAPH_VIEW, Lab
from playground.core.language.interpreter import Refused, check, parse
from playground.core.lessons.network_step import NET_FIELDS, NetworkStep
from playground.core.lessons.network_step import parse as parse_network_step
from playground.core.limits import MAX_ELEMENTS, MAX_LESSON_BYTES, MAX_LESSON_EPOCHS
from playground.core.training.config import out_of_range
from playground.core.training.datasets import DATA_KINDS
from playground.core.training.session import SPEEDS
from playground.core.training.tables import LOSSES, OPTIMIZERS
from playground.paths import resources_dir

LESSONS_DIR = resources_dir() / "lessons"
LESSON_FORMAT = 1
SHOW_TARGETS = (Lab.TENSOR.value, GRAPH_VIEW, Lab.TRAINING.value, Lab.NETWORK.value)
MESSAGE_LEVELS = ("error", "warning")
QUESTION_KINDS = ("number", "choice")
RUN_FIELDS = ("status", "loss", "w", "b", "epochs")
TENSOR_ATTRS = ("grad", "grad_fn", "requires_grad", "is_leaf", "dtype")
OUTCOMES = ("runs", "raises")
# The Training Lab settings a step may set (TrainConfig fields; the data stays as it is).
TRAINING_SETTINGS: dict[str, type | tuple[type, ...]] = {
    "optimizer": str,
    "loss": str,
    "lr": (int, float),
    "epochs": int,
    "batch_size": (int, type(None)),  # null: the full batch
    "w0": (int, float),
    "b0": (int, float),
    "forget_zero_grad": bool,
    "out_of_place_update": bool,
    "new_optimizer_each_epoch": bool,
}

# What a question may read, without eval: `outcome`, `run.<field>`, or
# `name`, `name.attr`, `name[i, j]`, `name.grad[i]`.
_READ = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)(?:\.(?P<attr>[A-Za-z_]\w*))?"
    r"(?:\[(?P<index>\s*-?\d+(?:\s*,\s*-?\d+)*\s*)\])?$"
)


class LessonError(ValueError):
    """A lesson file that cannot be used; the text names the file and the field."""


@dataclass(frozen=True)
class Read:
    """A parsed `question.read`: what to look at after the step ran."""

    kind: str  # "outcome", "run" or "tensor"
    name: str = ""  # tensor name, or the run field
    attr: str | None = None  # one of TENSOR_ATTRS, or None for the values
    index: tuple[int, ...] = ()

    @property
    def needs_run_end(self) -> bool:
        """True when the value only exists once a lab's run has ended."""
        return self.kind in ("run", "net")


@dataclass(frozen=True)
class Question:
    """A predict-first question: the answer comes from torch after the step, never the file."""

    prompt: str
    read: Read
    read_text: str
    explanation: str
    kind: str = "number"
    choices: tuple[str, ...] = ()
    tolerance: float | None = None  # None: the default in lesson_run.check_answer


@dataclass(frozen=True)
class Expect:
    """A message torch is meant to give on the step's last statement (an error stops it)."""

    level: str
    text: str  # a piece of torch's own message


@dataclass(frozen=True)
class TrainingStep:
    """Settings the step writes into the TrainingSession, and whether it starts a run."""

    settings: dict[str, Any] = field(default_factory=dict)
    speed: float | None = None  # epochs per second; None: full speed
    speed_given: bool = False
    data: str | None = None  # a DataSetup kind ("notebook", "noisy"); None keeps the data
    start: bool = False
    watch: str = ""


@dataclass(frozen=True)
class Step:
    """One step of a lesson."""

    title: str
    text: str
    statements: tuple[str, ...] = ()
    show: str | None = None
    expect: Expect | None = None
    instead: str = ""
    question: Question | None = None
    training: TrainingStep | None = None
    network: NetworkStep | None = None

    @property
    def expects_error(self) -> bool:
        return self.expect is not None and self.expect.level == "error"

    @property
    def logged(self) -> tuple[str, ...]:
        """The statements that end up in the log (a step meant to fail loses its last one)."""
        return self.statements[:-1] if self.expects_error else self.statements

    @property
    def view(self) -> str:
        """Which view the step brings forward."""
        if self.show:
            return self.show
        if self.training is not None and not self.statements:
            return Lab.TRAINING
        if self.network is not None and not self.statements:
            return Lab.NETWORK
        return Lab.TENSOR


@dataclass(frozen=True)
class Lesson:
    """A lesson file: its id is the file's stem, which also orders the list."""

    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    path: Path | None = None

    def log_before(self, index: int) -> list[str]:
        """The statement log the lesson expects before step `index` runs (seed included)."""
        log = ["torch.manual_seed(0)"]
        for step in self.steps[:index]:
            log.extend(normalise(s) for s in step.logged)
        return log


def normalise(statement: str) -> str:
    """The statement as the workspace logs it (ast.unparse), for comparing logs."""
    return parse(statement)[1]


def parse_read(text: str) -> Read:
    """Parse a question's `read` text; ValueError says what is allowed."""
    text = text.strip()
    if text == "outcome":
        return Read("outcome")
    match = _READ.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not readable; write a name, name.attr or name[i, j] "
                         "(e.g. x.grad[0, 1]), run.<field> or outcome")
    name, attr, index = match.group("name"), match.group("attr"), match.group("index")
    if name == "net":
        if attr not in NET_FIELDS or index is not None:
            raise ValueError(f"net.{attr} is not readable; use one of "
                             + ", ".join(f"net.{f}" for f in NET_FIELDS))
        return Read("net", attr)
    if name == "run":
        if attr not in RUN_FIELDS or index is not None:
            raise ValueError(f"run.{attr} is not readable; use one of "
                             + ", ".join(f"run.{f}" for f in RUN_FIELDS))
        return Read("run", attr)
    if attr is not None and attr not in TENSOR_ATTRS:
        raise ValueError(f".{attr} is not readable; use one of {', '.join(TENSOR_ATTRS)}")
    if index is not None and attr not in (None, "grad"):
        raise ValueError(f"only values and .grad can be indexed, not .{attr}")
    numbers = tuple(int(i) for i in index.split(",")) if index is not None else ()
    return Read("tensor", name, attr, numbers)


# ----- loading ------------------------------------------------------------------------------


def load_lessons(folder: Path | None = None) -> tuple[list[Lesson], list[str]]:
    """Every `*.json` lesson in `folder` in file-name order, and one message per bad file
    (a bad file never hides the good ones)."""
    folder = LESSONS_DIR if folder is None else Path(folder)
    lessons: list[Lesson] = []
    errors: list[str] = []
    try:
        paths = sorted(folder.glob("*.json"))
    except OSError as exc:
        return [], [f"{folder}: {exc.strerror or exc}"]
    for path in paths:
        try:
            lessons.append(load_lesson(path))
        except LessonError as exc:
            errors.append(str(exc))
    return lessons, errors


def load_lesson(path: str | Path) -> Lesson:
    """Read and validate one lesson file; LessonError names the file and the field."""
    path = Path(path)
    try:
        # The sessions' guarded reader: regular files only (a FIFO or /dev/zero never blocks),
        # a size and a nesting cap, a 4,400-digit number refused rather than raised.
        data = read_json(path, MAX_LESSON_BYTES, "a lesson")
    except FileRefused as exc:
        raise LessonError(f"{path.name}: {exc.reason}") from None
    return lesson_from_data(data, path.stem, path)


def lesson_from_data(data: Any, lesson_id: str, path: Path | None = None) -> Lesson:
    """Validate parsed JSON into a Lesson (errors are prefixed with the file's name)."""
    where = _Where(path.name if path is not None else f"{lesson_id}.json")
    top = where.object(data, "", ("format", "title", "summary", "steps"))
    if top.get("format") != LESSON_FORMAT:
        where.fail("format", f"must be {LESSON_FORMAT}, got {top.get('format')!r}")
    steps_data = top.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        where.fail("steps", "must be a non-empty list of steps")
    known: set[str] = set()  # names bound by the lesson's statements so far
    steps = tuple(_step(where, item, f"steps[{i}]", known) for i, item in enumerate(steps_data))
    return Lesson(
        id=lesson_id,
        title=where.text(top, "", "title"),
        summary=where.text(top, "", "summary"),
        steps=steps,
        path=path,
    )


class _Where:
    """Builds LessonErrors that say which file and which field."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field_path: str, message: str) -> None:
        raise LessonError(f"{self.file}: {field_path or 'the top level'}: {message}")

    def object(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "must be a JSON object")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            self.fail(_join(path, unknown[0]),
                      f"is not a known field; the fields are {', '.join(allowed)}")
        return value

    def text(self, data: dict[str, Any], path: str, key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(_join(path, key), "must be a non-empty string")
        return value.strip()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _step(where: _Where, data: Any, path: str, known: set[str]) -> Step:
    fields = ("title", "text", "statements", "show", "expect", "instead", "question", "training",
              "network")
    step = where.object(data, path, fields)
    title = where.text(step, path, "title")  # checked in the order an author reads them
    text = where.text(step, path, "text")
    statements = step.get("statements", [])
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        where.fail(f"{path}.statements", "must be a list of strings")
    for i, statement in enumerate(statements):
        # The interpreter's own check, with the names earlier statements bind: a statement it
        # would refuse never ships (torch's errors are what a lesson may show, not refusals).
        try:
            tree, _ = parse(statement)
            check(tree, known, MAX_ELEMENTS)
        except Refused as exc:
            where.fail(f"{path}.statements[{i}]", str(exc))
        known.update(node.id for node in ast.walk(tree)
                     if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store))
    show = step.get("show")
    if show is not None and show not in SHOW_TARGETS:
        where.fail(f"{path}.show", f"must be one of {', '.join(SHOW_TARGETS)}")
    expect = _expect(where, step.get("expect"), f"{path}.expect", statements)
    training = _training(where, step.get("training"), f"{path}.training")
    network = parse_network_step(where, step.get("network"), f"{path}.network")
    if not statements and training is None and network is None and show is None:
        where.fail(path, "needs statements, training, network or show: Run step would do "
                         "nothing")
    question = _question(where, step.get("question"), f"{path}.question", training, network)
    return Step(
        title=title,
        text=text,
        statements=tuple(statements),
        show=show,
        expect=expect,
        instead=where.text(step, path, "instead", required=False),
        question=question,
        training=training,
        network=network,
    )


def _expect(where: _Where, data: Any, path: str, statements: list[str]) -> Expect | None:
    if data is None:
        return None
    expect = where.object(data, path, ("level", "text"))
    level = expect.get("level")
    if level not in MESSAGE_LEVELS:
        where.fail(f"{path}.level", f"must be one of {', '.join(MESSAGE_LEVELS)}")
    if not statements:
        where.fail(path, "a step that expects a message needs statements")
    return Expect(level, where.text(expect, path, "text"))


def _question(where: _Where, data: Any, path: str, training: TrainingStep | None,
              network: NetworkStep | None = None) -> Question | None:
    if data is None:
        return None
    q = where.object(data, path, ("prompt", "read", "explanation", "kind", "choices", "tolerance"))
    read_text = where.text(q, path, "read")
    try:
        read = parse_read(read_text)
    except ValueError as exc:
        where.fail(f"{path}.read", str(exc))
    if read.kind == "net" and (network is None or not network.start):
        where.fail(f"{path}.read", "net.* can only be read in a step that starts a network run")
    if read.kind == "run" and (training is None or not training.start):
        where.fail(f"{path}.read", "run.* can only be read in a step that starts a training run")
    kind = q.get("kind", "number")
    if kind not in QUESTION_KINDS:
        where.fail(f"{path}.kind", f"must be one of {', '.join(QUESTION_KINDS)}")
    choices = q.get("choices", [])
    if kind == "choice":
        if (not isinstance(choices, list) or len(choices) < 2
                or not all(isinstance(c, str) and c.strip() for c in choices)):
            where.fail(f"{path}.choices", "a choice question needs a list of at least 2 strings")
        if len(set(choices)) != len(choices):
            where.fail(f"{path}.choices", "has the same choice twice")
    elif "choices" in q:
        where.fail(f"{path}.choices", 'only a question of kind "choice" has choices')
    tolerance = q.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool)
                                  or not isinstance(tolerance, (int, float)) or tolerance < 0):
        where.fail(f"{path}.tolerance", "must be a number >= 0")
    return Question(
        prompt=where.text(q, path, "prompt"),
        read=read,
        read_text=read_text,
        explanation=where.text(q, path, "explanation"),
        kind=kind,
        choices=tuple(c.strip() for c in choices),
        tolerance=None if tolerance is None else float(tolerance),
    )


def _training(where: _Where, data: Any, path: str) -> TrainingStep | None:
    if data is None:
        return None
    t = where.object(data, path, ("settings", "data", "speed", "start", "watch"))
    settings = t.get("settings", {})
    where.object(settings, f"{path}.settings", tuple(TRAINING_SETTINGS))
    for key, value in settings.items():
        expected = TRAINING_SETTINGS[key]
        if isinstance(value, bool) and expected is not bool:
            where.fail(f"{path}.settings.{key}", "must be a number, not true/false")
        if not isinstance(value, expected):
            where.fail(f"{path}.settings.{key}", f"has the wrong type ({type(value).__name__})")
    if "optimizer" in settings and settings["optimizer"] not in OPTIMIZERS:
        where.fail(f"{path}.settings.optimizer", f"must be one of {', '.join(OPTIMIZERS)}")
    if "loss" in settings and settings["loss"] not in LOSSES:
        where.fail(f"{path}.settings.loss", f"must be one of {', '.join(LOSSES)}")
    # Every number within the range of the control that will show it (1e400 is inf: refused).
    for key in ("lr", "w0", "b0", "epochs", "batch_size"):
        if settings.get(key) is not None:
            why = out_of_range(key, settings[key])
            if why is not None:
                where.fail(f"{path}.settings.{key}", why)
    if "epochs" in settings and not 1 <= settings["epochs"] <= MAX_LESSON_EPOCHS:
        where.fail(f"{path}.settings.epochs", f"must be between 1 and {MAX_LESSON_EPOCHS:,}")
    if settings.get("batch_size") is not None and settings["batch_size"] < 1:
        where.fail(f"{path}.settings.batch_size", "must be at least 1, or null for the full batch")
    kinds = tuple(k for k in DATA_KINDS if k != "custom")  # custom points are the learner's
    if "data" in t and t["data"] not in kinds:
        where.fail(f"{path}.data", f"must be one of {', '.join(kinds)}")
    speed_given = "speed" in t
    speed = t.get("speed")
    if speed == "full":
        speed = None
    elif speed_given and (isinstance(speed, bool) or speed not in SPEEDS):
        offered = ", ".join(f"{s:g}" for s in SPEEDS if s is not None)
        where.fail(f"{path}.speed", f'must be "full" or one of {offered} (epochs per second)')
    start = t.get("start", False)
    if not isinstance(start, bool):
        where.fail(f"{path}.start", "must be true or false")
    return TrainingStep(
        settings=dict(settings),
        speed=None if speed is None else float(speed),
        speed_given=speed_given,
        data=t.get("data"),
        start=start,
        watch=where.text(t, path, "watch", required=False),
    )
