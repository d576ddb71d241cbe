"""The `facades` command: `facades pack` writes a training set, `facades detector` trains a window detector."""

import json

import pytest

import gan_core
from gan_core.cli import main as cli_main
from gan_core.core.checkpoints import CARD_FILE
from gan_core.data.image_set import load_images

from ..helpers import write_facades


def test_facades_pack_command_writes_a_training_set(tmp_path, capsys):
    write_facades(tmp_path / "facades", n=4)
    out = tmp_path / "pack" / "f.zip"
    assert cli_main(["facades", "pack", "--data", str(tmp_path / "facades"), "--size", "16", "--crops", "2",
                     "--split", "all", "--out", str(out)]) == 0
    assert "8 images" in capsys.readouterr().out
    assert load_images(out, 16, use_cache=False).images.shape == (8, 3, 16, 16)
    assert cli_main(["facades", "pack", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2


@pytest.mark.usefixtures("one_torch_thread")
def test_the_detector_command_trains_scores_and_writes_a_card(tmp_path, capsys):
    write_facades(tmp_path / "facades", n=24)
    out = tmp_path / "det"
    assert cli_main(["facades", "detector", "--data", str(tmp_path / "facades"), "--out", str(out),
                     "--steps", "2", "--batch-size", "4", "--width", "4"]) == 0
    assert "held-out window IoU" in capsys.readouterr().out
    card = json.loads((out / CARD_FILE).read_text())
    assert card["training"]["command"].startswith("python -m gan_core facades detector --data")
    assert card["data"]["train_images"] + card["data"]["held_out_images"] == 24
    assert "held_out_iou" in card["metrics"] and gan_core.load(out).detector.image_size == 64
