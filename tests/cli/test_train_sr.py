"""The `train-sr` command: a dry run, then a run and its resume."""
from __future__ import annotations

import json

from gan_core.cli import main
from gan_core.core.checkpoints import CARD_FILE


def test_cli_train_sr_dry_run_and_resume(sr_photos, tmp_path, capsys):
    assert main(["train-sr", "--data", str(sr_photos), "--hr-size", "32", "--dry-run", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "dry run ok" in printed and "content loss: pixel (the mse phase: pixel MSE only)" in printed
    out = tmp_path / "run"
    args = ["train-sr", "--data", str(sr_photos), "--hr-size", "32", "--batch-size", "2", "--out", str(out),
            "--steps", "1", "--device", "cpu"]
    assert main(args) == 0
    assert main(args) == 2  # the run exists: refused without --resume
    assert "--resume" in capsys.readouterr().err
    assert main(["train-sr", "--out", str(out), "--resume", "--steps", "2"]) == 0
    card = json.loads((out / "export" / CARD_FILE).read_text())
    assert card["training"]["steps"] == 2 and card["training"]["command"].startswith("python -m gan_core train-sr")
