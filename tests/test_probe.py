"""The linear probe (DCGAN section 5): features, classifier, confusion matrix and CLI (the Learn tab: test_demo_learn.py)."""
import json
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core.evaluation.probe as probe_module
from gan_core.core.checkpoints import CARD_FILE, DISCRIMINATOR_FILE, read_json, save_weights, write_json
from gan_core.cli import main
from gan_core.models import get_model
from gan_core.evaluation.probe import (
    PROBE_CONFUSION_FILE, choose_l2, class_labels, confusion_image, confusion_matrix, discriminator_features,
    evaluate, fit_linear_probe, initial_discriminator,
)

from .helpers import SHARED_DATA, write_tiny_checkpoint

CIFAR10 = SHARED_DATA / "cifar10" / "cifar10.tar.gz"
CLASSES = ("blue", "green", "red")  # the tiny archive's classes: one dominant colour each


def blobs(n: int, classes: int = 3, dim: int = 20, seed: int = 0):
    """Points around fixed, far-apart centres (a linearly separable problem); `seed`
    draws the points, the centres are always the same."""
    centres = 6 * torch.randn(classes, dim, generator=torch.Generator().manual_seed(0))
    y = torch.arange(n) % classes
    return centres[y] + torch.randn(n, dim, generator=torch.Generator().manual_seed(1000 + seed)), y


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


@pytest.fixture
def checkpoint(tmp_path):
    """A tiny untrained dcgan32 with a discriminator (the helper writes the generator)."""
    folder = write_tiny_checkpoint(tmp_path / "tiny-probe")
    torch.manual_seed(1)
    save_weights(folder / DISCRIMINATOR_FILE, get_model("dcgan32").build_discriminator())
    card = read_json(folder / CARD_FILE)
    card["files"]["discriminator"] = DISCRIMINATOR_FILE
    write_json(folder / CARD_FILE, card)
    return folder


def test_features_are_every_block_max_pooled_to_4x4():
    D = get_model("dcgan32").build_discriminator()
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    features = discriminator_features(D, images, batch_size=2)
    assert features.shape == (3, (64 + 128 + 256) * 16)
    # The first block's 16x16 map in 4x4 windows of 4x4 pixels, taken by hand.
    with torch.no_grad():
        first = D.eval().features(images.float() / 127.5 - 1)[0]
    manual = first.view(3, 64, 4, 4, 4, 4).amax(dim=(3, 5)).flatten(1)
    torch.testing.assert_close(features[:, :64 * 16], manual)
    narrow = get_model("dcgan32").scaled(0.25).build_discriminator()
    assert discriminator_features(narrow, images).shape == (3, (16 + 32 + 64) * 16)


def test_untrained_baseline_is_the_trained_runs_starting_point():
    """The trainer seeds torch, builds G, then D: the baseline gets those weights."""
    spec = get_model("dcgan32")
    torch.manual_seed(3)
    spec.build_generator()
    started_from = spec.build_discriminator()
    for a, b in zip(started_from.parameters(), initial_discriminator(spec, 3).parameters()):
        assert torch.equal(a, b)


def test_probe_fits_a_separable_problem():
    x, y = blobs(300)
    probe = fit_linear_probe(x, y, l2=1e-4)
    assert evaluate(probe, x, y)["accuracy"] == 1.0
    x_new, y_new = blobs(150, seed=1)  # new points around the same centres
    assert evaluate(probe, x_new, y_new)["accuracy"] >= 0.99
    assert probe.weight.shape == (3, 20) and probe.l2 == 1e-4


def test_large_problems_take_minibatch_adam(monkeypatch):
    """Above FULL_BATCH_ELEMENTS features the fit is minibatch Adam: it too separates the blobs."""
    monkeypatch.setattr(probe_module, "FULL_BATCH_ELEMENTS", 0)
    monkeypatch.setattr(torch.optim, "LBFGS", None)  # would fail if it were used
    x, y = blobs(2000)
    probe = fit_linear_probe(x, y, l2=1e-3, epochs=5)
    x_new, y_new = blobs(500, seed=1)
    assert evaluate(probe, x_new, y_new)["accuracy"] >= 0.99


def test_constant_features_do_not_break_the_fit():
    x, y = blobs(90)
    x[:, 5] = 7.0  # a dead unit
    probe = fit_linear_probe(x, y, l2=1e-3)
    assert torch.isfinite(probe.weight).all() and evaluate(probe, x, y)["accuracy"] == 1.0


