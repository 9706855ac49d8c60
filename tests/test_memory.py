"""The bench's peak-memory figure belongs to the block it measures, not to what came before it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gedig.util.memory import peak_memory

# In a fresh interpreter: the test process's own heap may hold freed pages that an allocation
# reuses without growing the resident size, which would hide the block's allocation.
PROBE = """
import json
from pathlib import Path
import numpy as np
from gedig.util.memory import peak_memory

def hwm():
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 2**20

before = np.ones(400 * 2**20 // 8)  # 400 MiB touched and freed before the blocks
before[:] = 2.0
high_water = hwm()
del before
with peak_memory() as idle:
    pass
with peak_memory() as busy:
    inside = np.ones(200 * 2**20 // 8)  # 200 MiB touched inside
    inside[:] = 3.0
    del inside
print(json.dumps({"high_water": high_water, "idle": idle.gb, "busy": busy.gb, "how": [idle.how, busy.how]}))
"""

MB = 2**20 / 2**30  # one MiB in GB


@pytest.mark.skipif(sys.platform != "linux", reason="the per-block peak needs Linux's /proc/self/clear_refs")
def test_the_peak_counts_what_the_block_allocated_and_forgets_what_came_before():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["how"] == ["since the block began"] * 2
    assert 190 * MB <= found["busy"] - found["idle"] < 300 * MB, found
    # the 400 MiB freed before the blocks is in neither peak
    assert found["idle"] < found["high_water"] - 300 * MB, found


def test_the_result_is_filled_only_when_the_block_ends():
    with peak_memory() as peak:
        assert np.isnan(peak.gb) and peak.how == ""
    assert peak.gb > 0 and peak.how
