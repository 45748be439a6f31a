"""What one line of the Tensor Lab may cost, and how a refused line is undone cheaply.

The interpreter asks here before every operation: how big its result will be (torch's meta
device computes the shape without allocating, whatever form the sizes were given in), how much
memory is held at once (named tensors, their grads, what autograd graphs keep for backward,
unnamed temporaries), and how much work the line has done. A Snapshot taken before the line
restores the names, grads and RNG when it fails, so only the rare line that changed tensor
data in place before failing needs the log replayed.
"""

from __future__ import annotations

import math
import re
import warnings
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.core.language.grammar import Refused
from playground.core.limits import BACKWARD_NODE_WORK, MACS_PER_UNIT, MAX_BACKWARD_NODES

META = torch.device("meta")
# torch errors raised by backward() before the engine touches any .grad or frees any graph.
BACKWARD_PRECHECK_ERRORS = (
    "grad can be implicitly created only for scalar outputs",
    "does not require grad and does not have a grad_fn",
    "Mismatch in shape",
    "Mismatch in dtype",
)


class GraphLedger:
    """Elements autograd holds for backward, per distinct storage, while the graphs live."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.sizes: dict[int, int] = {}
        self.total = 0

    def add(self, key: int, elements: int) -> None:
        """A saved tensor on storage `key` became alive."""
        if key in self.counts:
            self.counts[key] += 1
            return
        self.counts[key] = 1
        self.sizes[key] = elements
        self.total += elements

    def remove(self, key: int) -> None:
        """A saved tensor on storage `key` was freed with its graph."""
        count = self.counts.get(key, 0) - 1
        if count > 0:
            self.counts[key] = count
        elif key in self.counts:
            del self.counts[key]
            self.total -= self.sizes.pop(key)


class _Saved:
    """One tensor a graph saved: counted in the ledger until the graph lets go of it.

    With hooks installed torch no longer checks that a saved tensor was not changed in place
    before backward uses it, so `unpack` makes that check, with torch's own words.
    """

    __slots__ = ("__weakref__", "key", "ledger", "source", "tensor", "version")

    def __init__(self, tensor: torch.Tensor, ledger: GraphLedger) -> None:
        # A detached alias (same storage and version counter): returning the tensor itself
        # would tie an output to its own grad_fn in a cycle Python cannot collect.
        self.tensor = tensor.detach()
        self.version = tensor._version
        fn = tensor.grad_fn  # only its name is kept: holding the node would make a cycle too
        shape = ", ".join(str(n) for n in tensor.shape)
        self.source = f"[{tensor.type()} [{shape}]]"
        if fn is not None:
            self.source += (f", which is output {tensor.output_nr} of "
                            f"{re.sub(r'Backward[0-9]*$', '', type(fn).__name__)},")
        self.ledger = ledger
        self.key, elements = storage_of(tensor)
        ledger.add(self.key, elements)

    def __del__(self) -> None:
        self.ledger.remove(self.key)

    def unpack(self) -> torch.Tensor:
        """The saved tensor, or torch's in-place error if it changed since it was saved."""
        now = self.tensor._version
        if now != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {self.source} is at version {now}; expected version "
                f"{self.version} instead. Hint: enable anomaly detection to find the operation "
                "that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False).")
        return self.tensor


def saved_tensor_hooks(ledger: GraphLedger) -> torch.autograd.graph.saved_tensors_hooks:
    """A context in which every tensor autograd saves for backward is counted in `ledger`."""
    return torch.autograd.graph.saved_tensors_hooks(
        lambda tensor: _Saved(tensor, ledger), _Saved.unpack)


def storage_of(tensor: torch.Tensor) -> tuple[int, int]:
    """(a key for the tensor's memory, how many of its elements that memory holds)."""
    storage = tensor.untyped_storage()
    return storage.data_ptr(), storage.nbytes() // max(tensor.element_size(), 1)


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return torch.empty_like(value, device=META)
    return value


def output_size(fn: Callable[..., Any], args: Iterable[Any], kwargs: dict[str, Any]
                ) -> tuple[int, int] | None:
    """(elements, most dimensions) of what `fn(*args, **kwargs)` returns, found on the meta
    device without allocating; None when torch cannot tell that way (it will say why itself)."""
    meta_args = [_to_meta(a) for a in args]
    meta_kwargs = {k: _to_meta(v) for k, v in kwargs.items() if k != "generator"}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*meta_args, **meta_kwargs)
    except Exception:  # any failure here only means the real call must report it
        return None
    tensors = [out] if isinstance(out, torch.Tensor) else [
        o for o in (out if isinstance(out, tuple) else ()) if isinstance(o, torch.Tensor)]
    if not tensors:
        return 0, 0
    return sum(t.numel() for t in tensors), max(t.dim() for t in tensors)


@dataclass(frozen=True)
class Held:
    """Elements held at one moment, by kind (each storage counted once)."""

    named: int  # named tensors and their grads
    graphs: int  # saved for backward by autograd graphs
    temporaries: int  # unnamed results still alive inside the statement

    @property
    def total(self) -> int:
        """All of them."""
        return self.named + self.graphs + self.temporaries


def memory_refusal(what: str, now: Held, extra: int, limit: int, holders: list[str]) -> str:
    """Why `what` cannot hold `extra` more elements on top of `now`, and what frees memory."""
    parts = [f"named tensors and grads {now.named:,}"]
    if now.graphs:
        parts.append(f"saved by autograd graphs for backward {now.graphs:,}")
    if now.temporaries + extra:
        parts.append(f"this step {now.temporaries + extra:,}")
    text = (f"{what} would hold {now.total + extra:,} elements in all ({', '.join(parts)}); "
            f"the limit is {limit:,}, to keep the machine usable.")
    if now.graphs and holders:
        return text + (
            f" To free graph memory call backward() on {', '.join(holders)} (backward "
            "frees the graph it goes through), rebind those names, or compute under "
            "`with torch.no_grad():` or from .detach().")
    if now.graphs:
        return text + (" Most of it is this statement's own graph: compute it under "
                       "`with torch.no_grad():`, from .detach(), or on smaller tensors.")
    return text + (" Rebind a name to a smaller tensor, set grads to None, or start a new "
                   "session with File > New.")


