"""The linear probe (DCGAN section 5): features, classifier, confusion matrix (the command: cli/test_probe.py;
the Learn tab: demo/test_learn.py)."""

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core.evaluation.probe as probe_module
from gan_core.models import get_model
from gan_core.evaluation.probe import (choose_l2, class_labels, confusion_image, confusion_matrix,
    discriminator_features, evaluate, fit_linear_probe, initial_discriminator)

from ..helpers import SHARED_DATA

CIFAR10 = SHARED_DATA / "cifar10" / "cifar10.tar.gz"


def blobs(n: int, classes: int = 3, dim: int = 20, seed: int = 0):
    """Points around fixed, far-apart centres (a linearly separable problem); `seed`
    draws the points, the centres are always the same."""
    centres = 6 * torch.randn(classes, dim, generator=torch.Generator().manual_seed(0))
    y = torch.arange(n) % classes
    return centres[y] + torch.randn(n, dim, generator=torch.Generator().manual_seed(1000 + seed)), y


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


@pytest.mark.skipif(not CIFAR10.is_file(), reason="../shared/data/cifar10 is not present")
def test_real_cifar10_small(probe_checkpoint, capsys):
    """A few hundred real CIFAR-10 images through the whole pipeline: well above chance
    (10 %) even for the tiny checkpoint's untrained discriminator."""
    result = probe_module.run_probe(probe_checkpoint, CIFAR10, max_train=600, max_test=300, l2_grid=(1e-2,),
                                    baseline=False, epochs=5)
    assert result.class_names[0] == "airplane" and len(result.class_names) == 10
    assert result.train_images == 600 and result.test_images == 300
    assert result.trained.test_accuracy > 0.15
