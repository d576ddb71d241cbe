"""The `probe` command: the table, the results written to the card, dry runs and bad options."""

import json
import tarfile

import numpy as np
import pytest
from PIL import Image

from gan_core.core.checkpoints import CARD_FILE, read_json
from gan_core.cli import main
from gan_core.evaluation.probe import PROBE_CONFUSION_FILE, confusion_image

CLASSES = ("blue", "green", "red")  # the tiny archive's classes: one dominant colour each


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A CIFAR-like class-folder .tar.gz: train/<class>/*.png and test/<class>/*.png, 32x32."""
    root = tmp_path_factory.mktemp("tiny_cifar")
    rng = np.random.default_rng(0)
    path = root / "tiny_cifar.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for split, n in (("train", 12), ("test", 4)):
            for c, name in enumerate(sorted(CLASSES)):
                for i in range(n):
                    arr = rng.integers(0, 90, (32, 32, 3), dtype=np.uint8)
                    arr[..., c] += 150
                    file = root / f"{split}_{name}_{i}.png"
                    Image.fromarray(arr).save(file)
                    tar.add(file, arcname=f"tiny_cifar/{split}/{name}/{i:03d}.png")
    return path


def test_cli_probe_prints_a_table_and_writes_results(archive, probe_checkpoint, tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["probe", str(probe_checkpoint), "--data", str(archive), "--l2", "0.1", "0.01", "--validation", "6",
                 "--out", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    text = capsys.readouterr().out
    assert "test acc" in text and "82.8 %" in text and "tiny-probe: untrained" in text
    result = json.loads(out.read_text())
    assert result["class_names"] == sorted(CLASSES)
    assert result["train_images"] == 36 and result["validation_images"] == 6 and result["test_images"] == 12
    for score in (result["trained"], result["random"]):
        assert score["feature_dim"] == (64 + 128 + 256) * 16
        assert set(score["validation"]) == {"0.1", "0.01"} and score["l2"] in (0.1, 0.01)
        assert np.array(score["confusion"]).sum() == 12
        assert np.array(score["confusion"]).sum(1).tolist() == [4, 4, 4]
    assert result["trained"]["test_accuracy"] >= 0.9  # one colour per class: easy even for random filters
    assert result["command"].startswith("python -m gan_core probe")
    assert Image.open(tmp_path / "results_confusion.png").width > 100


def test_cli_probe_write_card_stores_what_the_learn_tab_reads(archive, probe_checkpoint, tmp_path, capsys):
    """--write-card: the results under metrics.probe of the card and the matrix as
    PROBE_CONFUSION_FILE beside it (tests/demo/test_learn.py shows them in the tab)."""
    assert main(["probe", str(probe_checkpoint), "--data", str(archive), "--l2", "0.01", "--max-train", "24",
                 "--no-baseline", "--write-card", "--cache-dir", str(tmp_path / "cache")]) == 0
    probe = read_json(probe_checkpoint / CARD_FILE)["metrics"]["probe"]
    assert probe["train_images"] == 24 and probe["test_images"] == 12 and probe["random"] is None
    assert probe["class_names"] == sorted(CLASSES) and probe["trained"]["l2"] == 0.01
    confusion = np.array(probe["trained"]["confusion"])
    assert confusion.sum(1).tolist() == [4, 4, 4]
    assert probe["trained"]["test_accuracy"] == pytest.approx(np.trace(confusion) / 12)
    drawn = confusion_image(confusion.tolist(), probe["class_names"],
                            title=f"{probe['checkpoint']}: test accuracy {100 * probe['trained']['test_accuracy']:.1f} %")
    assert np.array_equal(np.asarray(Image.open(probe_checkpoint / PROBE_CONFUSION_FILE).convert("RGB")),
                          np.asarray(drawn.convert("RGB")))


def test_cli_probe_dry_run_writes_nothing(archive, probe_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = (probe_checkpoint / CARD_FILE).read_text()
    assert main(["probe", str(probe_checkpoint), "--data", str(archive), "--dry-run", "--no-baseline",
                 "--out", "r.json", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "dry run ok" in capsys.readouterr().out
    assert not (tmp_path / "r.json").exists() and (probe_checkpoint / CARD_FILE).read_text() == before


@pytest.mark.parametrize("argv, message", [
    (["--max-train", "0"], "--max-train"),
    (["--l2", "0"], "positive"),
    (["--validation", "0"], "held out"),
])
def test_cli_probe_bad_options(archive, probe_checkpoint, tmp_path, capsys, argv, message):
    assert main(["probe", str(probe_checkpoint), "--data", str(archive), "--cache-dir", str(tmp_path / "cache"),
                 *argv]) == 2
    assert message in capsys.readouterr().err
