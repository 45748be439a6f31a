"""The Network Lab as a plain PyTorch script: the data, the network and the training rule.

The script holds the split points as literals (exactly the float32 values the lab trained on),
builds the network right after torch.manual_seed(seed), trains by the rule in
docs/network_lab.md and prints every epoch's train and test loss, so running it prints the
numbers the lab plotted. Nothing but torch is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playground.core.network.config import ACTIVATIONS, FEATURES, NetConfig
from playground.core.network.datasets import DataSettings
from playground.core.training.tables import OPTIMIZER_SPECS


def _rows(a: np.ndarray) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(repr(float(v)) for v in a) + "]"
    return "[" + ",\n    ".join("[" + ", ".join(repr(float(v)) for v in row) + "]"
                                for row in a) + "]"


def network_script(data: DataSettings, config: NetConfig, *, epochs: int | None = None,
                   lr_changes: dict[int, float] | None = None) -> str:
    """The script for `config` trained on `data` for `epochs` (the config's when None), with
    the learning rate changed at the given epochs as it was live."""
    split = data.split()
    epochs = config.epochs if epochs is None else epochs
    classification = split.classification
    features = config.ordered_features
    sizes = [len(features), *config.layers, 1]
    activation = ACTIVATIONS[config.activation]
    modules = []
    for i in range(len(sizes) - 1):
        modules.append(f"nn.Linear({sizes[i]}, {sizes[i + 1]})")
        if activation is not None and i < len(sizes) - 2:
            modules.append(f"nn.{activation.__name__}()")
    spec = OPTIMIZER_SPECS[config.optimizer]
    assert spec.factory is not None
    extra = "".join(f", {k}={v!r}" for k, v in spec.kwargs.items())
    loss_call = ("F.binary_cross_entropy_with_logits(out.squeeze(1), y)" if classification
                 else "F.mse_loss(out.squeeze(1), y)")
    n_train = len(split.y_train)
    whole = config.batch_size == 0 or config.batch_size >= n_train
    lines = [
        f'"""Network Lab export: {data.kind} data, layers {list(config.layers)}, '
        f'{config.activation}, {config.optimizer}."""',
        "",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        f"seed = {data.seed}",
        f"x_train = torch.tensor({_rows(split.x_train)}, dtype=torch.float32)",
        f"y_train = torch.tensor({_rows(split.y_train)}, dtype=torch.float32)",
        f"x_test = torch.tensor({_rows(split.x_test)}, dtype=torch.float32)",
        f"y_test = torch.tensor({_rows(split.y_test)}, dtype=torch.float32)",
        "",
        "",
        "def features(x):",
        f"    # the inputs the network sees: {', '.join(features)}",
        "    return torch.stack([" + ", ".join(FEATURES[f][0] for f in features) + "], dim=1)",
        "",
        "",
        "def loss_of(out, y):",
        f"    return {loss_call}",
        "",
        "",
    ]
    if config.regularization != "None":
        term = "w.abs().sum()" if config.regularization == "L1" else "(w ** 2).sum()"
        lines += [
            "def penalty(model):",
            f"    # {config.regularization} on the nn.Linear weights, not the biases",
            f"    return {config.reg_rate!r} * sum({term} for w in (m.weight for m in model"
            " if isinstance(m, nn.Linear)))",
            "",
            "",
        ]
    lines += [
        "f_train, f_test = features(x_train), features(x_test)",
        "torch.manual_seed(seed)",
        "model = nn.Sequential(" + ", ".join(modules) + ")",
        f"lr = {config.lr!r}",
        f"optimizer = torch.optim.{spec.factory.__name__}(model.parameters(), lr=lr{extra})",
    ]
    if not whole:
        lines += [f"batch_size = {config.batch_size}",
                  "g = torch.Generator().manual_seed(seed)"]
    lines += [f"lr_changes = {dict(sorted((lr_changes or {}).items()))!r}"
              "  # epoch: the rate moved live", ""]
    step = ["optimizer.zero_grad()", "loss = loss_of(model(xb), yb)"]
    if config.regularization != "None":
        step.append("loss = loss + penalty(model)")
    step += ["loss.backward()", "optimizer.step()"]
    lines += [
        f"for epoch in range({epochs}):",
        "    if epoch in lr_changes:",
        "        for group in optimizer.param_groups:",
        "            group['lr'] = lr_changes[epoch]",
    ]
    if whole:
        lines += ["    xb, yb = f_train, y_train"] + [f"    {s}" for s in step]
    else:
        lines += ["    perm = torch.randperm(len(y_train), generator=g)",
                  "    for start in range(0, len(y_train), batch_size):",
                  "        idx = perm[start:start + batch_size]",
                  "        xb, yb = f_train[idx], y_train[idx]"] + [f"        {s}" for s in step]
    lines += [
        "    with torch.no_grad():",
        "        train_loss = loss_of(model(f_train), y_train).item()",
        "        test_loss = loss_of(model(f_test), y_test).item()",
        "    print(f'epoch {epoch}: train loss {train_loss!r}, test loss {test_loss!r}')",
        "",
    ]
    return "\n".join(lines)


def in_use(session: Any) -> bool:
    """True when the Network Lab holds a run or settings changed from the defaults (a whole-
    session export then carries it)."""
    return bool(session.current is not None or session.earlier
                or session.config != NetConfig() or session.data_settings != DataSettings())


def session_part(session: Any, hidden_builtins: list[str]) -> str:
    """The Network Lab's script for a whole-session export, after the other labs' code:
    Python's own names the Tensor Lab's tensors hid are given back first."""
    body = session.to_script()
    first, _, rest = body.partition("\n")  # the module docstring becomes a comment here
    lines = [f"# ----- Network Lab: {first.strip(chr(34))} -----"]
    if hidden_builtins:
        lines.append(f"from builtins import {', '.join(hidden_builtins)}  # the tensors above "
                     "hid Python's own")
    return "\n".join(lines) + "\n" + rest.lstrip("\n")


def notebook_cells(session: Any, hidden_builtins: list[str]) -> list[Any]:
    """The Network Lab as two notebook cells: what it is, and its script."""
    from nbformat import v4

    return [v4.new_markdown_cell(
        "## Network Lab\n\nThe network on screen as plain torch.nn: the data as literals, the "
        "model built after `torch.manual_seed(seed)`, the training rule, and every epoch's "
        "train and test loss printed."),
        v4.new_code_cell(session_part(session, hidden_builtins).rstrip("\n"))]
