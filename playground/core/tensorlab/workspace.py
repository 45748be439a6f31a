"""The Tensor Lab's model: named tensors plus the ordered log of statements that built them.

Every change goes through `Workspace.run(source)`: the GUI's buttons, typed lines, undo/redo
(replaying the log), lessons and sessions all use this one pipe, so whatever the learner sees
happen can be typed, saved and exported as the same line.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from playground.core.events import Event
from playground.core.language import interpreter
from playground.core.language.allocator import give_back, tune_allocator
from playground.core.language.explain import explain
from playground.core.language.interpreter import ALLOWED, Env, Refused
from playground.core.limits import (
    LOAD_WORK_BUDGET,
    MAX_ELEMENTS,
    MAX_PRINTED_CHARS,
    STATEMENT_WORK,
    TOTAL_ELEMENTS_FACTOR,
    TRIM_AFTER_WORK,
)
from playground.core.tensorlab import statements
from playground.core.tensorlab.history import GradHistories, GradRecord, to_numpy
from playground.core.tensorlab.replay import CANCELLED, Replay, run_here

__all__ = ["CANCELLED", "SEED_STATEMENT", "GradRecord", "Message", "Replay", "RunResult",
           "TensorFacts", "TensorSummary", "Workspace"]

SEED_STATEMENT = "torch.manual_seed(0)"


@dataclass(frozen=True)
class Message:
    """Something to tell the learner: torch's (or our) text plus a plain-language explanation."""

    level: Literal["error", "warning"]
    text: str
    explanation: str = ""


