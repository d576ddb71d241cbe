"""The shapes judge's network: six logits for 32 px images, checked arguments, a small file."""

import pytest
import torch

from gan_core.data.shapes import SHAPES
from gan_core.models.shape_classifier import CLASSES, NONE, ShapeClassifier


def test_six_classes_the_shapes_then_none():
    assert CLASSES == (*SHAPES, "none") and CLASSES[NONE] == "none"


def test_logits_for_a_batch_and_a_config_that_rebuilds_it():
    torch.manual_seed(0)
    model = ShapeClassifier(width=4).eval()
    x = torch.rand(5, 3, 32, 32) * 2 - 1
    assert model(x).shape == (5, len(CLASSES))
    again = ShapeClassifier(**{k: v for k, v in model.config().items() if k != "classes"})
    again.load_state_dict(model.state_dict())
    assert torch.equal(again.eval()(x), model(x))


def test_the_default_network_is_small():
    weights = sum(p.numel() for p in ShapeClassifier().parameters())
    assert weights * 4 < 1_000_000  # under 1 MB as float32


@pytest.mark.parametrize("kw", [{"width": 0}, {"image_size": 64}])
def test_bad_sizes_are_refused(kw):
    with pytest.raises(ValueError, match="width must be >= 1 and image_size 32"):
        ShapeClassifier(**kw)
