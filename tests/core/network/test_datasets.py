"""The Network Lab's data: TensorFlow Playground's sets, the split, and imports refused by line."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.network.datasets import (
    DATA_KINDS,
    DataSettings,
    ImportRefused,
    parse_points,
    read_points,
)


@pytest.mark.parametrize("kind", ["Circle", "XOR", "Gaussian", "Spiral", "Plane",
                                  "Multi-Gaussian"])
def test_generated_sets_are_seeded_and_in_the_plane(kind):
    a = DataSettings(kind=kind, noise=20, n_points=200, seed=5).split()
    b = DataSettings(kind=kind, noise=20, n_points=200, seed=5).split()
    c = DataSettings(kind=kind, noise=20, n_points=200, seed=6).split()
    assert np.array_equal(a.x_train, b.x_train) and not np.array_equal(a.x_train, c.x_train)
    assert len(a.y_train) == 100 and len(a.y_test) == 100
    assert a.x_train.dtype == np.float32
    if kind != "Gaussian":  # Gaussian's tails may leave the plane, as in TensorFlow Playground
        assert np.abs(np.concatenate([a.x_train, a.x_test])).max() <= 6.0 + 1e-6
    labels = set(np.concatenate([a.y_train, a.y_test]).tolist())
    if kind in ("Plane", "Multi-Gaussian"):
        assert a.task == "regression" and max(abs(v) for v in labels) <= 2  # noise widens
    else:
        assert a.task == "classification" and labels == {0.0, 1.0}


def test_xor_labels_are_the_sign_of_x1_times_x2_without_noise():
    s = DataSettings(kind="XOR", n_points=300).split()
    assert np.array_equal(s.y_train, (s.x_train[:, 0] * s.x_train[:, 1] >= 0).astype(np.float32))


def test_circle_inside_is_class_one():
    s = DataSettings(kind="Circle", n_points=300).split()
    inside = np.hypot(s.x_train[:, 0], s.x_train[:, 1]) < 2.5
    assert np.array_equal(s.y_train == 1, inside)


def test_ratio_splits_and_both_sides_keep_a_point():
    s = DataSettings(kind="Custom points", custom=((0, 0, 1), (1, 1, 0)), train_ratio=90).split()
    assert len(s.y_train) == 1 and len(s.y_test) == 1


def test_import_with_header_and_any_separator():
    points, task = parse_points("x1;x2;label\n1;2;1\n3\t4\t-1\n5,6,1\n")
    assert task == "classification"
    assert points == ((1.0, 2.0, 1.0), (3.0, 4.0, 0.0), (5.0, 6.0, 1.0))
    points, task = parse_points("0,0,0.5\n1,1,2\n")
    assert task == "regression" and points[1] == (1.0, 1.0, 2.0)


@pytest.mark.parametrize("text, line, reason", [
    ("x1,x2,label\n1,2,1\n3,4\n", 3, "3 columns"),
    ("1,2,1\n3,abc,0\n", 2, "'abc' is not a number"),
    ("1,2,1\n3,nan,0\n", 2, "finite"),
    ("1,2,1\n3,4,inf\n", 2, "finite"),
    ("a,b,c\nd,e,f\n", 2, "not a number"),
    ("1,2,1\n", 0, "at least two rows"),
    ("", 0, "at least two rows"),
])
def test_bad_imports_name_the_line_and_the_reason(text, line, reason):
    with pytest.raises(ImportRefused) as info:
        parse_points(text)
    assert info.value.line == line and reason in info.value.reason


def test_too_many_rows_are_refused():
    text = "\n".join(f"{i},{i},1" for i in range(10_001))
    with pytest.raises(ImportRefused, match="10,000"):
        parse_points(text)
    assert len(parse_points("\n".join(f"{i},{i},1" for i in range(10_000)))[0]) == 10_000


def test_read_points_refuses_binary_and_missing_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"1,2,1\n\xff\xfe,1,1\n")
    with pytest.raises(ImportRefused, match="line 2: not UTF-8"):
        read_points(bad)
    with pytest.raises(ImportRefused, match="cannot read"):
        read_points(tmp_path / "missing.csv")


def test_shipped_examples_import():
    from playground.paths import resources_dir
    files = sorted((resources_dir() / "datasets").glob("*.csv"))
    assert files
    for path in files:
        points, task = read_points(path)
        assert len(points) >= 20, path.name


def test_settings_round_trip_and_refuse_garbage():
    s = DataSettings(kind="Custom points", custom=((1.0, 2.0, 1.0), (0.5, 0.5, 0.0)), seed=4)
    assert DataSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError):
        DataSettings.from_dict({"kind": "Moons"})
    with pytest.raises(ValueError):
        DataSettings.from_dict({"custom": [[1, 2, "x"]]})
    assert set(DATA_KINDS) >= {"Circle", "Imported"}
