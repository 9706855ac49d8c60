"""How a sweep spends the cores: the layout is chosen by measurement (or as asked), parallel
workers give the runs serial one-thread runs give, every record names its layout, and Ctrl-C
stops every worker, exits 130 and leaves the finished runs for the rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from gedig.errors import GedigError
from gedig.experiments import layout as layout_module
from gedig.experiments.layout import Layout, candidates, choose, parse_layout
from gedig.experiments.sweep import run_sweep
from gedig.experiments.training import Arm, Protocol

TINY = Protocol(n_train=32, n_eval=16, epochs=1, max_length=48)


def test_layouts_are_parsed_and_bad_ones_named():
    assert parse_layout("auto") == "auto"
    assert parse_layout("serial") == "serial"
    assert parse_layout("2x1") == Layout(2, 1)
    assert str(Layout(2, 1)) == "2 workers × 1 thread"
    assert [str(c) for c in candidates(4)] == ["1 worker × 4 threads", "2 workers × 2 threads", "4 workers × 1 thread"]
    for bad in ("2", "twoxone", "0x1", "2x0"):
        with pytest.raises(GedigError, match="layout must be"):
            parse_layout(bad)


def test_auto_runs_serially_where_parallel_cannot_pay(monkeypatch):
    monkeypatch.setattr(layout_module, "measured_rates", lambda p: pytest.fail("measured without need"))
    assert not choose(Protocol(), 18, device="cuda")[0].parallel
    assert "one run" in choose(Protocol(), 1)[1]
    lay, why = choose(TINY, 4)
    assert not lay.parallel and "too few to pay" in why
    with pytest.raises(GedigError, match="CPU only"):
        choose(Protocol(), 4, layout="2x1", device="cuda")


@pytest.mark.parametrize(("serial", "parallel", "workers"), [(1.0, 1.5, 2), (1.0, 0.9, 1)])
def test_auto_takes_the_faster_measured_layout_and_says_by_how_much(monkeypatch, serial, parallel, workers):
    rates = {"1 worker × 2 threads": serial, "2 workers × 1 thread": parallel}
    found = {"cores": 2, "rates": rates, "measured_at": "today", "cached": True}
    monkeypatch.setattr(layout_module, "measured_rates", lambda p: found)
    monkeypatch.setattr(layout_module, "usable_cores", lambda: 2)
    lay, why = choose(Protocol(), 18)
    assert lay.workers == workers
    assert f"{max(serial, parallel) / serial:.2f}× the serial rate" in why


def test_parallel_workers_give_the_runs_a_one_thread_serial_sweep_gives(tmp_path):
    """Both ways every run has one torch thread, so the float32 sums run in the same order on the
    same machine: the records agree to 1e-6 (the accuracy exactly)."""
    import torch

    threads = torch.get_num_threads()
    try:
        serial = run_sweep(TINY, [0, 0.1], [3], control_alpha=None, out_dir=tmp_path / "s", progress=False, layout="1x1")
    finally:
        torch.set_num_threads(threads)
    parallel = run_sweep(TINY, [0, 0.1], [3], control_alpha=None, out_dir=tmp_path / "p", progress=False, layout="2x1")
    assert list(serial["accuracy"]) == list(parallel["accuracy"])
    assert (serial["final_F_author"] - parallel["final_F_author"]).abs().max() < 1e-6
    assert set(parallel["layout"]) == {"2 workers × 1 thread"} and set(parallel["threads"]) == {1}
    record = json.loads((tmp_path / "p" / Arm(0.1, 3).filename).read_text())
    assert record["layout"] == "2 workers × 1 thread"


def test_ctrl_c_stops_every_worker_exits_130_and_the_rerun_resumes(tmp_path):
    grid = tmp_path / "tiny.yml"
    grid.write_text(
        "name: tiny\nmodels: [minilm-l6]\ntasks: [rotten-tomatoes]\nalphas: [0, 0.1, 1.0]\nseeds: [1, 2]\narms: [F]\n"
        "protocol: {n_train: 32, n_eval: 16, epochs: 1, max_length: 48}\n"
    )
    env = {**os.environ, "GEDIG_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    shared = os.environ["GEDIG_CACHE"] + "/models"
    if os.path.isdir(shared):
        (tmp_path / "cache" / "models").symlink_to(shared)
    cmd = [sys.executable, "-m", "gedig", "sweep", str(grid), "--layout", "2x1"]
    # a terminal's Ctrl-C reaches a process whose SIGINT is not ignored; a child inherits an ignored
    # SIGINT from the test process (as some libraries leave it), so the child starts with the default
    proc = subprocess.Popen(
        cmd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "finished 1/" in line:
            break
    family = psutil.Process(proc.pid).children(recursive=True)
    assert len(family) >= 2, "the workers were not running"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, "".join(lines) + rest
    said = [line for line in rest.splitlines() if line.strip() and not line.startswith("[freg] finished")]
    assert len(said) == 1 and said[0].startswith("interrupted:"), rest
    time.sleep(1)
    assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], "a worker outlived the interrupt"
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    done_before = int(next(line for line in rerun.stderr.splitlines() if "already finished" in line).split(": ")[1].split()[0])
    assert done_before >= 1


def test_a_busy_machine_is_named_once_at_the_start(monkeypatch, capsys):
    from gedig.experiments.layout import warn_if_busy

    monkeypatch.setattr(layout_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (3.5, 1.0, 1.0))
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)
    warn_if_busy("book")
    said = capsys.readouterr().err
    assert "busy (load average 3.5 on 2 cores)" in said and "will be off" in said
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    warn_if_busy("book")
    assert capsys.readouterr().err == ""


def test_the_time_left_counts_the_workers_and_each_runs_own_minutes(capfd):
    """18 five-minute runs on 2 workers: when the first ends, 17 are left at 2 at a time (42.5 min,
    not the 85 that elapsed ÷ finished gives); the last run alone is not halved; then nothing."""
    from gedig.util.progress import Countdown

    countdown = Countdown(18, "freg", workers=2)
    countdown.finished("F α=0 seed=42: accuracy 75.00 %", 300.0)
    assert countdown.left_minutes() == pytest.approx(17 * 5 / 2)
    assert "finished 1/18: F α=0 seed=42: accuracy 75.00 %, 5.0 min; about 42 min left" in capfd.readouterr().err
    for _ in range(16):
        countdown.finished("a run", 300.0)
    assert countdown.left_minutes() == pytest.approx(5.0)
    countdown.finished("a run", 300.0)
    assert countdown.left_minutes() == 0.0
    serial = Countdown(3, "freg")
    serial.finished("a run", 120.0)
    assert serial.left_minutes() == pytest.approx(4.0)
