"""A safe interpreter for the small subset of PyTorch's Python syntax the Tensor Lab speaks.

The public face of language/: `parse` and `check` (checker.py) refuse anything outside the
whitelist before it runs, `execute` (executor.py) walks the checked tree against an `Env`.
Nothing calls eval/exec or imports anything the source names, so a typed line can only do
what the whitelist allows: buttons, typed lines and lessons all go through this one pipe.
"""

from __future__ import annotations

from playground.core.language.checker import check, parse
from playground.core.language.executor import Env, Outcome, execute
from playground.core.language.grammar import ALLOWED, Refused, check_name
from playground.core.limits import MAX_SOURCE_CHARS

__all__ = ["ALLOWED", "MAX_SOURCE_CHARS", "Env", "Outcome", "Refused", "check", "check_name",
           "execute", "parse"]
