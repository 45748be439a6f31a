"""The window's exports never write over what they must not: the session file they came from
(by path, link or hard link), a device, a read-only file; a symlink chosen as the target is
written through. Each refusal is one line naming the file, and the session stays open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from playground.core.files.session_file import SUFFIX
from playground.testing import type_statement


@pytest.mark.parametrize("export", ["export_python", "export_notebook", "export_script"])
def test_an_export_over_the_open_session_file_is_refused(playground_window, qtbot,
                                                         tmp_path: Path, export: str) -> None:
    window = playground_window()
    type_statement(qtbot, window, "a = torch.ones(3, requires_grad=True)")
    session = tmp_path / f"mine{SUFFIX}"
    assert window.save_session(session) is True
    os.link(session, tmp_path / "hard.py")
    (tmp_path / "link.py").symlink_to(session.name)
    saved = session.read_bytes()
    log = list(window.workspace.log)
    for target in (session, tmp_path / "hard.py", tmp_path / "link.py"):
        assert getattr(window, export)(target) is False, target
        message = window.statusBar().currentMessage()
        assert str(target) in message and "the file being read" in message, message
        assert "\n" not in message
    assert session.read_bytes() == saved
    assert window.workspace.log == log
    assert getattr(window, export)(tmp_path / "other.py") is True  # anything else is fine


def test_exports_refuse_devices_and_read_only_files_and_follow_a_chosen_symlink(
        playground_window, qtbot, tmp_path: Path) -> None:
    window = playground_window()
    type_statement(qtbot, window, "a = torch.ones(3, requires_grad=True)")
    read_only = tmp_path / "ro.py"
    read_only.write_text("# keep\n")
    read_only.chmod(0o444)
    for target, phrase in ((Path("/dev/null"), "not a regular file"), (read_only, "read-only")):
        assert window.export_python(target) is False
        message = window.statusBar().currentMessage()
        assert str(target) in message and phrase in message, message
    assert read_only.read_text() == "# keep\n"
    (tmp_path / "real.py").write_text("")
    (tmp_path / "chosen.py").symlink_to("real.py")
    assert window.export_python(tmp_path / "chosen.py") is True
    assert (tmp_path / "chosen.py").is_symlink()
    assert "a = torch.ones(3, requires_grad=True)" in (tmp_path / "real.py").read_text()
