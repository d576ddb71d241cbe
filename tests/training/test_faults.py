"""Faults: a training process killed with SIGKILL (no clean-up runs) in the middle of
writing checkpoints leaves a run that loads and resumes."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gan_core
from gan_core.core.checkpoints import STATE_FILE, read_tensors

from ..helpers import REPO, make_folder

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _train(out: Path, data: Path, *, resume: bool) -> subprocess.Popen:
    # A checkpoint every step: most of the time is spent writing, so a kill lands mid-write.
    args = ["--out", str(out), "--resume"] if resume else [
        "--model", "dcgan32", "--data", str(data), "--steps", "40", "--batch-size", "4", "--out", str(out),
        "--checkpoint-every", "1", "--sample-every", "1000", "--log-every", "1", "--cache-dir", str(out.parent / "c")]
    return subprocess.Popen([sys.executable, "-m", "gan_core", "train", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"training exited early ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {path.name} within {timeout_s} s")
        time.sleep(0.05)


def _step(out: Path) -> int:
    if not (out / STATE_FILE).exists():
        return 0
    _, metadata = read_tensors(out / STATE_FILE)
    return json.loads(metadata["state"])["info"]["step"]


def test_sigkill_during_checkpoint_writes_leaves_a_resumable_run(tmp_path):
    data = tmp_path / "data"
    make_folder(data, 16)
    out = tmp_path / "run"
    rng = random.Random(0)
    proc = _train(out, data, resume=False)
    steps_seen = []
    for _ in range(3):
        _wait_for(out / STATE_FILE, proc)
        time.sleep(rng.uniform(0.3, 1.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        steps_seen.append(_step(out))  # the state on disk is whole after every kill
        gan_core.load(out / "export")  # and so is the exported checkpoint
        proc = _train(out, data, resume=True)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()[-2000:]
    assert _step(out) == 40
    assert steps_seen == sorted(steps_seen)  # each resume went on from the last whole checkpoint
    leftovers = list(out.glob(".*.tmp")) + list((out / "export").glob(".*.tmp"))
    assert not leftovers, "half-written files from the killed runs were left behind"