@dataclass(frozen=True)
class TensorMeta:
    """Metadata of one named tensor, read without touching its values."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # e.g. "float32"
    requires_grad: bool
    is_leaf: bool
    retains_grad: bool
    grad_fn: str | None  # class name such as "AddBackward0", or None


def _meta(name: str, t: torch.Tensor) -> dict[str, Any]:
    return {"name": name, "shape": tuple(t.shape), "dtype": str(t.dtype).removeprefix("torch."),
            "requires_grad": t.requires_grad, "is_leaf": t.is_leaf,
            "retains_grad": t.retains_grad,
            "grad_fn": None if t.grad_fn is None else type(t.grad_fn).__name__}


@dataclass(frozen=True)
class TensorSummary(TensorMeta):
    """What the list, hints and enabling need about one tensor: metadata only, no value copies."""

    has_grad: bool  # .grad is not None (read only where torch does not warn)


@dataclass(frozen=True)
class TensorFacts(TensorMeta):
    """Plain copies of what the views show about one named tensor (no live tensors)."""

    values: np.ndarray  # a numpy copy of the values
    grad: np.ndarray | None  # a numpy copy of .grad, or None

    @property
    def has_grad(self) -> bool:
        """.grad is not None (the same question TensorSummary answers)."""
        return self.grad is not None




@dataclass
class RunResult:
    """What running one log entry did."""

    ok: bool
    source: str  # the normalised code that was (or would have been) logged
    messages: list[Message] = field(default_factory=list)
    assigned: list[str] = field(default_factory=list)  # names bound, in order
    output: str | None = None  # repr of an expression statement's value, if not None


@dataclass
class _State:
    """Everything replaying the log rebuilds: tensors, RNG, grad history and printed output."""

    env: Env
    history: GradHistories = field(default_factory=GradHistories)
    printed: list[str] = field(default_factory=list)  # what the log's print(...) calls wrote
    printed_chars: int = 0

    def add_printed(self, texts: list[str]) -> None:
        """Keep what print() wrote, the newest MAX_PRINTED_CHARS characters of it."""
        self.printed.extend(texts)
        self.printed_chars += sum(len(t) for t in texts)
        if self.printed_chars <= MAX_PRINTED_CHARS:
            return
        note = "... (earlier printed output not kept)"
        kept: list[str] = []
        size = 0
        for text in reversed(self.printed):
            if text == note or size + len(text) > MAX_PRINTED_CHARS // 2:
                break
            kept.append(text)
            size += len(text)
        self.printed = [note, *reversed(kept)]
        self.printed_chars = size + len(note)


class Workspace:
    """Named tensors built by a log of statements; every change is `run(source)` (one pipe).

    Every replay of the log goes through `replayer` (by default `run_here`): the window sets
    one that runs it on a worker thread with a progress bar and Cancel, so a long Undo or Open
    never freezes the window (ui/window/replay_progress.py).
    """

    def __init__(self, max_elements: int = MAX_ELEMENTS) -> None:
        self.max_elements = max_elements
        # log_changed: tensors, grads or the log changed; current_changed: only the focus moved.
        # `changed` follows either one (for listeners that do not care which).
        self.log_changed = Event()
        self.current_changed = Event()
        self.changed = Event()
        tune_allocator()  # freed tensors go back to the system (allocator.py says why)
        self.replayer: Callable[[Replay], None] = run_here
        self.last_result: RunResult | None = None
        self._log: list[str] = []
        self._state: _State
        self._redo: list[str] = []
        self._previous: list[str] | None = None  # the log New or a load last replaced
        self._current: str | None = None
        self._set_log([SEED_STATEMENT])

    # -- reading --

    @property
    def log(self) -> list[str]:
        """A copy of the entries; log[0] is always the seed statement."""
        return list(self._log)

    @property
    def names(self) -> list[str]:
        """Names bound to tensors, in the order they were first bound."""
        return list(self._state.env.tensors)

    @property
    def current(self) -> str | None:
        """The tensor the views focus on (the last one assigned, or the one picked)."""
        return self._current

    @current.setter
    def current(self, name: str | None) -> None:
        if name is not None and name not in self._state.env.tensors:
            raise KeyError(f"No tensor named {name!r}")
        if name != self._current:
            self._current = name
            self.current_changed.emit()
            self.changed.emit()

    def tensor(self, name: str) -> torch.Tensor:
        """The live tensor (for the core and tests; views should prefer `facts`)."""
        return self._state.env.tensors[name]

    def facts(self, name: str, *, copy: bool = True) -> TensorFacts:
        """One tensor's values and autograd flags for the views: plain copies, or with
        `copy=False` read-only numpy views of the live memory, valid until the next
        `log_changed` (a 9-million-element tensor is then shown without copying 36 MB)."""
        t = self.tensor(name)
        grad = t.grad if (t.is_leaf or t.retains_grad) else None  # non-leaf .grad would warn
        return TensorFacts(
            **_meta(name, t),
            values=to_numpy(t, copy),
            grad=None if grad is None else to_numpy(grad, copy),
        )

    def summary(self, name: str) -> TensorSummary:
        """Metadata of one tensor (cheap at any size: nothing is copied)."""
        t = self.tensor(name)
        grad = t.grad if (t.is_leaf or t.retains_grad) else None  # non-leaf .grad would warn
        return TensorSummary(**_meta(name, t), has_grad=grad is not None)

    def summaries(self) -> list[TensorSummary]:
        """Every named tensor's metadata, in list order."""
        return [self.summary(n) for n in self._state.env.tensors]

    def grad_history(self, name: str) -> list[GradRecord]:
        """The leaf's .grad after each log entry that changed it (a staircase when accumulating)."""
        return self._state.history.of(name)

    def leaves_with_grad(self) -> list[str]:
        """Leaves whose .grad is not None (what Zero grads and the export touch)."""
        return [n for n, t in self._state.env.tensors.items() if t.is_leaf and t.grad is not None]

    @property
    def can_undo(self) -> bool:
        """True when there is an entry after the seed to undo."""
        return len(self._log) > 1

    @property
    def can_redo(self) -> bool:
        """True when an undone entry is waiting to be redone."""
        return bool(self._redo)

    # -- changing --

    def run(self, source: str, *, no_grad: bool = False) -> RunResult:
        """Check and run `source` as one log entry; on failure nothing changes at all."""
        result = self._run(source, no_grad=no_grad)
        if result.ok:
            self._redo.clear()
        return result

    def _run(self, source: str, *, no_grad: bool = False, emit: bool = True) -> RunResult:
        text = source.strip()
        try:
            tree, text = interpreter.parse(source, no_grad=no_grad)
            interpreter.check(tree, self._state.env.tensors, self.max_elements)
        except Refused as exc:
            # Detected before anything ran: no replay needed.
            return self._finish(RunResult(False, text, [Message("error", str(exc), ALLOWED)]))
        step = len(self._log)
        outcome, messages = _execute(self._state, tree, step)
        if outcome is None:
            # The interpreter put the state back from its snapshot; only when tensor data had
            # changed in place before the failure must the log be replayed.
            if not self._state.env.restored:
                self._set_log(self._log)
            return self._finish(RunResult(False, text, messages))
        self._log.append(text)
        if outcome.assigned:
            self._current = outcome.assigned[-1]
        output = "\n".join(outcome.outputs) if outcome.outputs else None
        result = RunResult(True, text, messages, list(outcome.assigned), output)
        return self._finish(result, emit=emit)

    @property
    def max_total_elements(self) -> int:
        """What all named tensors and their .grads may hold together."""
        return TOTAL_ELEMENTS_FACTOR * self.max_elements

    def _finish(self, result: RunResult, emit: bool = False) -> RunResult:
        self.last_result = result
        if emit:
            self._emit_log_changed()
        return result

    def _emit_log_changed(self) -> None:
        self.log_changed.emit()
        self.changed.emit()

    @property
    def can_restore(self) -> bool:
        """True when New or a load replaced a session that restore_previous() can bring back."""
        return self._previous is not None

    def reset(self) -> None:
        """File > New: back to only the seed entry (the old log is kept for restore_previous)."""
        self._keep_previous()
        self._set_log([SEED_STATEMENT])
        self._redo.clear()
        self._current = None
        self.last_result = None
        self._emit_log_changed()

    def load(self, entries: list[str], *, work_budget: float | None = LOAD_WORK_BUDGET
             ) -> RunResult:
        """Replace the log (a saved session); all or nothing, and within `work_budget`
        element operations in all (a file from someone else cannot freeze the window)."""
        entries = [e for e in entries if e.strip()]
        if not entries or _normalised(entries[0]) != SEED_STATEMENT:
            entries = [SEED_STATEMENT, *entries]
        too_many = _too_many_statements(entries, work_budget)
        if too_many is not None:
            return self._finish(too_many)
        replay = Replay(lambda r: self._replay(entries, work_budget, r), entries, True)
        self.replayer(replay)
        state, failure = replay.state, replay.failure
        if replay.cancelled:
            return self._finish(RunResult(False, "", [Message("error", CANCELLED)]))
        if state is None or failure is not None:
            return self._finish(failure or RunResult(False, ""))
        state.env.total_work_budget = None  # the cap was for opening; typed lines have their own
        self._keep_previous()
        self._state = state
        self._log = [interpreter.parse(e)[1] for e in entries]
        self._redo.clear()
        names = self.names
        self._current = names[-1] if names else None
        return self._finish(RunResult(True, "\n".join(self._log), assigned=names), emit=True)

    def restore_previous(self) -> bool:
        """Bring back the session New or a load replaced; the replacing one can come back too."""
        previous, self._previous = self._previous, None
        if previous is None:
            return False
        # keeps the log it replaces, so this is reversible; the user's own work is not capped
        result = self.load(previous, work_budget=None)
        if not result.ok:  # only a torch upgrade could make a logged session fail
            self._previous = previous
        return result.ok

    def _keep_previous(self) -> None:
        # A session of only the seed is not worth restoring over a real one.
        if len(self._log) > 1:
            self._previous = list(self._log)

    def undo(self) -> bool:
        """Drop the last entry (onto the redo stack) and replay the rest."""
        if not self.can_undo:
            return False
        last = self._log[-1]
        if not self._set_log(self._log[:-1], cancellable=True):
            return False  # cancelled: nothing changed
        self._redo.append(last)
        self._keep_current()
        self.last_result = None  # its output belonged to the entry just undone
        self._emit_log_changed()
        return True

    def redo(self) -> bool:
        """Re-run the last undone entry."""
        if not self._redo:
            return False
        entry = self._redo.pop()
        current = self._current
        result = self._run(entry, emit=False)  # emit once below, with can_redo already updated
        if not result.ok:
            self._redo.append(entry)
            return False
        self._current = current
        self._keep_current()
        self._emit_log_changed()
        return True

    def _keep_current(self) -> None:
        names = self.names
        if self._current not in names:
            self._current = names[-1] if names else None

    def _set_log(self, entries: list[str], cancellable: bool = False) -> bool:
        """Rebuild the state from `entries`; False when the replay was cancelled."""
        if len(entries) == 1:  # only the seed: nothing worth a thread
            state, failure = self._replay(entries)
        else:
            replay = Replay(lambda r: self._replay(entries, None, r), entries, cancellable)
            self.replayer(replay)
            if replay.cancelled:
                return False
            state, failure = replay.state, replay.failure
        if state is None:  # entries that ran once run again: only a torch change could get here
            raise RuntimeError(f"Replaying the log failed: {failure}")
        self._state = state
        self._log = list(entries)
        give_back()
        return True

    def _replay(self, entries: list[str], work_budget: float | None = None,
                progress: Replay | None = None) -> tuple[_State | None, RunResult | None]:
        """Run `entries` from scratch into a fresh state; (None, why) on the first failure
        or when `progress` was cancelled."""
        state = _State(Env(generator=torch.Generator(), max_elements=self.max_elements,
                           max_total_elements=self.max_total_elements,
                           total_work_budget=work_budget))
        if progress is not None:
            progress.env = state.env
        for step, entry in enumerate(entries):
            if progress is not None:
                progress.done = step
                if progress.cancelled:
                    return None, RunResult(False, "", [Message("error", CANCELLED)])
            try:
                tree, text = interpreter.parse(entry)
                interpreter.check(tree, state.env.tensors, self.max_elements)
            except Refused as exc:
                message = Message("error", f"Entry {step + 1}: {exc}", ALLOWED)
                return None, RunResult(False, entry.strip(), [message])
            outcome, messages = _execute(state, tree, step)  # a session obeys the same limits
            if outcome is None:
                msgs = [
                    Message(m.level, f"Entry {step + 1}: {m.text}", m.explanation) for m in messages
                ]
                return None, RunResult(False, text, msgs)
        return state, None

    # -- export --

    def printout(self) -> str:
        """What the exported script (export/tensorlab_script.py) prints when plain python runs
        it: the log's own prints, then every tensor and every leaf's grad, formatted alike."""
        with_grad = set(self.leaves_with_grad())
        lines = list(self._state.printed)
        for name, tensor in self._state.env.tensors.items():
            lines.append(f"{name} = {tensor!s}")  # format() of a 0-d tensor drops "tensor("
            if name in with_grad:
                lines.append(f"{name}.grad = {tensor.grad!s}")
        return "".join(line + "\n" for line in lines)

    def create_source(
        self,
        name: str,
        shape_text: str,
        init: str,
        values_text: str,
        dtype: str,
        requires_grad: bool,
    ) -> str:
        """The statement for the "create a leaf" form (ValueError names the bad field)."""
        return statements.create(name, shape_text, init, values_text, dtype, requires_grad)

    def backward_source(self, name: str, gradient: str = "", retain_graph: bool = False) -> str:
        """The statement for the Backward button on `name` (`gradient` may name a tensor)."""
        return statements.backward(name, gradient, retain_graph, self.names)


