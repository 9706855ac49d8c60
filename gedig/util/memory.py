"""Peak resident memory of a stretch of work in this process: what a bench row reports against a
memory target (chapter 9 at full size ≤ 4 GB).

On Linux the kernel's high-water mark (VmHWM) is reset to the current resident size at the start
(``/proc/self/clear_refs``), so the peak belongs to the work measured, with the interpreter and the
libraries already loaded counted in, as a chapter's kernel would hold them. Elsewhere the peak since
the process started is the only figure there is, and the result says so.
"""

from __future__ import annotations

import contextlib
import resource
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class Peak:
    """The peak resident memory in GB, once the ``peak_memory`` block has ended, and how it was
    measured ('since the block began' or 'since the process started')."""

    gb: float = float("nan")
    how: str = ""


def _hwm_kb() -> int | None:
    with contextlib.suppress(OSError):
        for line in _STATUS.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def _reset_hwm() -> bool:
    try:
        _CLEAR_REFS.write_text("5", encoding="ascii")  # 5: reset the peak resident size to the current one
    except OSError:
        return False
    return _hwm_kb() is not None


@contextlib.contextmanager
def peak_memory() -> Iterator[Peak]:
    """``with peak_memory() as peak: ...``; afterwards ``peak.gb`` is the block's peak resident memory."""
    peak = Peak()
    reset = _reset_hwm()
    try:
        yield peak
    finally:
        if reset:
            peak.gb, peak.how = (_hwm_kb() or 0) / 2**20, "since the block began"
        else:
            scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
            peak.gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**30
            peak.how = "since the process started"
