"""The built-in shapes (gan_core.data.shapes): repeatable, pinned, labelled, read as sources."""

import numpy as np
import pytest
import torch

from gan_core.core.errors import DataError
from gan_core.data.image_set import load_images, make_shapes
from gan_core.data.shapes import NON_SHAPE_KINDS, SHAPES, draw_non_shapes, draw_shapes

from ..helpers import make_folder


@pytest.fixture(scope="module")
def shapes64():
    return make_shapes(64, 32, 0)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others(shapes64):
    again = make_shapes(64, 32, 0)
    assert torch.equal(shapes64.images, again.images) and shapes64.content_hash == again.content_hash
    other = make_shapes(64, 32, 1)
    assert not torch.equal(shapes64.images, other.images) and other.content_hash != shapes64.content_hash
    # Image i does not depend on n: a smaller set is a prefix of a larger one.
    assert torch.equal(make_shapes(10, 32, 0).images, shapes64.images[:10])


def test_the_bytes_are_pinned(shapes64):
    # Exact arithmetic only (see the module docstring): every machine draws these bytes.
    # A change here changes every shapes run's content hash, and --resume refuses them.
    assert shapes64.content_hash == "ef0ea48900267d41"


@pytest.mark.parametrize("size", [8, 28, 32, 64])
def test_shapes_dtype_and_range(size):
    ds = make_shapes(20, size, 3)
    assert ds.images.shape == (20, 3, size, size) and ds.images.dtype == torch.uint8
    assert ds.size == size and len(ds) == 20 and len(ds.files) == 20
    assert ds.images.min() < 40 and ds.images.max() > 215  # dark and bright: saturated colours
    x = ds.batch(torch.arange(4))
    assert x.min() >= -1 and x.max() <= 1


def test_labels_files_and_description():
    ds = make_shapes(2000, 32, 0)
    assert ds.class_names == list(SHAPES) and ds.class_names[:3] == ["disc", "square", "triangle"]
    counts = torch.bincount(ds.labels["class"].long(), minlength=len(SHAPES))
    assert counts.tolist() == [400] * len(SHAPES)  # balanced, and so is every prefix:
    assert torch.bincount(ds.labels["class"][:64].long()).tolist() == [13, 13, 13, 13, 12]
    assert ds.files[:2] == ["disc/000000.png", "square/000001.png"]
    assert ds.description == "2,000 procedurally drawn shapes (disc, square, triangle, ring, cross), 32 px, seed 0"
    assert ds.summary()["classes"] == list(SHAPES)


def test_a_shape_is_drawn_on_a_contrasting_background(shapes64):
    x = shapes64.images.numpy().astype(np.int16)
    # The corners always show the background (the shape keeps off the edges); pixels far
    # (in their most different channel) from all four corners' colours are the shape's.
    corners = np.stack([x[:, :, 0, 0], x[:, :, 0, -1], x[:, :, -1, 0], x[:, :, -1, -1]], 1)
    far = np.abs(x[:, None] - corners[:, :, :, None, None]).max(2).min(1) > 40
    fraction = far.mean((1, 2))
    assert fraction.min() > 0.03 and fraction.max() < 0.5  # a shape, never a blank or a flood
    assert 0.1 < np.median(fraction) < 0.3
    # Anti-aliased: edge pixels take values between the shape's and the background's.
    assert np.unique(x[0].reshape(3, -1), axis=1).shape[1] > 20


def _shape_seen(image: np.ndarray) -> str:
    """Which shape an image shows, told from its pixels alone (rotation-invariant): a
    ring is hollow at its centre, a triangle is not symmetric under a half turn, a disc
    fills its circumscribed circle, a square covers every pixel of the circle at 0.6 R
    (its inscribed circle has radius 0.71 R), a cross leaves gaps between its arms there."""
    x = image.astype(np.int16)  # (3, H, W)
    corners = np.stack([x[:, 0, 0], x[:, 0, -1], x[:, -1, 0], x[:, -1, -1]])
    mask = np.abs(x[None] - corners[:, :, None, None]).max(1).min(0) > 40
    ys, xs = np.nonzero(mask)
    cy, cx = ys.mean(), xs.mean()
    radius = np.hypot(ys - cy, xs - cx).max() + 0.5
    if not mask[round(cy), round(cx)]:
        return "ring"
    turned_y, turned_x = np.rint(2 * cy - ys).astype(int), np.rint(2 * cx - xs).astype(int)
    inside = (turned_y >= 0) & (turned_y < mask.shape[0]) & (turned_x >= 0) & (turned_x < mask.shape[1])
    if mask[turned_y[inside], turned_x[inside]].sum() < 0.75 * len(ys):
        return "triangle"
    if mask.sum() > 0.8 * np.pi * radius ** 2:
        return "disc"
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    circle = mask[np.rint(cy + 0.6 * radius * np.sin(angles)).astype(int),
                  np.rint(cx + 0.6 * radius * np.cos(angles)).astype(int)]
    return "square" if circle.mean() > 0.95 else "cross"


