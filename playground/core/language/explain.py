"""Plain-language, one-line explanations of torch's messages for the pitfalls learners hit."""

from __future__ import annotations

# (substring of torch's text, what it means for a learner); first match wins.
_PITFALLS: tuple[tuple[str, str], ...] = (
    (
        "grad can be implicitly created only for scalar outputs",
        "backward() with no argument needs a single number; pass a gradient of the same shape "
        "(e.g. torch.ones_like(z)) or reduce first with .sum() or .mean().",
    ),
    (
        "Trying to backward through the graph a second time",
        "The first backward freed the graph's saved values; rebuild the graph or pass "
        "retain_graph=True to the first backward.",
    ),
    (
        "does not require grad and does not have a grad_fn",
        "Nothing this tensor came from requires grad, so there is no graph to go back through; "
        "set requires_grad=True on a leaf before computing.",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "Changing a leaf that requires grad in place would corrupt the graph; do the update "
        "inside `with torch.no_grad():` or on x.data.",
    ),
    (
        # torch words this differently for requires_grad= and .requires_grad_()
        "of floating point",
        "Gradients need fractional values: create the tensor as float32 or float64 "
        "(e.g. write 1.0 instead of 1).",
    ),
    (
        "you can only change requires_grad flags of leaf variables",
        "This tensor was computed from others, so its requires_grad follows them; use "
        ".detach() to get a new leaf you can change.",
    ),
    (
        "Mismatch in shape",
        "The gradient passed to backward() must have exactly the shape of the tensor you call "
        "it on.",
    ),
    (
        "is not a leaf Tensor is being accessed",
        "Only leaves keep .grad; call .retain_grad() on this tensor before backward() to keep "
        "its gradient too.",
    ),
    (
        "Mismatch in dtype",
        "The gradient passed to backward() must have the same dtype as the tensor (e.g. floats).",
    ),
    (
        "shapes cannot be multiplied",
        "For a @ b the last size of a must equal the first size of b.",
    ),
    (
        "must match the size of tensor",
        "These shapes cannot be broadcast together: sizes must match or be 1, from the right.",
    ),
)


def explain(text: str) -> str:
    """One line saying what torch's `text` means for a learner, or "" when we have nothing."""
    lowered = text.lower()
    for needle, explanation in _PITFALLS:
        if needle.lower() in lowered:
            return explanation
    return ""