def state_tensors(tensors: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The named tensors and the grads they keep (a non-leaf's only when it retains it)."""
    out = []
    for tensor in tensors.values():
        out.append(tensor)
        grad = tensor.grad if (tensor.is_leaf or tensor.retains_grad) else None
        if grad is not None:
            out.append(grad)
    return out


def held(tensors: dict[str, torch.Tensor], ledger: GraphLedger,
         temporaries: Iterable[torch.Tensor] = ()) -> Held:
    """What the names, the graphs and the given temporaries hold together."""
    seen: dict[int, int] = {}
    for tensor in state_tensors(tensors):
        key, elements = storage_of(tensor)
        if key not in ledger.counts:
            seen[key] = elements
    named = sum(seen.values())
    extra = 0
    for tensor in temporaries:
        key, elements = storage_of(tensor)
        if key not in ledger.counts and key not in seen:
            seen[key] = elements
            extra += elements
    return Held(named, ledger.total, extra)


@dataclass
class Snapshot:
    """The state before a line: restoring it is cheap unless tensor data changed in place."""

    names: dict[str, torch.Tensor]
    rng: torch.Tensor
    keys: set[int]  # storages of the named tensors and grads: in-place writes there are final
    journal: list[tuple[torch.Tensor, str, Any]] = field(default_factory=list)
    dirty: bool = False  # something that cannot be put back happened; replay instead

    @classmethod
    def take(cls, tensors: dict[str, torch.Tensor], generator: torch.Generator) -> Snapshot:
        """Remember the bindings, the RNG and which memory belongs to the state."""
        keys = {storage_of(t)[0] for t in state_tensors(tensors)}
        return cls(dict(tensors), generator.get_state(), keys)

    def touches_state(self, tensor: torch.Tensor) -> bool:
        """True when writing into `tensor` writes into a named tensor or a grad."""
        return storage_of(tensor)[0] in self.keys

    def set_attr(self, tensor: torch.Tensor, attr: str, value: Any) -> None:
        """setattr, remembering the old value so restore can put it back."""
        old = getattr(tensor, attr)
        setattr(tensor, attr, value)
        self.journal.append((tensor, attr, old))

    def restore(self, tensors: dict[str, torch.Tensor], generator: torch.Generator) -> bool:
        """Put the state back; False when only a replay can (data changed in place)."""
        if self.dirty:
            return False
        try:
            for tensor, attr, old in reversed(self.journal):
                setattr(tensor, attr, old)
        except (RuntimeError, TypeError):
            return False
        tensors.clear()
        tensors.update(self.names)
        generator.set_state(self.rng)
        return True


def weak_alive(refs: list[weakref.ref]) -> list[torch.Tensor]:
    """The tensors in `refs` that are still alive (dead references are dropped in place)."""
    alive = [t for ref in refs if (t := ref()) is not None]
    refs[:] = [weakref.ref(t) for t in alive]
    return alive


def _macs(fn: Any) -> float:
    """Multiply-adds backward repeats at a matrix-product node: one product per operand that
    needs a gradient, each as big as the forward one."""
    name = type(fn).__name__
    if name not in ("MmBackward0", "BmmBackward0", "AddmmBackward0", "MvBackward0",
                    "DotBackward0", "AddmvBackward0", "BaddbmmBackward0"):
        return 0.0
    a = getattr(fn, "_saved_self_sym_sizes", None) or getattr(fn, "_saved_mat1_sym_sizes", None)
    b = (getattr(fn, "_saved_mat2_sym_sizes", None) or getattr(fn, "_saved_vec_sym_sizes", None)
         or getattr(fn, "_saved_batch2_sym_sizes", None))
    if name == "DotBackward0":
        saved = getattr(fn, "_saved_self", None)
        forward = float(saved.numel()) if isinstance(saved, torch.Tensor) else 0.0
    elif a is None or b is None:
        forward = 0.0
    else:
        forward = float(math.prod(a)) * float(b[-1])  # (..., n, k) @ (k, m): n*k*m per batch
    needing = sum(1 for next_fn, _ in fn.next_functions if next_fn is not None)
    return forward * max(needing, 1)


def backward_work(root: Any, budget: float) -> float:
    """Work units a backward from the node `root` does: per node, the engine's own cost, the
    gradient elements flowing in and out, and the matrix products it repeats.

    The walk stops once the sum passes `budget` (the caller then refuses), or Refused when the
    graph has more than MAX_BACKWARD_NODES nodes, so pricing never costs more than running.
    """
    if root is None:
        return 0.0
    total = 0.0
    seen = {root}
    stack = [root]
    while stack:
        fn = stack.pop()
        if len(seen) > MAX_BACKWARD_NODES:
            raise Refused(f"This backward would run more than {MAX_BACKWARD_NODES:,} graph "
                          "nodes; call backward on a smaller part of the graph.")
        grads = sum(math.prod(meta.shape) for meta in getattr(fn, "_input_metadata", ()))
        total += BACKWARD_NODE_WORK + 2 * grads + _macs(fn) / MACS_PER_UNIT
        if total > budget:
            return total
        for next_fn, _ in fn.next_functions:
            if next_fn is not None and next_fn not in seen:
                seen.add(next_fn)
                stack.append(next_fn)
    return total