@pytest.mark.parametrize("size", [32, 64])
def test_each_image_shows_the_shape_its_label_names(size):
    ds = make_shapes(100, size, 7)
    seen = [_shape_seen(image) for image in ds.images.numpy()]
    assert seen == [ds.class_names[int(c)] for c in ds.labels["class"]]


def test_load_images_reads_the_source_strings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ds = load_images(["shapes:64"], 32)
    assert len(ds) == 64 and ds.content_hash == make_shapes(64, 32, 0).content_hash
    assert len(load_images("shapes", 28)) == 2000
    seeded = load_images("shapes:16:5", 32)
    assert torch.equal(seeded.images, make_shapes(16, 32, 5).images)
    assert len(load_images("shapes:64", 32, max_images=10)) == 10
    rings = load_images("shapes:100", 32, classes=["ring", "disc"], max_images=8)
    assert rings.class_names == ["disc", "ring"] and len(rings) == 8
    assert set(rings.labels["class"].tolist()) == {0.0, 1.0} and rings.files[1] == "ring/000003.png"
    assert not (tmp_path / ".cache").exists() and list(tmp_path.iterdir()) == []  # drawn, never cached


@pytest.mark.parametrize("sources, kw, message", [
    ("shapes:many", {}, "shapes:N:SEED"),
    ("shapes:1:2:3", {}, "shapes:N:SEED"),
    ("shapes:0", {}, "1 to 100,000"),
    (["shapes:64", "shapes:32"], {}, "on its own"),
    ("shapes", {"split": "train"}, "no 'train' split"),
    ("shapes", {"classes": ["frog"]}, "no class frog"),
])
def test_bad_shapes_sources_are_clear_errors(sources, kw, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=message):
        load_images(sources, 32, **kw)


def test_a_real_folder_named_shapes_is_read_instead(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_folder(tmp_path / "shapes", 5)
    ds = load_images("shapes", 32, cache_dir=tmp_path / "cache")
    assert len(ds) == 5 and ds.files[0] == "img_0000.png"


# ----------------------------------------------------------------------------- not shapes


@pytest.fixture(scope="module")
def non_shapes():
    return draw_non_shapes(110, 32, 0)


def test_non_shapes_are_repeatable_shaped_and_prefix_stable(non_shapes):
    assert non_shapes.shape == (110, 3, 32, 32) and non_shapes.dtype == np.uint8
    assert np.array_equal(draw_non_shapes(110, 32, 0), non_shapes)
    assert np.array_equal(draw_non_shapes(13, 32, 0), non_shapes[:13])  # image i does not depend on n
    assert not np.array_equal(draw_non_shapes(110, 32, 1), non_shapes)
    assert draw_non_shapes(11, 64, 0).shape == (11, 3, 64, 64)
    # Not the positives' stream: no negative is a drawn shape of the same seed.
    shapes, _ = draw_shapes(110, 32, 0)
    assert not any(np.array_equal(a, b) for a, b in zip(shapes, non_shapes))


def _kind(images: np.ndarray, kind: str) -> np.ndarray:
    return images[NON_SHAPE_KINDS.index(kind)::len(NON_SHAPE_KINDS)].astype(np.int16)


def _steepest_edge(images: np.ndarray) -> np.ndarray:
    """Per image, the largest change between neighbouring pixels (any channel)."""
    return np.maximum(np.abs(np.diff(images, axis=2)).max((1, 2, 3)), np.abs(np.diff(images, axis=3)).max((1, 2, 3)))


def test_each_kind_of_non_shape_is_what_it_says(non_shapes):
    shapes = draw_shapes(110, 32, 0)[0].astype(np.int16)
    # Blurred: no sharp edge left, where a clean shape steps by a large part of its contrast in one pixel.
    assert _steepest_edge(_kind(non_shapes, "blurred")).max() < 0.5 * np.median(_steepest_edge(shapes))
    # The background alone: no pixel far from the image's own corners' range.
    background = _kind(non_shapes, "background")
    assert (background.max((2, 3)) - background.min((2, 3))).max() <= 60
    # Noise: busy everywhere; speckled shapes too.
    for kind in ("noise", "speckled"):
        busy = np.abs(np.diff(_kind(non_shapes, kind), axis=3)).mean((1, 2, 3))
        assert busy.min() > 2 * np.abs(np.diff(shapes, axis=3)).mean((1, 2, 3)).max(), kind
    # Every kind is there, and no two images are alike.
    assert len({im.tobytes() for im in non_shapes}) == len(non_shapes)

