"""One-line progress messages for long runs, written to the process's own stderr.

Inside a notebook kernel ``sys.stderr`` is captured into the notebook; ``sys.__stderr__`` is the
kernel process's inherited stream, so a line written there reaches the terminal that runs
``make book`` while the chapter is still executing.
"""

from __future__ import annotations

import sys


def say(line: str) -> None:
    """Print one progress line to the terminal (or the captured stderr when there is no terminal)."""
    stream = sys.__stderr__ or sys.stderr
    print(line, file=stream, flush=True)
