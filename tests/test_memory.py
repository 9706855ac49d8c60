"""The bench's peak-memory figure belongs to the block it measures, not to what came before it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gedig.util.memory import peak_memory

MB = 2**20 / 2**30  # one MiB in GB


def _vm_hwm_gb() -> float:
    status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 2**20


@pytest.mark.skipif(sys.platform != "linux", reason="the per-block peak needs Linux's /proc/self/clear_refs")
def test_the_peak_counts_what_the_block_allocated_and_forgets_what_came_before():
    before = np.ones(400 * 2**20 // 8)  # 400 MiB touched and freed before the block
    before[:] = 2.0
    high_water = _vm_hwm_gb()
    del before
    with peak_memory() as idle:
        pass
    with peak_memory() as busy:
        inside = np.ones(200 * 2**20 // 8)  # 200 MiB touched inside
        inside[:] = 3.0
        del inside
    assert idle.how == busy.how == "since the block began"
    assert busy.gb - idle.gb >= 190 * MB, (idle, busy)
    assert busy.gb - idle.gb < 300 * MB, (idle, busy)
    # the 400 MiB freed before the blocks is in neither peak
    assert idle.gb < high_water - 300 * MB, (high_water, idle)


def test_the_result_is_filled_only_when_the_block_ends():
    with peak_memory() as peak:
        assert np.isnan(peak.gb) and peak.how == ""
    assert peak.gb > 0 and peak.how
