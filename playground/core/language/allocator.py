"""Give the memory torch frees back to the system, so the process holds what the playground holds.

torch's CPU tensors come from glibc's malloc. By default glibc raises its mmap threshold each
time a large block is freed (up to 32 MiB), so after the first few frees a 4 MB tensor comes
from the heap, and freed heap blocks stay in the process: 20 lines of 100 `y = y * 1.0001` on
a 1M-element tensor left the process 6.9 GiB bigger while it held 8 MB of tensors. Two remedies,
both measured on that route (the rise in RSS after the 20 lines):

- `mallopt(M_MMAP_THRESHOLD, 128 KiB)` and `mallopt(M_TRIM_THRESHOLD, 128 KiB)` once, at start:
  a fixed threshold (which also turns the dynamic one off) puts every block over 128 KiB in its
  own mapping, returned when freed; +1 MiB, and no slower on that route.
- `malloc_trim(0)` after a heavy line: +7 MiB; it also returns freed small blocks from the top
  and the middle of the heap, which the thresholds do not.

The playground does both: `tune_allocator()` when the first Workspace is made (window and command
line alike), `give_back()` after every line that did much work. Elsewhere than glibc both do
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# glibc's mallopt parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks over this many bytes get their own mapping, given back when freed (glibc's default
# before its dynamic threshold raises it).
MMAP_THRESHOLD = 128 * 1024

_libc: ctypes.CDLL | None = None
_tuned = False


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.malloc_trim  # noqa: B018 - only glibc has it (musl does not)
            libc.mallopt  # noqa: B018
        except (OSError, AttributeError):
            return None
        _libc = libc
    return _libc


def tune_allocator() -> bool:
    """Fix glibc's mmap and trim thresholds (once per process); False where that is not glibc."""
    global _tuned
    libc = _glibc()
    if libc is None:
        return False
    if not _tuned:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, MMAP_THRESHOLD)
        _tuned = True
    return True


def give_back() -> None:
    """Return the heap's free memory to the system (a few milliseconds at most)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
