"""The shapes judge as shipped: it counts held-out real shapes as shapes and the negatives,
noise and another GAN's pictures as not; shape_share takes any size and is quick."""

import time

import numpy as np
import pytest
import torch

import gan_core
from gan_core.data.shapes import draw_non_shapes, draw_shapes
from gan_core.evaluation.shape_score import ShapeScore, default_judge, shape_share
from gan_core.models.shape_classifier import CLASSES, ShapeClassifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SEED = 7  # neither the judge's training (1) nor its card's held-out figures (2) nor the GAN's set (0)


def _float(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).float() / 127.5 - 1


def test_held_out_real_shapes_are_shapes():
    images, classes = draw_shapes(400, 32, SEED)
    score = shape_share(_float(images))
    assert score.n == 400 and sum(score.counts.values()) == 400
    assert score.share >= 0.95
    assert min(score.counts[s] for s in CLASSES[:-1]) >= 0.9 * 80  # every shape, not one


def test_non_shapes_and_noise_are_not():
    assert shape_share(_float(draw_non_shapes(440, 32, SEED))).share <= 0.05
    noise = torch.rand(128, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert shape_share(noise).share <= 0.05
    flat = torch.zeros(16, 3, 32, 32)
    assert shape_share(flat).counts["none"] == 16


def test_gan_like_grain_does_not_flip_the_verdict():
    images = _float(draw_shapes(200, 32, SEED)[0])
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(1))
    assert shape_share((images + 0.08 * noise).clamp(-1, 1)).share >= 0.9
    assert shape_share((images + 0.6 * noise).clamp(-1, 1)).share <= 0.05  # but snow is not a shape


def test_64_px_input_is_resized_and_judged_alike():
    images, _ = draw_shapes(100, 64, SEED)
    assert shape_share(_float(images)).share >= 0.9
    assert shape_share(_float(draw_non_shapes(110, 64, SEED))).share <= 0.1


def test_a_frog_gan_draws_no_shapes():
    frogs = gan_core.load("cifar10-frogs-keras32")
    assert shape_share(frogs.decode(frogs.latents(64, seed=0))).share <= 0.05


def test_the_judge_is_loaded_once_and_scoring_64_is_quick():
    assert default_judge() is default_judge()
    x = _float(draw_shapes(64, 32, SEED)[0])
    shape_share(x)
    start = time.perf_counter()
    shape_share(x)
    assert time.perf_counter() - start < 0.5  # a few ms on one thread; generous for a busy machine


def test_a_score_reads_as_a_sentence_and_a_judge_can_be_given():
    torch.manual_seed(0)
    score = shape_share(torch.zeros(4, 3, 32, 32), judge=ShapeClassifier(2), threshold=0.99)
    assert isinstance(score, ShapeScore) and score.n == 4 and score.share == 0.0
    assert str(score) == "0 % of 4 samples look like a shape (disc 0, square 0, triangle 0, ring 0, cross 0, none 4)"
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        shape_share(torch.zeros(1, 3, 32, 32), threshold=1.5)
    with pytest.raises(ValueError, match=r"images must be a tensor \(N, 3, H, W\)"):
        shape_share(torch.zeros(3, 32, 32))
