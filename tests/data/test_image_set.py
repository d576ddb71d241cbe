import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.core.errors import DataError
from gan_core.data import image_set as data_mod
from gan_core.data.image_set import ShuffledBatches, load_images, open_image, read_image

from ..helpers import SHARED_DATA, make_folder, make_image


def load(src, size=16, **kw):
    kw.setdefault("cache_dir", None)
    kw.setdefault("use_cache", False)
    return load_images(src, size, **kw)


def assert_refused(src, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load(src)


def test_folder_is_searched_recursively_and_scaled_to_minus1_1(tmp_path):
    make_folder(tmp_path, 3, "a")
    make_folder(tmp_path, 2, "b/c", ext=".jpg", start=10)
    ds = load(tmp_path)
    assert ds.images.shape == (5, 3, 16, 16) and ds.images.dtype == torch.uint8
    x = ds.batch(torch.arange(5))
    assert x.min() >= -1 and x.max() <= 1 and x.dtype == torch.float32
    assert ds.skipped == 0 and len(ds.content_hash) == 16


def test_zip_and_tar_gz_give_the_same_images_as_the_folder(tmp_path):
    folder = tmp_path / "imgs"
    make_folder(folder, 4, "cls")
    zpath = tmp_path / "imgs.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(folder.rglob("*.png")):
            zf.write(p, p.relative_to(folder).as_posix())
    tpath = tmp_path / "imgs.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        tf.add(folder, arcname=".")
    a, b, c = load(folder), load(zpath), load(tpath)
    assert torch.equal(a.images, b.images) and torch.equal(a.images, c.images)


def test_cifar_layout_with_class_and_split_filter(tmp_path):
    for split in ("train", "test"):
        for cls in ("frog", "cat"):
            make_folder(tmp_path / split, 2, cls, ext=".jpg", start=hash((split, cls)) % 1000)
    tpath = tmp_path / "cifar.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        tf.add(tmp_path / "train", arcname="train")
        tf.add(tmp_path / "test", arcname="test")
    ds = load(tpath, classes=["frog"], split="train")
    assert len(ds) == 2 and all(f.startswith("train/frog/") for f in ds.files)
    assert ds.class_names == ["frog"] and torch.equal(ds.labels["class"], torch.zeros(2))
    with pytest.raises(DataError, match="horse"):
        load(tpath, classes=["horse"])


def test_celeba_attributes_are_joined_by_file_name_with_missing_rows(tmp_path):
    folder = tmp_path / "celeba" / "img_align_celeba"
    for i in (1, 2, 3):
        make_image(folder / f"{i:06d}.jpg", i, size=(178, 218))
    # Header says 202599 images, but only rows 1 and 3 exist (a partial file).
    (tmp_path / "celeba" / "list_attr_celeba.txt").write_text(
        "202599\nSmiling Eyeglasses\n000001.jpg  1 -1\n000003.jpg -1  1\n")
    ds = load(folder)
    by_name = dict(zip(ds.files, range(3)))
    smiling = ds.labels["Smiling"]
    assert smiling[by_name["000001.jpg"]] == 1 and smiling[by_name["000003.jpg"]] == 0
    assert torch.isnan(smiling[by_name["000002.jpg"]])
    assert ds.labels["Eyeglasses"][by_name["000003.jpg"]] == 1


def test_mismatched_celeba_attribute_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "img_align_celeba"
    make_image(folder / "000001.jpg", 1)
    (folder / "list_attr_celeba.txt").write_text("2\nSmiling\n999998.jpg 1\n999999.jpg -1\n")
    assert_refused(folder, "names none of its")
    (folder / "list_attr_celeba.txt").write_text("1\nSmiling Male\n000001.jpg 1\n")
    assert_refused(folder, "1 values for 2 attributes")


def test_utkface_labels_from_file_names(tmp_path):
    make_image(tmp_path / "25_1_2_20170116174525125.jpg.chip.jpg", 1, size=(200, 200))
    make_image(tmp_path / "61_0_0_20170104183427862.jpg.chip.jpg", 2, size=(200, 200))
    make_image(tmp_path / "noname.jpg", 3, size=(200, 200))
    ds = load(tmp_path)
    labels = {f: (ds.labels["age"][i].item(), ds.labels["gender"][i].item()) for i, f in enumerate(ds.files)}
    assert labels["25_1_2_20170116174525125.jpg.chip.jpg"] == (25, 1)
    assert labels["61_0_0_20170104183427862.jpg.chip.jpg"] == (61, 0)
    assert np.isnan(labels["noname.jpg"][0])


def test_unreadable_files_are_skipped_and_counted(tmp_path):
    make_folder(tmp_path, 3)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not an image")
    good = io.BytesIO()
    Image.new("RGB", (30, 30), "red").save(good, "PNG")
    (tmp_path / "truncated.png").write_bytes(good.getvalue()[:40])
    ds = load(tmp_path)
    assert len(ds) == 3 and ds.skipped == 3
    assert any("text.jpg" in e for e in ds.skipped_examples)


def test_no_images_is_a_clear_error(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    assert_refused(tmp_path, "no image files")
    (tmp_path / "bad.png").write_text("nope")
    assert_refused(tmp_path, "no readable images")
    assert_refused(tmp_path / "missing", "does not exist")


def test_second_load_comes_from_the_cache_without_decoding(tmp_path, monkeypatch):
    make_folder(tmp_path / "imgs", 4)
    first = load_images(tmp_path / "imgs", 16, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 1

    def no_decode(*a, **k):
        raise AssertionError("decoded again")

    monkeypatch.setattr(data_mod, "_decode", no_decode)
    second = load_images(tmp_path / "imgs", 16, cache_dir=tmp_path / "cache")
    assert torch.equal(first.images, second.images) and second.content_hash == first.content_hash
    # A changed file changes the key, so the cache is not used.
    make_image(tmp_path / "imgs" / "img_0000.png", 99)
    with pytest.raises(AssertionError, match="decoded again"):
        load_images(tmp_path / "imgs", 16, cache_dir=tmp_path / "cache")


def test_odd_image_modes_become_upright_rgb(tmp_path):
    arr16 = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16)
    Image.fromarray(arr16).save(tmp_path / "deep.png")
    pal = Image.new("P", (8, 8))
    pal.putpalette([255, 0, 0] * 256)
    pal.info["transparency"] = 0
    pal.save(tmp_path / "pal.png", transparency=0)
    for name in ("deep.png", "pal.png"):
        img = open_image(str(tmp_path / name))
        assert img.mode == "RGB"
    assert np.asarray(open_image(str(tmp_path / "deep.png"))).max() > 200  # scaled, not clipped to white
    assert np.asarray(open_image(str(tmp_path / "pal.png")))[0, 0].tolist() == [255, 255, 255]
    # EXIF orientation 6 (rotate 90) turns a 40x20 landscape into a 20x40 portrait.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (40, 20)).save(tmp_path / "rot.jpg", exif=exif)
    assert open_image(str(tmp_path / "rot.jpg")).size == (20, 40)


def test_shuffled_batches_resume_exactly():
    a = ShuffledBatches(10, 3, seed=5)
    first = [a.next() for _ in range(4)]  # crosses an epoch boundary (3 batches per epoch)
    state = a.state_dict()
    rest = [a.next() for _ in range(5)]
    b = ShuffledBatches(10, 3, seed=123)
    b.load_state_dict(state)
    assert all(torch.equal(x, y) for x, y in zip(rest, [b.next() for _ in range(5)]))
    assert a.epoch >= 2 and len({tuple(x.tolist()) for x in first}) == 4


@pytest.mark.skipif(not (SHARED_DATA / "faces").is_dir(), reason="../shared/data is not present")
def test_real_faces_share_one_framing(tmp_path):
    celeba = load(SHARED_DATA / "faces/celeba/img_align_celeba", 32, max_images=200)
    utk = load(SHARED_DATA / "faces/utkface", 32, max_images=200)
    assert len(celeba) == 200 and "Smiling" in celeba.labels and "age" in utk.labels
    # The mean faces of both sets line up: eyes (dark) at the same rows.
    def eye_row(ds):
        m = ds.images.float().mean((0, 1))  # (H, W)
        return int(m[4:20, 8:24].mean(1).argmin()) + 4
    assert abs(eye_row(celeba) - eye_row(utk)) <= 2


@pytest.mark.parametrize("image_format", ["jpeg", "webp"])
def test_a_pack_travels_with_its_labels_and_is_not_framed_twice(tmp_path, image_format):
    from gan_core.data.image_set import pack_images

    folder = tmp_path / "celeba"
    for i in (1, 2):
        make_image(folder / f"{i:06d}.jpg", i, size=(178, 218))
    (folder / "list_attr_celeba.txt").write_text("2\nSmiling\n000001.jpg 1\n000002.jpg -1\n")
    make_image(tmp_path / "utk" / "30_1_0_2017.jpg", 3, size=(200, 200))
    ds = load([folder, tmp_path / "utk"], size=24)
    packed = pack_images(ds, tmp_path / "pack.zip", image_format=image_format)
    back = load(packed, size=24)
    suffix = {"jpeg": ".jpg", "webp": ".webp"}[image_format]
    assert back.files == [str(Path(f).with_suffix(suffix)) for f in ds.files]
    assert torch.equal(back.labels["Smiling"].nan_to_num(-1), ds.labels["Smiling"].nan_to_num(-1))
    assert back.labels["age"][2] == 30
    # Only JPEG loss, no second crop: pixels stay close.
    assert (back.images.float() - ds.images.float()).abs().mean() < 6


# ----------------------------------------------------------------------------- colour spaces and depths


def _saved(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("mode, fmt", [("CMYK", "JPEG"), ("LAB", "TIFF"), ("YCbCr", "JPEG")])
def test_read_image_turns_other_colour_spaces_into_rgb(mode, fmt):
    img = read_image(_saved(Image.new("RGB", (20, 16), (200, 100, 50)).convert(mode), fmt))
    assert img.mode == "RGB"
    assert np.abs(np.asarray(img, np.int16) - (200, 100, 50)).max() <= 3


@pytest.mark.parametrize("values, expected", [
    (np.full((16, 20), 0.5, np.float32), 128),     # a float image in [0, 1]
    (np.full((16, 20), 100.0, np.float32), 100),   # a float image in [0, 255]
    (np.full((16, 20), 300.0, np.float32), 255),   # clipped
    (np.full((16, 20), 2**30, np.int32), 128),     # 32-bit integers, by their range
    (np.full((16, 20), 32768, np.int32), 128),     # 16-bit values in a 32-bit image
    (np.full((16, 20), 77, np.int32), 77),         # 8-bit values in a 32-bit image
])
def test_float_and_32_bit_tiffs_are_scaled_not_black(values, expected):
    img = read_image(_saved(Image.fromarray(values), "TIFF"))
    assert img.mode == "L" and abs(img.getpixel((3, 3)) - expected) <= 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_float_tiff_with_nan_or_inf_is_refused_clearly(bad):
    values = np.full((16, 20), 0.5, np.float32)
    values[2, 3] = bad
    with pytest.raises(DataError, match="NaN or infinite"):
        read_image(_saved(Image.fromarray(values), "TIFF"))


def test_a_truncated_zip_is_called_truncated(tmp_path):
    whole = tmp_path / "whole.zip"
    make_folder(tmp_path / "imgs", 4)
    with zipfile.ZipFile(whole, "w") as zf:
        for p in sorted((tmp_path / "imgs").iterdir()):
            zf.write(p, p.name)
    raw = whole.read_bytes()
    (tmp_path / "cut.zip").write_bytes(raw[: len(raw) // 2])
    assert_refused(tmp_path / "cut.zip", "cut.zip: the zip archive is truncated or damaged")


def test_an_archive_over_the_byte_limit_names_its_largest_members(tmp_path, monkeypatch):
    z = tmp_path / "big.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, size in (("a.png", 300), ("b.png", 900), ("c.png", 600)):
            zf.writestr(name, bytes(size))
    monkeypatch.setattr(data_mod, "MAX_ARCHIVE_BYTES", 1000)
    assert_refused(z, r"more than 1,000 bytes.*The largest members: b\.png \(900 bytes\), a\.png \(300 bytes\)")


def test_is_built_in_shapes_names_the_set_as_load_images_reads_it(tmp_path):
    from gan_core.data.image_set import is_built_in_shapes

    assert is_built_in_shapes(["shapes"]) and is_built_in_shapes(["shapes:20000"])
    assert not is_built_in_shapes(["shapes:x"]) and not is_built_in_shapes([str(tmp_path)])
    assert not is_built_in_shapes(["shapes", "shapes:5"]) and not is_built_in_shapes([])