# Where a statement starts: after a ';' or a line break, at something other than a space.
_STATEMENT_START = re.compile(r"[;\n]\s*[^\s;]")


def _too_many_statements(entries: list[str], work_budget: float | None) -> RunResult | None:
    """Refuse, before parsing anything, entries whose statements alone cost more than
    `work_budget` (STATEMENT_WORK each): 500,000 tiny statements would otherwise be parsed and
    run for half a minute before the budget stopped them."""
    if work_budget is None:
        return None
    count = sum(1 + len(_STATEMENT_START.findall(e.strip())) for e in entries)
    if count * STATEMENT_WORK <= work_budget:
        return None
    text = (f"This session holds about {count:,} statements; opening may run "
            f"{int(work_budget // STATEMENT_WORK):,} (each costs the interpreter's own time "
            "even when it computes little), so it is not loaded and the window stays responsive.")
    return RunResult(False, "", [Message("error", text)])


def _normalised(entry: str) -> str:
    try:
        return interpreter.parse(entry)[1]
    except Refused:
        return entry.strip()


def _execute(
    state: _State, tree: ast.Module, step: int
) -> tuple[interpreter.Outcome | None, list[Message]]:
    """Run a checked tree, turning warnings and errors into Messages; outcome None on failure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = interpreter.execute(tree, state.env)
        except Refused as exc:  # a runtime guard (size, non-tensor): its text says it all
            give_back()  # what the refused step had made is free now
            return None, [Message("error", str(exc))]
        except Exception as exc:  # torch's (or Python's) own error: keep its text verbatim
            give_back()
            text = str(exc) or type(exc).__name__
            return None, [Message("error", text, explain(text))]
    state.history.record(state.env.tensors, step)
    state.add_printed(outcome.printed)
    if outcome.work > TRIM_AFTER_WORK:
        give_back()
    messages: list[Message] = []
    for warning in caught:
        text = str(warning.message)
        if all(m.text != text for m in messages):
            messages.append(Message("warning", text, explain(text)))
    return outcome, messages
