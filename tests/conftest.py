"""Test-wide set-up: headless Qt, and settings kept away from the user's real ones."""

import os
import tempfile

# Must happen before any QApplication exists (pytest-qt creates it lazily).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="playground-test-config-")
# Autosaves (QStandardPaths.AppDataLocation) too: no test reads or leaves the user's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="playground-test-data-")
