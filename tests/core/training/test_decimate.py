"""The loss curve's display reduction keeps every bucket's min and max, as the run grows."""

import numpy as np
import pytest

from playground.core.training.decimate import PeakDecimator


@pytest.mark.parametrize("length,steps", [(10_000, [1, 7, 333, 4000, 10_000]),
                                          (5_000, [2_500, 9_000, 12_345])])  # outgrows its plan
def test_reduction_equals_brute_force_min_max(length, steps):
    rng = np.random.default_rng(0)
    full_x = np.arange(max(steps), dtype=float)
    full_y = rng.standard_normal(len(full_x)).cumsum()
    full_y[1234] = 1e6  # a spike must survive the reduction
    decimator = PeakDecimator(target_buckets=100)
    decimator.reset(length)
    bucket = decimator.bucket
    for n in steps:
        x, y = decimator.update(full_x[:n], full_y[:n])
        assert len(y) <= 2 * (n // bucket + 1)
        starts = np.arange(0, n, bucket)
        expected_y = np.column_stack([
            [full_y[s:s + bucket][: n - s].min() for s in starts],
            [full_y[s:s + bucket][: n - s].max() for s in starts],
        ]).ravel()
        np.testing.assert_array_equal(y, expected_y)
        np.testing.assert_array_equal(x[::2], full_x[starts])
        assert y.max() == full_y[:n].max() and y.min() == full_y[:n].min()


def test_short_runs_are_not_reduced():
    decimator = PeakDecimator(target_buckets=100)
    decimator.reset(50)
    x = np.arange(50.0)
    y = x**2
    rx, ry = decimator.update(x, y)
    np.testing.assert_array_equal(rx, x)
    np.testing.assert_array_equal(ry, y)
