"""DistributedDataParallel on the CPU: two processes, gloo backend, launched by torchrun."""
import json
import os
import subprocess
import sys

import torch

import gan_core

from ..helpers import REPO, free_port, make_folder


def test_torchrun_two_processes_with_gloo(tmp_path):
    make_folder(tmp_path / "imgs", 32)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), "-m", "gan_core", "train", "--model", "dcgan32",
           "--data", str(tmp_path / "imgs"), "--steps", "3", "--batch-size", "8", "--log-every", "1",
           "--device", "cpu", "--out", str(out), "--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["training"]["processes"] == 2 and card["training"]["steps"] == 3
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in log] == [1, 2, 3]  # rank 0 alone writes
    images = gan_core.load(out)(2, seed=0)
    assert images[0].size == (32, 32)
    assert torch.isfinite(torch.tensor(log[-1]["loss_g"]))
