"""A lesson step's Network Lab part: its data and settings, checked when the lesson loads,
applied to the NetworkSession when the step runs, and the `net.<field>` values a question reads.

A step lists only what it changes; everything else is NetConfig's and DataSettings' defaults,
so every learner's run is the same whatever they had set before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from playground.core.network.config import NetConfig
from playground.core.network.datasets import CUSTOM, IMPORTED, DataSettings
from playground.core.network.session import SPEEDS, NetworkSession

NET_FIELDS = ("status", "epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
DATA_FIELDS = ("kind", "noise", "train_ratio", "n_points", "seed")
SETTING_FIELDS = tuple(f.name for f in fields(NetConfig))


@dataclass(frozen=True)
class NetworkStep:
    """What the step writes into the NetworkSession, and whether it starts a run."""

    data: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    speed: float | None = None
    speed_given: bool = False
    start: bool = False
    watch: str = ""

    def code(self) -> str:
        """The setup as the lesson panel shows it, named as the lab's controls are."""
        lines = [f"{name} = {value!r}" for name, value in {**self.data, **self.settings}.items()]
        if self.speed_given:
            lines.append(f"speed = {'full' if self.speed is None else f'{self.speed:g} epochs/s'}")
        if self.start:
            lines.append("Start")
        return "\n".join(lines)


def parse(where: Any, data: Any, path: str) -> NetworkStep | None:
    """The step's "network" object, checked by building the data and the config it names."""
    if data is None:
        return None
    n = where.object(data, path, ("data", "settings", "speed", "start", "watch"))
    setup = where.object(n.get("data", {}), f"{path}.data", DATA_FIELDS)
    settings = where.object(n.get("settings", {}), f"{path}.settings", SETTING_FIELDS)
    if setup.get("kind") in (CUSTOM, IMPORTED):
        where.fail(f"{path}.data.kind", "custom and imported points are the learner's")
    for key, value in settings.items():
        if key in ("features", "layers"):
            if not isinstance(value, list):
                where.fail(f"{path}.settings.{key}", "must be a list")
        elif isinstance(value, bool) or (key in ("lr", "reg_rate") and not isinstance(
                value, (int, float))) or (key in ("batch_size", "epochs")
                                          and not isinstance(value, int)):
            where.fail(f"{path}.settings.{key}", f"has the wrong type ({type(value).__name__})")
    try:
        DataSettings(**setup).validate()
        config = NetConfig.from_dict(settings)
    except (TypeError, ValueError) as exc:
        where.fail(path, str(exc))
    if not (1 <= config.epochs <= 20_000 and math.isfinite(config.lr)):
        where.fail(f"{path}.settings.epochs", "must be between 1 and 20,000")
    speed_given = "speed" in n
    speed = n.get("speed")
    if speed == "full":
        speed = None
    elif speed_given and (isinstance(speed, bool) or speed not in SPEEDS):
        offered = ", ".join(f"{s:g}" for s in SPEEDS if s is not None)
        where.fail(f"{path}.speed", f'must be "full" or one of {offered} (epochs per second)')
    start = n.get("start", False)
    if not isinstance(start, bool):
        where.fail(f"{path}.start", "must be true or false")
    return NetworkStep(dict(setup), dict(settings), None if speed is None else float(speed),
                       speed_given, start, where.text(n, path, "watch", required=False))


def apply(step: NetworkStep, session: NetworkSession, full_speed: bool) -> None:
    """The step's data and settings over the defaults, then its speed, then a start."""
    session.shutdown(2.0)
    data = DataSettings(**step.data)
    current = session.data_settings
    session.set_data(**{f: getattr(data, f) for f in DATA_FIELDS if getattr(current, f)
                        != getattr(data, f)})
    config = NetConfig.from_dict(step.settings)
    session.update(**{f: getattr(config, f) for f in SETTING_FIELDS})
    if full_speed:
        session.set_speed(None)
    elif step.speed_given:
        session.set_speed(step.speed)
    session.reset()
    if step.start:
        session.start()


def read(name: str, session: NetworkSession | None) -> float | str:
    """`net.<name>` of the run that ended; ValueError (the runner's NotReady) says why not."""
    run = session.current if session is not None else None
    if run is None or run.end is None:
        raise ValueError("the network's run has not ended yet")
    if name == "status":
        return run.end.status
    if name == "epochs":
        return float(run.epochs_done)
    if not run.records:
        raise ValueError("the run trained no epoch")
    return float(getattr(run.records[-1], name))
