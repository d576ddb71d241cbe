"""CMP facades (gan_core.data.facades): label decoding, the split, crops and packing, on made-up facades
(and the real ones when present)."""

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.core.errors import DataError
from gan_core.data.image_set import load_images, pack_images
from gan_core.data.facades import (
    CLASS_NAMES, PALETTE, WINDOW, crop_boxes, crop_set, decode_labels, facade_crops, facade_names, is_held_out,
    read_facades, resize_facades,
)

from ..helpers import SHARED_DATA, block_labels, write_facades

COLOURS = np.array([c for _, c in PALETTE], dtype=np.int16)


def test_palette_has_the_twelve_cmp_classes_and_window_is_light_blue():
    assert len(PALETTE) == 12 and len(set(CLASS_NAMES)) == 12
    assert CLASS_NAMES[WINDOW] == "window" and PALETTE[WINDOW][1] == (0, 128, 255)


def test_noisy_label_colours_decode_to_their_exact_classes():
    classes = block_labels(0, 64, block=4)
    rng = np.random.default_rng(1)
    noisy = np.clip(COLOURS[classes] + rng.integers(-12, 13, (*classes.shape, 3)), 0, 255).astype(np.uint8)
    decoded = decode_labels(noisy)
    assert decoded.dtype == torch.int64 and decoded.shape == (64, 64)
    assert torch.equal(decoded, torch.from_numpy(classes))
    batch = decode_labels(np.stack([noisy, noisy]))  # any leading dimensions
    assert batch.shape == (2, 64, 64)


def test_jpeg_label_maps_decode_exactly_away_from_edges(tmp_path):
    classes = block_labels(3, 64, block=16)
    Image.fromarray(COLOURS[classes].astype(np.uint8)).save(tmp_path / "l.jpg", quality=75)
    decoded = decode_labels(np.asarray(Image.open(tmp_path / "l.jpg").convert("RGB"))).numpy()
    inside = np.zeros_like(classes, dtype=bool)
    for y in range(0, 64, 16):
        for x in range(0, 64, 16):
            inside[y + 3:y + 13, x + 3:x + 13] = True
    assert (decoded[inside] == classes[inside]).all()


def test_read_facades_gives_photos_window_masks_and_names(tmp_path):
    maps = write_facades(tmp_path, n=11)
    photos, masks, names = read_facades(tmp_path)
    assert names == [f"{i}.jpg" for i in range(1, 12)]  # 2 before 10: natural order
    assert photos.shape == (11, 3, 64, 64) and photos.dtype == torch.uint8
    assert masks.shape == (11, 64, 64) and masks.dtype == torch.bool
    for name, mask in zip(names, masks):
        truth = maps[name] == WINDOW
        assert (mask.numpy() == truth).mean() > 0.97  # JPEG edges may go either way
    _, class_maps, _ = read_facades(tmp_path, classes=True)
    assert class_maps.dtype == torch.int64 and torch.equal(class_maps == WINDOW, masks)


def test_the_split_is_fixed_by_file_name_and_covers_every_facade(tmp_path):
    write_facades(tmp_path, n=40)
    train, held = facade_names(tmp_path, "train"), facade_names(tmp_path, "held-out")
    assert sorted(train + held) == sorted(facade_names(tmp_path, "all")) and not set(train) & set(held)
    assert all(is_held_out(n) for n in held) and not any(is_held_out(n) for n in train)
    assert is_held_out("12.jpg") == is_held_out("12.jpg")
    with pytest.raises(DataError, match="split"):
        facade_names(tmp_path, "test")


def test_read_facades_refuses_a_missing_folder_and_mismatched_pairs(tmp_path):
    with pytest.raises(DataError, match="photos/ and labels/"):
        read_facades(tmp_path)
    write_facades(tmp_path, n=2)
    Image.new("RGB", (32, 32)).save(tmp_path / "labels" / "2.jpg")
    with pytest.raises(DataError, match="differ in size"):
        read_facades(tmp_path)


def test_crops_have_their_shapes_repeat_with_the_seed_and_start_with_the_whole_image():
    g = torch.Generator().manual_seed(0)
    photos = torch.randint(0, 256, (3, 3, 128, 128), generator=g, dtype=torch.uint8)
    masks = torch.zeros(3, 128, 128, dtype=torch.bool)
    masks[:, 32:96, 40:80] = True
    x, m = facade_crops(photos, masks, size=32, crops_per_image=5, seed=7)
    assert x.shape == (15, 3, 32, 32) and x.dtype == torch.uint8
    assert m.shape == (15, 32, 32) and m.dtype == torch.bool
    x2, m2 = facade_crops(photos, masks, size=32, crops_per_image=5, seed=7)
    assert torch.equal(x, x2) and torch.equal(m, m2)
    x3, _ = facade_crops(photos, masks, size=32, crops_per_image=5, seed=8)
    assert not torch.equal(x, x3)
    whole_x, whole_m = resize_facades(photos, masks, 32)
    assert torch.equal(x[::5], whole_x) and torch.equal(m[::5], whole_m)
    assert whole_m[:, 8:24, 10:20].all() and not whole_m[:, :7].any()  # the window block at a quarter size
    boxes = crop_boxes(3, 128, 5, seed=7)
    sides = boxes[..., 2]
    assert (sides[:, 0] == 128).all() and (sides >= 64).all() and (sides <= 128).all()
    assert ((boxes[..., 0] + sides) <= 128).all() and ((boxes[..., 1] + sides) <= 128).all()


def test_an_all_window_photo_stays_all_window_in_every_crop():
    photos = torch.zeros(2, 3, 100, 100, dtype=torch.uint8)
    _, m = facade_crops(photos, torch.ones(2, 100, 100, dtype=torch.bool), size=16, crops_per_image=4)
    assert m.all()


def test_packed_crops_load_back_for_training(tmp_path):
    write_facades(tmp_path / "facades", n=5)
    ds = crop_set(tmp_path / "facades", size=32, crops_per_image=3, split="all")
    assert len(ds) == 15 and ds.files[:4] == ["1_c0.jpg", "1_c1.jpg", "1_c2.jpg", "2_c0.jpg"]
    path = pack_images(ds, tmp_path / "facades32.zip")
    back = load_images(path, 32, use_cache=False)
    assert back.images.shape == (15, 3, 32, 32) and sorted(back.files) == sorted(ds.files)
    order = [back.files.index(f) for f in ds.files]
    assert (back.images[order].float() - ds.images.float()).abs().mean() < 6  # JPEG, quality 92


@pytest.mark.skipif(not (SHARED_DATA / "facades" / "labels").is_dir(), reason="../shared/data/facades is absent")
def test_the_real_facades_split_and_window_labels():
    root = SHARED_DATA / "facades"
    assert len(facade_names(root, "all")) == 400
    assert len(facade_names(root, "held-out")) == 49 and len(facade_names(root, "train")) == 351
    photos, masks, names = read_facades(root, "held-out")
    assert photos.shape == (49, 3, 256, 256) and masks.shape == (49, 256, 256)
    share = masks.float().mean().item()
    assert 0.05 < share < 0.3  # windows cover about a tenth of the held-out facades (0.103 at 64 px)
    # Window pixels are darker than the wall around them in most facade photos.
    grey = photos.float().mean(1)
    assert (grey[masks].mean() < grey[~masks].mean()).item()
