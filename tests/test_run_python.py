"""playground.testing.run_python: a child forked from the warm interpreter behaves as
`python ARGS` would: its argv, working folder, environment, output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.testing import run_python


def test_a_script_gets_its_argv_folder_and_main(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("import os, sys\nprint(sys.argv[1:], os.getcwd(), sys.path[0], __name__)\n")
    done = run_python([str(script), "a", "b"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"['a', 'b'] {tmp_path} {tmp_path} __main__\n"


def test_exit_codes_errors_and_the_environment() -> None:
    assert run_python(["-c", "import sys; sys.exit(3)"]).returncode == 3
    failed = run_python(["-c", "raise ValueError('boom')"])
    assert failed.returncode == 1 and failed.stderr.strip().endswith("ValueError: boom")
    said = run_python(["-c", "import os; print(os.environ['CHILD_ONLY'])"],
                      env={**os.environ, "CHILD_ONLY": "yes"})
    assert said.stdout == "yes\n"
    assert "CHILD_ONLY" not in os.environ
    module = run_python(["-m", "json.tool", "--help"])
    assert module.returncode == 0 and module.stdout.startswith("usage:")


def test_torch_works_and_the_app_is_not_loaded() -> None:
    done = run_python(["-c", "import sys, torch\nx = torch.ones(2, requires_grad=True)\n"
                       "opt = torch.optim.SGD([x], lr=0.5)\n(x * x).sum().backward()\nopt.step()\n"
                       "print(x.tolist(), [m for m in sys.modules if m.startswith("
                       "('playground', 'PySide6'))])"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[0.0, 0.0] []\n"


def test_a_child_past_its_deadline_is_killed_and_the_next_one_runs() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        run_python(["-c", "import time; time.sleep(30)"], timeout=0.5)
    assert run_python(["-c", "print('next')"]).stdout == "next\n"


def test_what_python_reads_at_start_gets_a_real_process() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = run_python(["-c", "import sys; print(sys.flags.hash_randomization)"], env=env)
    assert done.stdout == "0\n" and done.args[0] == sys.executable
