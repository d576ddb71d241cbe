import json

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.cli import main
from gan_core.training.image_classifier import random_crop_flip


def test_crops_are_shifted_windows_of_the_image_and_flips_mirror_it():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = random_crop_flip(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4), mode="reflect")
    for i in range(2):  # each output is one window of the padded image, mirrored or not
        windows = [padded[i, :, dy:dy + 8, dx:dx + 8] for dy in range(9) for dx in range(9)]
        assert any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(-1)) for w in windows)
    draws = {tuple(random_crop_flip(x, torch.Generator().manual_seed(s))[0, 0, 0, :2].tolist()) for s in range(10)}
    assert len(draws) > 3


def test_negatives_keep_the_colours_and_lose_the_layout():
    from gan_core.training.image_classifier import NEGATIVE_KINDS, negatives

    x = torch.rand(30, 3, 32, 32) * 2 - 1
    neg, kinds = negatives(x, torch.Generator().manual_seed(0))
    assert neg.shape == x.shape and set(kinds.tolist()) == set(range(len(NEGATIVE_KINDS)))
    patches = kinds == 0  # the same pixels, in other places
    assert torch.allclose(neg[patches].flatten(2).sort(2).values, x[patches].flatten(2).sort(2).values)
    assert not torch.equal(neg[patches], x[patches])
    blend = kinds == 2
    assert torch.allclose(neg[blend], ((x + x.roll(1, 0)) / 2)[blend])


def write_split(root, split, n):
    """Red and blue noisy squares in train/ or test/, folders named by class."""
    rng = np.random.default_rng(0 if split == "train" else 1)
    for cls, channel in (("red", 0), ("blue", 2)):
        for i in range(n):
            arr = rng.integers(0, 90, (32, 32, 3)).astype(np.uint8)
            arr[8:24, 8:24, channel] = 230
            path = root / split / cls / f"{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr).save(path)


@pytest.mark.usefixtures("one_torch_thread")
def test_the_classifier_learns_two_classes_and_loads_as_a_pipeline(tmp_path, capsys):
    data = tmp_path / "data"
    write_split(data, "train", 40)
    write_split(data, "test", 10)
    out = tmp_path / "run"
    assert main(["train-classifier", "--data", str(data), "--epochs", "8", "--batch-size", "16", "--width", "4",
                 "--lr", "0.05", "--out", str(out), "--name", "colours"]) == 0
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["task"] == "image-classification" and card["classes"] == ["blue", "red", "none"]
    test = card["metrics"]["test"]
    assert test["accuracy"] >= 0.9 and test["real_called_none"] <= 0.1
    called = test["negatives_called_none"]  # negatives of these plain squares are far from all hard
    assert sum(called.values()) / len(called) > test["real_called_none"] + 0.2
    assert card["training"]["command"].startswith("python -m gan_core train-classifier")
    clf = gan_core.load(out)
    assert clf.name == "colours" and clf.classes == ["blue", "red", "none"]
    red = torch.from_numpy(np.array(Image.open(data / "test" / "red" / "0.png"))).permute(2, 0, 1)[None]
    red = torch.cat([red, red]).repeat_interleave(2, 2).repeat_interleave(2, 3)  # any size: scaled to 32 px
    assert (clf(red).argmax(1) == 1).all()
    assert clf.features(red).shape == (2, 16)
    # Bad input says what is wrong and writes nothing.
    assert main(["train-classifier", "--data", str(data), "--epochs", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--epochs must be" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
