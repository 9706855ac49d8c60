"""One-line progress messages for long runs, and the countdown that estimates the time left.

Lines go to the process's own stderr: inside a notebook kernel ``sys.stderr`` is captured into the
notebook, while ``sys.__stderr__`` is the kernel process's inherited stream, so a line written there
reaches the terminal that runs ``make book`` while the chapter is still executing.
"""

from __future__ import annotations

import sys


def say(line: str) -> None:
    """Print one progress line to the terminal (or the captured stderr when there is no terminal)."""
    stream = sys.__stderr__ or sys.stderr
    print(line, file=stream, flush=True)


class Countdown:
    """Finished items of a long job run ``workers`` at a time: each announced with the minutes it
    took, and the time left as items left × their mean minutes ÷ workers. (Elapsed time ÷ items
    finished would count the job's set-up in and, with two workers, double the first estimate: the
    first item ends when two have been under way for its whole length.)"""

    def __init__(self, total: int, prefix: str, *, workers: int = 1) -> None:
        self.total, self.prefix, self.workers = int(total), prefix, max(int(workers), 1)
        self.seconds: list[float] = []
        self.failed = 0

    def left_minutes(self) -> float:
        left = max(self.total - len(self.seconds) - self.failed, 0)
        if not self.seconds or not left:
            return 0.0
        return sum(self.seconds) / len(self.seconds) * left / min(self.workers, left) / 60

    def finished(self, what: str, seconds: float) -> None:
        """Announce one finished item: '[prefix] finished k/n: what, m min; about t min left'."""
        self.seconds.append(float(seconds))
        say(
            f"[{self.prefix}] finished {len(self.seconds) + self.failed}/{self.total}: {what}, {seconds / 60:.1f} min; "
            f"about {self.left_minutes():.0f} min left"
        )

    def gave_up(self) -> None:
        """Count an item that failed for good (it takes no more time)."""
        self.failed += 1
