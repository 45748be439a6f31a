"""The parallel run's order (tests/conftest.py): every test kept once, each xdist worker's first
chunk starting with its share of the long tests, and the chunks about equally heavy."""

from __future__ import annotations

import importlib.util
import random
import types
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("suite_order", Path(__file__).with_name("conftest.py"))
order_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(order_module)


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_long_tests_are_spread_over_the_workers_first_chunks(workers: int) -> None:
    ids = list(order_module.DURATIONS) + [f"short{i}" for i in range(1400)]
    items = [types.SimpleNamespace(nodeid=i) for i in ids]
    random.Random(workers).shuffle(items)
    order = order_module.balanced_order(items, workers)
    assert sorted(i.nodeid for i in order) == sorted(ids)
    sizes = order_module._chunk_sizes(len(order), workers)
    assert sum(sizes) == len(order)
    starts = [sum(sizes[:k]) for k in range(workers)]
    chunks = [order[s:s + n] for s, n in zip(starts, sizes, strict=True)]
    weights = [sum(order_module._weight(i) for i in chunk) for chunk in chunks]
    longest = max(order_module.DURATIONS.values())
    assert max(weights) - min(weights) <= longest  # as even as the longest test allows
    for chunk in chunks:  # long tests first, longest first, in every chunk
        heavy = [order_module._weight(i) for i in chunk
                 if order_module._weight(i) >= order_module.SLOW_SECONDS]
        assert [order_module._weight(i) for i in chunk[:len(heavy)]] == heavy
        assert heavy == sorted(heavy, reverse=True)
