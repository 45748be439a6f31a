"""Record a real backward node by node, then play the recording one step at a time.

Hooks go on every node of the graph before backward starts (torch's own backward runs, so what
is shown is what happened, not a re-derivation): a pre-hook
(`Node.register_prehook`) sees the gradient flowing in, a post-hook (`Node.register_hook`) what
flows out, and `Tensor.register_post_accumulate_grad_hook` the leaf's new `.grad`. Each hook has
its node's key bound in when registered (id() of a grad_fn is not stable during backward), copies
only plain numbers, never calls backward, and every handle is removed afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from playground.core.graph.build import walk_functions
from playground.core.language.costs import backward_work
from playground.core.language.grammar import Refused
from playground.core.limits import RECORDING_BYTES, STEP_COPY_LIMIT, WORK_BUDGET


@dataclass(frozen=True)
class GradCopy:
    """A plain copy of one gradient: whole when small, else its shape, mean and first values."""

    shape: tuple[int, ...]
    values: np.ndarray | None  # the whole gradient (None when over STEP_COPY_LIMIT)
    mean: float
    head: tuple[float, ...]  # the first few values, always there

    @classmethod
    def of(cls, t: torch.Tensor | None, whole: bool = True) -> GradCopy | None:
        """Copy `t` (None stays None) without keeping the tensor; the values only when
        `whole` and small."""
        if t is None:
            return None
        t = t.detach()
        flat = t.reshape(-1)
        head = tuple(float(v) for v in flat[:4].tolist())
        mean = float(flat.double().mean()) if flat.numel() else 0.0
        values = t.cpu().numpy().copy() if whole and t.numel() <= STEP_COPY_LIMIT else None
        return cls(tuple(t.shape), values, mean, head)

    @property
    def nbytes(self) -> int:
        """Bytes of the values kept (0 for a summary)."""
        return 0 if self.values is None else int(self.values.nbytes)

    def text(self) -> str:
        """A short reading such as "(3,) [1, 2, 3]" for the step label."""
        shape = str(self.shape)
        if not self.shape:
            return f"{self.head[0]:.4g}" if self.head else "?"
        more = ", ..." if int(np.prod(self.shape)) > len(self.head) else ""
        return shape + " [" + ", ".join(f"{v:.4g}" for v in self.head) + more + "]"


@dataclass
class BackwardStep:
    """One node run by autograd: what arrived (grad_outputs) and what it sent on (grad_inputs)."""

    index: int
    key: str  # the node's key in the graph (f"f{i}" in walk_functions order)
    name: str  # torch's class name, e.g. "MulBackward0", "AccumulateGrad"
    grads_in: tuple[GradCopy | None, ...] = ()
    grads_out: tuple[GradCopy | None, ...] = ()
    leaf: str | None = None  # AccumulateGrad: the leaf's workspace name ("" when unnamed)
    grad_before: GradCopy | None = None  # AccumulateGrad: the leaf's .grad before this step
    grad_after: GradCopy | None = None  # and after it

    def text(self) -> str:
        """The step label: class name, gradients in and out (and the leaf's .grad growing)."""
        ins = ", ".join("None" if g is None else g.text() for g in self.grads_in)
        parts = [f"{self.index + 1}. {self.name}", f"in: {ins or '-'}"]
        if self.name == "AccumulateGrad":
            who = self.leaf or "leaf"
            before = "None" if self.grad_before is None else self.grad_before.text()
            after = "None" if self.grad_after is None else self.grad_after.text()
            parts.append(f"{who}.grad: {before} → {after}")
        else:
            outs = ", ".join("None" if g is None else g.text() for g in self.grads_out)
            parts.append(f"out: {outs or '-'}")
        return "   ".join(parts)


@dataclass
class BackwardRecording:
    """The steps of one real backward, in the order autograd ran them."""

    root: str
    steps: list[BackwardStep] = field(default_factory=list)


def record_backward(root_tensor: torch.Tensor, run: Callable[[], Any],
                    names: dict[int, str] | None = None, root: str = "") -> tuple[Any,
                                                                               BackwardRecording]:
    """Hook every node behind `root_tensor`, call `run()` (which runs the real backward, e.g.
    through the workspace's statement pipe), remove the hooks, and return run's result with the
    recording. `names` maps id() of leaves to workspace names."""
    names = names or {}
    recording = BackwardRecording(root)
    kept = [0]  # bytes of whole copies so far: past RECORDING_BYTES only summaries are kept

    def copy(g: torch.Tensor | None) -> GradCopy | None:
        result = GradCopy.of(g, kept[0] < RECORDING_BYTES)
        if result is not None:
            kept[0] += result.nbytes
        return result

    open_steps: dict[str, BackwardStep] = {}
    handles: list[Any] = []
    fns = walk_functions(root_tensor.grad_fn)

    def on_pre(key: str, name: str, leaf: torch.Tensor | None) -> Callable[..., None]:
        def hook(grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
            step = BackwardStep(len(recording.steps), key, name,
                                tuple(copy(g) for g in grad_outputs))
            if leaf is not None:
                step.leaf = names.get(id(leaf), "")
                step.grad_before = copy(leaf.grad)
            recording.steps.append(step)
            open_steps[key] = step
        return hook

    def on_post(key: str) -> Callable[..., None]:
        def hook(grad_inputs: tuple[torch.Tensor | None, ...], _grad_outputs: Any) -> None:
            step = open_steps.get(key)
            if step is not None:
                step.grads_out = tuple(copy(g) for g in grad_inputs)
        return hook

    def on_accumulated(key: str) -> Callable[[torch.Tensor], None]:
        def hook(leaf: torch.Tensor) -> None:
            step = open_steps.get(key)
            if step is not None:
                step.grad_after = copy(leaf.grad)
        return hook

    try:
        for i, fn in enumerate(fns):
            key = f"f{i}"  # bound into the hooks now: id(fn) may be reused during backward
            name = type(fn).__name__
            leaf = getattr(fn, "variable", None) if name == "AccumulateGrad" else None
            handles.append(fn.register_prehook(on_pre(key, name, leaf)))
            handles.append(fn.register_hook(on_post(key)))
            # A leaf switched to requires_grad=False after the graph was built keeps its
            # AccumulateGrad node, but torch refuses a hook on it (and accumulates nothing).
            if isinstance(leaf, torch.Tensor) and leaf.requires_grad:
                handles.append(leaf.register_post_accumulate_grad_hook(on_accumulated(key)))
        result = run()
    finally:
        for handle in handles:
            handle.remove()
        del fns
    return result, recording


@dataclass
class BackwardPlayer:
    """Plays a recording: position 0 is before the first step, len(steps) after the last."""

    recording: BackwardRecording
    position: int = 0

    @property
    def steps(self) -> list[BackwardStep]:
        return self.recording.steps

    @property
    def done(self) -> bool:
        """True once every step has been shown."""
        return self.position >= len(self.steps)

    @property
    def current(self) -> BackwardStep | None:
        """The step just shown (None before the first)."""
        return self.steps[self.position - 1] if self.position > 0 else None

    def step(self) -> BackwardStep | None:
        """Show the next step; None when there is none left."""
        if self.done:
            return None
        self.position += 1
        return self.current

    def rewind(self) -> None:
        """Back to the start: no node has run yet."""
        self.position = 0

    def leaf_grads(self) -> dict[str, GradCopy | None]:
        """Each AccumulateGrad node's leaf .grad as seen at this position (graph key -> copy):
        its value before backward until its step is shown, then what that step left."""
        shown: dict[str, GradCopy | None] = {}
        for i, step in enumerate(self.steps):
            if step.name != "AccumulateGrad":
                continue
            if i < self.position:
                shown[step.key] = step.grad_after
            else:
                shown.setdefault(step.key, step.grad_before)
        return shown

    def visited(self) -> set[str]:
        """Keys of the nodes already run at this position."""
        return {s.key for s in self.steps[: self.position]}



def record_workspace_backward(ws: Any, name: str, gradient: str = "",
                              retain_graph: bool = False) -> tuple[Any, BackwardRecording]:
    """Run `name`'s backward through the workspace's statement pipe (so the log, undo and export
    stay true) with every node hooked; returns (RunResult, recording). ValueError: bad gradient."""
    source = ws.backward_source(name, gradient, retain_graph)
    root = ws.tensor(name)
    try:
        priced = backward_work(root.grad_fn, WORK_BUDGET)
    except Refused:
        priced = math.inf
    if priced > WORK_BUDGET:  # the pipe refuses it anyway: hooking 20,000 nodes first took 4 s
        return ws.run(source), BackwardRecording(name)
    names: dict[int, str] = {}
    for n in ws.names:
        names.setdefault(id(ws.tensor(n)), n)
    return record_backward(ws.tensor(name), lambda: ws.run(source), names, name)
