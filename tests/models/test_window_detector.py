"""The window detector network (gan_core.models.window_detector)."""

import pytest
import torch

from gan_core.models.window_detector import WindowDetector

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_detector_gives_one_logit_map_per_image():
    d = WindowDetector(width=4)
    assert d(torch.zeros(2, 3, 64, 64)).shape == (2, 64, 64)
    assert WindowDetector(width=4, image_size=32)(torch.zeros(1, 3, 32, 32)).shape == (1, 32, 32)
    assert sum(p.numel() for p in WindowDetector().parameters()) < 200_000  # tiny: a 2-core CPU trains it
    with pytest.raises(ValueError):
        WindowDetector(image_size=30)
