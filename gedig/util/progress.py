"""One-line progress messages for long runs, and the countdown that estimates the time left.

Lines go to the process's own stderr: inside a notebook kernel ``sys.stderr`` is captured into the
notebook, while ``sys.__stderr__`` is the kernel process's inherited stream, so a line written there
reaches the terminal that runs ``make book`` while the chapter is still executing.
"""

from __future__ import annotations

import sys
import time


def say(line: str) -> None:
    """Print one progress line to the terminal (or the captured stderr when there is no terminal)."""
    stream = sys.__stderr__ or sys.stderr
    print(line, file=stream, flush=True)


class Countdown:
    """Finished items of a long job, the mean time each took so far, and the time left at that rate."""

    def __init__(self, total: int, prefix: str) -> None:
        self.total, self.prefix, self.done = int(total), prefix, 0
        self.started = time.perf_counter()

    def finished(self, what: str) -> None:
        """Announce one finished item: '[prefix] finished k/n: what; about m min left'."""
        self.done += 1
        per_item = (time.perf_counter() - self.started) / self.done
        left = per_item * max(self.total - self.done, 0) / 60
        say(f"[{self.prefix}] finished {self.done}/{self.total}: {what}; about {left:.0f} min left")
