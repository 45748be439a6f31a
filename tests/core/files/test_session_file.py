"""Whole-session files (format 2) without Qt: round trip of both labs, older files, bad files.

The round trip rebuilds a fresh Workspace and TrainingSession from the file and compares every
name, value, grad and statement with the originals, and every training record with the runs'.
The bad-file corpus (BAD_FILES, shared with the window test) is each refused with a ValueError
of one line that names the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.core.export.tensorlab_script import to_script
from playground.core.export.training_script import session_to_script
from playground.core.files.session_file import (
    SESSION_FORMAT,
    SUFFIX,
    read_session,
    read_session_file,
    session_document,
    write_session,
    write_session_file,
)
from playground.core.limits import MAX_FILE_BYTES, MAX_SESSION_BYTES
from playground.core.tensorlab.workspace import Workspace
from playground.core.training.session import TrainingSession

TIMEOUT = 30.0  # only reached when something is broken

STATEMENTS = [
    "x = torch.randn(2, 3, requires_grad=True)",
    "w = torch.ones(3, requires_grad=True)",
    "y = (x * w).sum(dim=1)",
    "z = y.pow(2).mean()",
    "z.backward()",
    "v = x.detach() * 2",
]


def build_workspace() -> Workspace:
    ws = Workspace()
    for statement in STATEMENTS:
        assert ws.run(statement).ok, statement
    ws.current = "w"
    return ws


def build_training() -> TrainingSession:
    """Custom points, an earlier run and a current run with a different optimiser."""
    session = TrainingSession(speed=None)
    session.set_data(kind="custom")
    session.set_custom_points([(0.0, 1.0), (1.0, 2.5), (2.0, 5.5), (3.0, 6.0)])
    session.update(lr=0.02, epochs=25)
    session.start()
    assert session.wait(TIMEOUT)
    session.update(optimizer="Adam", lr=0.1, epochs=40, loss="L1")
    session.start()
    assert session.wait(TIMEOUT)
    session.update(lr=0.05)  # the setup moves on after the run: it is saved too
    return session


def assert_same_workspace(a: Workspace, b: Workspace) -> None:
    assert a.log == b.log and a.names == b.names and a.current == b.current
    for name in a.names:
        fa, fb = a.facts(name), b.facts(name)
        assert (fa.shape, fa.dtype, fa.requires_grad, fa.is_leaf, fa.grad_fn) == (
            fb.shape, fb.dtype, fb.requires_grad, fb.is_leaf, fb.grad_fn), name
        np.testing.assert_array_equal(fa.values, fb.values)
        assert (fa.grad is None) == (fb.grad is None), name
        if fa.grad is not None:
            np.testing.assert_array_equal(fa.grad, fb.grad)
    assert to_script(a) == to_script(b) and a.printout() == b.printout()


def assert_same_training(a: TrainingSession, b: TrainingSession) -> None:
    assert a.config == b.config and a.data == b.data and a.speed == b.speed
    runs_a = [a.current, *a.earlier]
    runs_b = [b.current, *b.earlier]
    assert len(runs_a) == len(runs_b)
    for ra, rb in zip(runs_a, runs_b, strict=True):
        assert ra.config == rb.config and ra.end == rb.end and ra.lr_changes == rb.lr_changes
        for column in ("epoch", "loss", "w", "b", "lr", "w_grad", "b_grad"):
            np.testing.assert_array_equal(ra.history.column(column), rb.history.column(column))
    assert session_to_script(a) == session_to_script(b)


def test_save_then_open_gives_identical_state(tmp_path: Path) -> None:
    ws, training = build_workspace(), build_training()
    assert training.earlier and training.current is not None
    path = tmp_path / f"whole{SUFFIX}"
    write_session_file(path, session_document(ws.log, training, current=ws.current,
                                              lab="training", lesson="05-accumulation", step=2))
    state = read_session_file(path)
    assert (state.version, state.lab, state.lesson, state.step, state.current) == (
        2, "training", "05-accumulation", 2, "w")

    again = Workspace()
    assert again.load(state.statements).ok
    again.current = state.current
    assert_same_workspace(ws, again)
    fresh = TrainingSession()
    fresh.replace_with(state.training)
    assert_same_training(training, fresh)
    # And the numbers are torch's: z's grad w.r.t. x computed here in plain torch.
    torch.manual_seed(0)
    x = torch.randn(2, 3, requires_grad=True)
    w = torch.ones(3, requires_grad=True)
    (x * w).sum(dim=1).pow(2).mean().backward()
    assert torch.equal(again.tensor("x").grad, x.grad)
    assert torch.equal(again.tensor("w").grad, w.grad)


def test_a_diverged_run_with_an_infinite_loss_round_trips(tmp_path: Path) -> None:
    training = TrainingSession(speed=None)
    training.update(lr=1.0, epochs=300)  # the largest rate the control offers
    training.start()
    assert training.wait(TIMEOUT)
    assert training.current.end.status == "diverged"
    path = tmp_path / f"diverged{SUFFIX}"
    write_session_file(path, session_document(["torch.manual_seed(0)"], training))
    assert_same_training(training, read_session_file(path).training)


def test_replace_with_fires_one_event_and_keeps_the_model_object() -> None:
    target, source = TrainingSession(), build_training()
    seen = []
    target.events.replaced.connect(lambda: seen.append(True))
    before = id(target)
    target.replace_with(source)
    assert seen == [True] and id(target) == before
    assert_same_training(source, target)


def test_version_1_and_list_files_still_open(tmp_path: Path) -> None:
    v1 = tmp_path / "old.json"
    write_session(v1, ["torch.manual_seed(0)", "a = torch.ones(2)"])
    state = read_session_file(v1)
    assert (state.version, state.statements, state.training, state.lab) == (
        1, ["torch.manual_seed(0)", "a = torch.ones(2)"], None, None)
    bare = tmp_path / "list.json"
    bare.write_text(json.dumps(["a = torch.ones(2)", "b = a * 3"]), encoding="utf-8")
    assert read_session_file(bare).statements == ["a = torch.ones(2)", "b = a * 3"]
    bundled = Path(__file__).parents[3] / "resources" / "sessions"
    for path in sorted(bundled.glob("*.json")):
        assert Workspace().load(read_session_file(path).statements).ok, path


def test_the_file_reads_as_text_a_person_can_diff(tmp_path: Path) -> None:
    path = tmp_path / f"s{SUFFIX}"
    write_session_file(path, session_document(STATEMENTS, None))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert '    "x = torch.randn(2, 3, requires_grad=True)",' in lines
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 2


def test_a_session_too_big_to_reopen_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / f"big{SUFFIX}"
    path.write_text("old", encoding="utf-8")
    doc = session_document(["a = torch.ones(1)"] * 10, None)
    doc["statements"] = ["a = torch.ones(1)" + " " * 9000] * (MAX_FILE_BYTES // 9000 + 10)
    with pytest.raises(ValueError, match="more than a session file may hold"):
        write_session_file(path, doc)
    assert path.read_text(encoding="utf-8") == "old"


# ----- the statement log alone (version 1) ------------------------------------------------------


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_session(path, ["torch.manual_seed(0)", "a = torch.ones(2)"])
    assert read_session(path) == ["torch.manual_seed(0)", "a = torch.ones(2)"]


@pytest.mark.parametrize("text", ["{", "[1, 2]", '{"format": "other"}',
                                  '{"format": "gradient-playground-session", "statements": [1]}'])
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError):
        read_session(path)



# ----- the bad-file corpus ------------------------------------------------------------------------
def good_doc() -> dict:
    """A valid version-2 document with a Training Lab run, to spoil one field at a time."""
    training = TrainingSession(speed=None)
    training.update(epochs=5)
    training.start()
    assert training.wait(TIMEOUT)
    return session_document(["torch.manual_seed(0)", "x = torch.ones(2, requires_grad=True)"],
                            training, current="x", lab="tensor", lesson="02-backward-scalar",
                            step=0)


GOOD = None


def spoil(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        global GOOD
        if GOOD is None:
            GOOD = good_doc()
        doc = json.loads(json.dumps(GOOD))
        change(doc)
        path.write_text(json.dumps(doc), encoding="utf-8")
    return make


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(doc: dict) -> None:
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content, encoding="utf-8")


def _bytes(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _sparse(size: int, prefix: bytes = b"{") -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with open(path, "wb") as handle:
            handle.write(prefix)
            handle.truncate(size)  # sparse: no disk space used, but stat says size
    return make


def _v1_too_big(path: Path) -> None:
    doc = {"format": SESSION_FORMAT, "version": 1, "statements": ["a = torch.ones(1)"],
           "pad": "x" * (MAX_SESSION_BYTES + 10)}
    path.write_text(json.dumps(doc), encoding="utf-8")


def _records(value) -> Callable[[dict], None]:
    return _set("training", "current", "records", value)


BAD_FILES: list[tuple[str, Callable[[Path], None]]] = [
    ("empty", _text("")),
    ("whitespace", _text(" \n\t")),
    ("truncated", lambda p: (spoil(lambda d: None)(p), p.write_text(
        p.read_text(encoding="utf-8")[:-40], encoding="utf-8"))),
    ("binary-zeros", _bytes(b"\x00" * 512)),
    ("pickle", _bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94.")),
    ("png-bytes", _bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))),
    ("not-utf8", _bytes(b'{"format": "\xff\xfe"}')),
    ("utf16", _bytes(json.dumps(["a = torch.ones(1)"]).encode("utf-16"))),
    ("deep-100000-brackets", _text("[" * 100_000)),
    ("deep-nested-object", _text('{"a":' * 5000 + "1" + "}" * 5000)),
    ("deep-in-training", spoil(_set("training", "config", "dataset", "x",
                                    json.loads("[" * 30 + "]" * 30)))),
    ("huge-sparse", _sparse(MAX_FILE_BYTES + 1)),
    ("v1-over-its-cap", _v1_too_big),
    ("number-5000-digits", _text('{"format": "gradient-playground-session", "version": 2, '
                                 '"statements": [], "current": ' + "9" * 5000 + "}")),
    ("null", _text("null")),
    ("a-number", _text("42")),
    ("list-of-numbers", _text("[1, 2, 3]")),
    ("no-format", spoil(lambda d: d.pop("format"))),
    ("other-format", spoil(_set("format", "jupyter"))),
    ("version-3", spoil(_set("version", 3))),
    ("version-999", spoil(_set("version", 999))),
    ("version-string", spoil(_set("version", "2"))),
    ("version-negative", spoil(_set("version", -1))),
    ("version-true", spoil(_set("version", True))),
    ("version-float", spoil(_set("version", 2.0))),
    ("version-missing", spoil(lambda d: d.pop("version"))),
    ("unknown-field", spoil(_set("macro", "rm -rf"))),
    ("statements-string", spoil(_set("statements", "x = torch.ones(2)"))),
    ("statements-numbers", spoil(_set("statements", [1, 2]))),
    ("statements-nested", spoil(_set("statements", [["x = torch.ones(2)"]]))),
    ("too-many-statements", spoil(_set("statements", ["a = torch.ones(1)"] * 5001))),
    ("current-not-identifier", spoil(_set("current", "x y"))),
    ("current-starts-with-digit", spoil(_set("current", "1x"))),
    ("current-keyword", spoil(_set("current", "class"))),
    ("current-dunder-path", spoil(_set("current", "x.__class__"))),
    ("current-number", spoil(_set("current", 5))),
    ("view-list", spoil(_set("view", ["tensor"]))),
    ("view-unknown-lab", spoil(_set("view", "lab", "graph"))),
    ("view-lesson-path", spoil(_set("view", "lesson", "../../etc/passwd"))),
    ("view-lesson-number", spoil(_set("view", "lesson", 3))),
    ("view-step-negative", spoil(_set("view", "step", -1))),
    ("view-step-string", spoil(_set("view", "step", "2"))),
    ("view-step-bool", spoil(_set("view", "step", True))),
    ("view-step-without-lesson", spoil(_set("view", {"lab": "tensor", "step": 1}))),
    ("view-extra-key", spoil(_set("view", "zoom", 3))),
    ("training-list", spoil(_set("training", [1, 2]))),
    ("training-version-9", spoil(_set("training", "version", 9))),
    ("training-no-config", spoil(lambda d: d["training"].pop("config"))),
    ("training-negative-lr", spoil(_set("training", "config", "lr", -1.0))),
    ("training-lr-string", spoil(_set("training", "config", "lr", "fast"))),
    ("training-unknown-optimizer", spoil(_set("training", "config", "optimizer", "Adamw2"))),
    ("training-unknown-loss", spoil(_set("training", "config", "loss", "Hinge"))),
    ("training-zero-epochs", spoil(_set("training", "config", "epochs", 0))),
    ("training-unknown-setting", spoil(_set("training", "config", "momentum", 0.9))),
    ("training-data-kind", spoil(_set("training", "data", "kind", "spiral"))),
    ("training-data-points", spoil(_set("training", "data", "points", 10**9))),
    ("training-custom-nan", spoil(_set("training", "data", "custom", [[1.0, float("nan")]]))),
    ("training-speed-negative", spoil(_set("training", "speed", -5))),
    ("records-not-list", spoil(_records("many"))),
    ("records-short-rows", spoil(_records([[0, 1, 2]]))),
    ("records-strings", spoil(_records([["a"] * 7]))),
    ("records-bools", spoil(_records([[True] * 7]))),
    ("run-end-status", spoil(_set("training", "current", "end", "status", "exploded"))),
    ("run-lr-changes", spoil(_set("training", "current", "lr_changes", [["a", "b"]]))),
    ("run-lr-change-negative", spoil(_set("training", "current", "lr_changes", [[1, -0.5]]))),
    ("earlier-not-list", spoil(_set("training", "earlier", {"0": 1}))),
    ("earlier-run-garbage", spoil(_set("training", "earlier", [7]))),
]

def _replaced(old: str, new: str) -> Callable[[Path], None]:
    """The good document with one piece of its JSON text replaced (for numbers json.dumps
    cannot write, such as 1e400)."""
    def make(path: Path) -> None:
        spoil(lambda d: None)(path)
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return make


def _empty_lists(path: Path) -> None:
    path.write_text("[" + "[]," * 16_000_000 + "[]]", encoding="utf-8")  # 48 MB: under the cap


# (name, how to make it, what its one line must say): numbers outside the range of the control
# that would show them, and counts beyond what a session holds, refused before anything applies.
RANGE_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    ("seed-3e9", spoil(_set("training", "config", "seed", 3_000_000_000)),
     "training.config.seed is 3000000000; the Seed box accepts a whole number from 0 to "
     "2,147,483,647"),
    ("seed-4000-digits", spoil(_set("training", "config", "seed", int("9" * 4000))),
     "training.config.seed is a 4,000-digit integer; the Seed box accepts"),
    ("epochs-3e9", spoil(_set("training", "config", "epochs", 3e9)),
     "training.config.epochs is 3000000000.0; the Epochs box accepts a whole number from 1 to "
     "1,000,000"),
    ("epochs-1e30", spoil(_set("training", "config", "epochs", 1e30)),
     "training.config.epochs is 1e+30;"),
    ("epochs-fraction", spoil(_set("training", "config", "epochs", 3.5)),
     "training.config.epochs is 3.5, not a whole number"),
    ("batch-3e9", spoil(_set("training", "config", "batch_size", 3e9)),
     "training.config.batch_size is 3000000000.0; the Batch size box accepts a whole number "
     "from 0 to 100,000"),
    ("w0-1e6", spoil(_set("training", "config", "w0", 1e6)),
     "training.config.w0 is 1000000.0; the Initial w box accepts a number from -100 to 100"),
    ("w0-1e308", spoil(_set("training", "config", "w0", 1e308)), "training.config.w0 is 1e+308;"),
    ("b0-minus-1e6", spoil(_set("training", "config", "b0", -1e6)),
     "training.config.b0 is -1000000.0; the Initial b box"),
    ("lr-1e400", _replaced('"lr": 0.001', '"lr": 1e400'),
     "training.config.lr is inf; the Learning rate box accepts a number from 1e-05 to 1"),
    ("lr-5", spoil(_set("training", "config", "lr", 5.0)), "training.config.lr is 5.0;"),
    ("speed-1e-300", spoil(_set("training", "speed", 1e-300)),
     "training.speed is 1e-300; the Speed (epochs per second) box accepts a number from 1 to "
     "1000"),
    ("noise-50", spoil(_set("training", "data", "noise", 50.0)),
     "training.data.noise is 50.0; the Noise box accepts a number from 0 to 20"),
    ("run-epochs-1e30", spoil(_set("training", "current", "config", "epochs", 1e30)),
     "training.current.config.epochs is 1e+30;"),
    ("run-lr-change-beyond-its-epochs",
     spoil(_set("training", "current", "lr_changes", [[99, 0.01]])),
     "training.current.lr_changes[0] names epoch 99; the run recorded epochs 0 to 4"),
    ("lr-changes-1000000",
     spoil(_set("training", "current", "lr_changes", [[i, 0.001] for i in range(1_000_000)])),
     "lists and objects; a file may hold at most 1,000,000"),
    ("lr-changes-500", spoil(_set("training", "current", "lr_changes",
                                  [[i, 0.001] for i in range(500)])),
     "training.current.lr_changes[5] names epoch 5"),
    ("custom-200000-points",
     spoil(_set("training", "data", "custom", [[i * 1e-3, 1.0] for i in range(200_000)])),
     'its "custom" list holds 200,000 items; at most 1,000 are read'),
    ("dataset-x-5000", spoil(_set("training", "config", "dataset", "x", [1.0] * 5000)),
     'its "x" list holds 5,000 items'),
    ("earlier-6-runs", spoil(lambda d: d["training"].update(
        earlier=[d["training"]["current"]] * 6)), 'its "earlier" list holds 6 items; at most 5'),
    ("one-list-of-400001-objects", _text("[" + "{}," * 400_000 + "{}]"),
     "one of its lists holds 400,001 lists or objects; at most 400,000"),
    ("empty-lists-48MB", _empty_lists, "16,000,002 lists and objects"),
    ("lone-surrogate", spoil(_set("statements", ["a = torch.ones(1)  # \ud800"])),
     "it holds \\ud800, half of a UTF-16 pair"),
]
BAD_FILES += [(name, make) for name, make, _ in RANGE_FILES]


@pytest.mark.parametrize(("name", "make", "phrase"), RANGE_FILES,
                         ids=[n for n, _, _ in RANGE_FILES])
def test_a_number_out_of_its_controls_range_or_a_count_too_big_is_named(
        tmp_path: Path, name: str, make: Callable[[Path], None], phrase: str) -> None:
    path = make_bad(tmp_path, name, make)
    with pytest.raises(ValueError) as info:
        read_session_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") or f" {path}: " in text, text
    assert phrase in text and "\n" not in text, text


def test_every_number_the_controls_accept_at_their_ends_opens(tmp_path: Path) -> None:
    def ends(doc: dict) -> None:
        config = doc["training"]["config"]
        config.update(seed=2**31 - 1, epochs=1_000_000, batch_size=100_000, w0=-100.0,
                      b0=100.0, lr=1.0)
        doc["training"]["speed"] = 1.0
        doc["training"]["data"].update(noise=20.0, points=1000)
    path = tmp_path / f"ends{SUFFIX}"
    spoil(ends)(path)
    config = read_session_file(path).training.config
    assert (config.seed, config.epochs, config.batch_size, config.w0, config.lr) == (
        2**31 - 1, 1_000_000, 100_000, -100.0, 1.0)


# Name -> how to make something at the path that is not a session file at all.
NOT_FILES: list[tuple[str, Callable[[Path], None]]] = [
    ("a-directory", lambda p: p.mkdir()),
    ("missing", lambda p: None),
    ("fifo", lambda p: os.mkfifo(p)),
    ("dev-zero", lambda p: p.symlink_to("/dev/zero")),
    ("symlink-loop", lambda p: p.symlink_to(p)),
    ("under-a-file", lambda p: None),  # the path's folder is a file: unreadable
]


def make_bad(tmp_path: Path, name: str, make: Callable[[Path], None]) -> Path:
    if name == "under-a-file":
        (tmp_path / "plain").write_text("x", encoding="utf-8")
        return tmp_path / "plain" / f"inner{SUFFIX}"
    path = tmp_path / f"{name}{SUFFIX}"
    make(path)
    return path


ALL_BAD = BAD_FILES + NOT_FILES


def test_the_corpus_is_big_enough() -> None:
    assert len(ALL_BAD) >= 30


@pytest.mark.parametrize(("name", "make"), ALL_BAD, ids=[n for n, _ in ALL_BAD])
def test_bad_file_is_refused_in_one_line_naming_it(tmp_path: Path, name: str,
                                                  make: Callable[[Path], None]) -> None:
    path = make_bad(tmp_path, name, make)
    with pytest.raises(ValueError) as info:
        read_session_file(path)
    text = str(info.value)
    assert str(path) in text and "\n" not in text
    assert len(text) < 600  # a status-bar line, not a dump of the file


def test_the_spoiled_documents_start_from_a_good_one(tmp_path: Path) -> None:
    # Guards the corpus: without its spoiling change, each document would open.
    path = tmp_path / f"good{SUFFIX}"
    spoil(lambda d: None)(path)
    state = read_session_file(path)
    assert state.training is not None and state.training.current.epochs_done == 5


def test_a_byte_order_mark_is_accepted_in_version_2(tmp_path: Path) -> None:
    path = tmp_path / f"bom{SUFFIX}"
    doc = session_document(["a = torch.ones(2)"], None, lab="tensor")
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode("utf-8"))
    assert read_session_file(path).statements == ["a = torch.ones(2)"]


@pytest.mark.parametrize(("change", "phrase"), [
    (_set("training", "data", "custom", [[float(i), 1.0] for i in range(2000)]),
     'its "custom" list would hold 2,000 items; at most 1,000 can be read back'),
    (_set("training", "current", "lr_changes", [[i, 0.001] for i in range(1_000_001)]),
     "it holds 1,000,0"),
], ids=["2000-custom-points", "a-million-lr-changes"])
def test_a_save_that_could_not_be_opened_again_is_refused_and_writes_nothing(
        tmp_path: Path, change: Callable[[dict], None], phrase: str) -> None:
    global GOOD
    if GOOD is None:
        GOOD = good_doc()
    doc = json.loads(json.dumps(GOOD))
    change(doc)
    path = tmp_path / f"s{SUFFIX}"
    with pytest.raises(ValueError) as info:
        write_session_file(path, doc)
    assert str(info.value).startswith(f"Could not save {path}: ") and phrase in str(info.value)
    assert os.listdir(tmp_path) == []
