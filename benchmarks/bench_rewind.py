"""Rewind benchmark: a 1,000,000-epoch run's memory, and how long rewinding anywhere takes.

One TrainingSession (no Qt) trains Adam on the notebook's data at full speed on its worker, then:
  memory    the run's records (RunHistory's numpy buffer) plus its checkpoints, in MiB;
  rewind    for 200 epochs spread over the run (seeded), the time to show the epoch (show_epoch,
            readout, predictions) and to rebuild the exact state after it (Run.state_after:
            what Start from there continues with), p99 and max;
  formula   the time for the update formula of a shown epoch (one epoch replayed, capturing
            the state before and after its last step), p99 and max.
A mini-batch run (batches of 1 over the same points: its generator state is in every checkpoint)
is measured the same way at a tenth of the epochs. Targets: records <= 100 MiB, rewind <= 50 ms.
Prints its detail and a FIGURES line (see common.py). Run alone or through run_all.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from common import at_most, emit, figure, percentile

from playground.core.training.config import TrainConfig
from playground.core.training.session import TrainingSession

MIB = 1024 * 1024


def trained(config: TrainConfig) -> TrainingSession:
    session = TrainingSession(config, speed=None)
    started = time.perf_counter()
    session.start()
    while not session.wait(5.0):
        pass  # polled every 5 s, so the checkpoints are taken in as the run goes
    run = session.current
    assert run is not None and run.end is not None and run.end.status == "completed", run.end
    seconds = time.perf_counter() - started
    print(f"  trained {run.epochs_done:,} epochs in {seconds:.1f} s "
          f"({seconds / run.epochs_done * 1e6:.0f} us/epoch)")
    return session


def measure(name: str, config: TrainConfig, samples: int, seed: int) -> list[dict]:
    print(f"{name}: {config.optimizer}, {config.epochs:,} epochs, batch {config.batch_size}")
    session = trained(config)
    run = session.current
    assert run is not None and run.checkpoints is not None
    records = run.history.nbytes / MIB
    ckpts = run.checkpoints.nbytes / MIB
    print(f"  records {records:.1f} MiB, checkpoints {ckpts:.1f} MiB "
          f"({len(run.checkpoints):,} kept, one every {run.checkpoints.interval} epochs)")
    rng = random.Random(seed)
    epochs = [rng.randrange(run.epochs_done) for _ in range(samples)]
    show, state, formula = [], [], []
    for k in epochs:
        t0 = time.perf_counter()
        session.show_epoch(k)
        session.readout()
        session.predictions()
        t1 = time.perf_counter()
        run.state_after(k)
        t2 = time.perf_counter()
        session.update_text()
        t3 = time.perf_counter()
        show.append((t1 - t0) * 1e3)
        state.append((t2 - t1) * 1e3)
        formula.append((t3 - t2) * 1e3)
    for label, values in (("show", show), ("state", state), ("formula", formula)):
        print(f"  {label:8s} p50 {percentile(values, 50):6.2f} ms  p99 "
              f"{percentile(values, 99):6.2f} ms  max {max(values):6.2f} ms")
    rewind = [a + b for a, b in zip(show, state, strict=True)]
    return [
        at_most(f"{name}: records + checkpoints", records + ckpts, "MiB", 100),
        at_most(f"{name}: rewind (show + exact state) p99", percentile(rewind, 99), "ms", 50),
        figure(f"{name}: rewind max", max(rewind), "ms", "", None),
        at_most(f"{name}: update formula p99", percentile(formula, 99), "ms", 50),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    figures = measure("full batch", TrainConfig(optimizer="Adam", epochs=args.epochs),
                      args.samples, args.seed)
    figures += measure("mini-batches", TrainConfig(optimizer="Adam", epochs=args.epochs // 10,
                                                   batch_size=1), args.samples, args.seed)
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