def test_l2_is_chosen_on_the_validation_rows(monkeypatch):
    x, y = blobs(200)
    validation = torch.zeros(200, dtype=torch.bool)
    validation[150:] = True
    fitted_rows, scored = [], []
    real_fit, real_evaluate = probe_module._fit, probe_module.evaluate

    def spy_fit(features, labels, *args, **kwargs):
        fitted_rows.append(len(features))
        return real_fit(features, labels, *args, **kwargs)

    def fake_evaluate(probe, features, labels):  # validation "prefers" 1e-2
        scored.append((probe.l2, len(labels)))
        return {**real_evaluate(probe, features, labels), "accuracy": 1.0 - abs(np.log10(probe.l2) + 2)}

    monkeypatch.setattr(probe_module, "_fit", spy_fit)
    monkeypatch.setattr(probe_module, "evaluate", fake_evaluate)
    grid = (1e-3, 1e-1, 1e-2)
    l2, scores, best = choose_l2(x, y, validation, grid)
    assert l2 == 1e-2 and best.l2 == 1e-2
    assert sorted(scores) == sorted(grid)
    assert fitted_rows == [150, 150, 150]  # fitted without the validation rows...
    assert sorted(scored) == sorted((v, 50) for v in grid)  # ...and scored on them only


def test_confusion_matrix_counts():
    labels = torch.tensor([0, 0, 1, 2, 2, 2, 1])
    predictions = torch.tensor([0, 1, 1, 2, 0, 2, 1])
    m = confusion_matrix(labels, predictions, 3)
    assert m.sum() == len(labels)
    assert m.sum(1).tolist() == torch.bincount(labels, minlength=3).tolist()  # rows are the true classes
    assert m.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    img = confusion_image(m, ["cat", "dog", "frog"], title="test")
    assert isinstance(img, Image.Image) and img.width > 3 * 40 and img.height > 3 * 40


def test_class_labels_come_from_parent_folders():
    labels, names = class_labels(["x/train/dog/1.jpg", "x/train/cat/2.jpg", "x/train/dog/3.jpg"])
    assert names == ["cat", "dog"] and labels.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="not classes"):
        class_labels(["test/bird/1.jpg"], names)


def test_cli_probe_prints_a_table_and_writes_results(archive, checkpoint, tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["probe", str(checkpoint), "--data", str(archive), "--l2", "0.1", "0.01", "--validation", "6",
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


def test_cli_probe_write_card_stores_what_the_learn_tab_reads(archive, checkpoint, tmp_path, capsys):
    """--write-card: the results under metrics.probe of the card and the matrix as
    PROBE_CONFUSION_FILE beside it (tests/test_demo_learn.py shows them in the tab)."""
    assert main(["probe", str(checkpoint), "--data", str(archive), "--l2", "0.01", "--max-train", "24",
                 "--no-baseline", "--write-card", "--cache-dir", str(tmp_path / "cache")]) == 0
    probe = read_json(checkpoint / CARD_FILE)["metrics"]["probe"]
    assert probe["train_images"] == 24 and probe["test_images"] == 12 and probe["random"] is None
    assert probe["class_names"] == sorted(CLASSES) and probe["trained"]["l2"] == 0.01
    confusion = np.array(probe["trained"]["confusion"])
    assert confusion.sum(1).tolist() == [4, 4, 4]
    assert probe["trained"]["test_accuracy"] == pytest.approx(np.trace(confusion) / 12)
    drawn = confusion_image(confusion.tolist(), probe["class_names"],
                            title=f"{probe['checkpoint']}: test accuracy {100 * probe['trained']['test_accuracy']:.1f} %")
    assert np.array_equal(np.asarray(Image.open(checkpoint / PROBE_CONFUSION_FILE).convert("RGB")),
                          np.asarray(drawn.convert("RGB")))


def test_cli_probe_dry_run_writes_nothing(archive, checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = (checkpoint / CARD_FILE).read_text()
    assert main(["probe", str(checkpoint), "--data", str(archive), "--dry-run", "--no-baseline",
                 "--out", "r.json", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "dry run ok" in capsys.readouterr().out
    assert not (tmp_path / "r.json").exists() and (checkpoint / CARD_FILE).read_text() == before


@pytest.mark.parametrize("argv, message", [
    (["--max-train", "0"], "--max-train"),
    (["--l2", "0"], "positive"),
    (["--validation", "0"], "held out"),
])
def test_cli_probe_bad_options(archive, checkpoint, tmp_path, capsys, argv, message):
    assert main(["probe", str(checkpoint), "--data", str(archive), "--cache-dir", str(tmp_path / "cache"),
                 *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(not CIFAR10.is_file(), reason="../shared/data/cifar10 is not present")
def test_real_cifar10_small(checkpoint, capsys):
    """A few hundred real CIFAR-10 images through the whole pipeline: well above chance
    (10 %) even for the tiny checkpoint's untrained discriminator."""
    result = probe_module.run_probe(checkpoint, CIFAR10, max_train=600, max_test=300, l2_grid=(1e-2,),
                                    baseline=False, epochs=5)
    assert result.class_names[0] == "airplane" and len(result.class_names) == 10
    assert result.train_images == 600 and result.test_images == 300
    assert result.trained.test_accuracy > 0.15
