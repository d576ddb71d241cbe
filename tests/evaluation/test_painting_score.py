"""The "painted" measure's control (gan_core.evaluation.painting_score.photo_filter)."""
from __future__ import annotations

import numpy as np
from PIL import Image


def test_the_control_filter_cools_and_softens_a_photo():
    """photo_filter: bluer on average, less fine detail, the same size; the style model's
    'painted' share is read beside this filter's."""
    from gan_core.evaluation.painting_score import photo_filter

    rng = np.random.default_rng(0)
    photo = rng.integers(60, 200, (40, 50, 3), dtype=np.uint8)
    out = np.asarray(photo_filter(photo)).astype(float)
    assert out.shape == photo.shape
    assert out[..., 2].mean() > photo[..., 2].mean() + 20 and out[..., 0].mean() < photo[..., 0].mean()
    detail = lambda a: np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    assert detail(out) < 0.5 * detail(photo.astype(float))
    assert np.array_equal(np.asarray(photo_filter(Image.fromarray(photo))), out.astype(np.uint8))
