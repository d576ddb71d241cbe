"""A corpus of bad inputs, made here in tmp_path, and the clear error each one gets.

Images, archives, checkpoints and the command line: a broken or hostile file is
skipped with its reason (a data set) or refused with a message that says what is
wrong and what to do (a single image, a checkpoint), never a traceback.
"""
import io
import json
import struct
import tarfile
import zipfile
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.cli import main as cli_main
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, read_tensors
from gan_core.core.errors import CheckpointError, DataError
from gan_core.data import image_set as data_mod
from gan_core.data.image_set import load_images, open_image

from .helpers import make_folder, write_tiny_checkpoint


def load(src, size=16, **kw):
    kw.setdefault("use_cache", False)
    return load_images(src, size, **kw)


def png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95, **kw)
    return buf.getvalue()


def noise(size=(64, 64), seed=0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), np.uint8))


def bomb_png(width=20000, height=20000) -> bytes:
    """A valid 1-bit PNG of width x height black pixels: 400 MP, but only ~50 kB on
    disk (the rows of zeros compress ~1000:1). Built by hand, so that no 400 MP
    image is ever held here either."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the packed bits
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- images

def refused_images() -> dict[str, tuple[bytes, str]]:
    """file name -> (bytes, what the message must say)."""
    jpg, png = jpeg_bytes(noise()), png_bytes(noise())
    return {
        "empty.png": (b"", "empty file"),
        "text.png": (b"just some notes, renamed to .png\n" * 4, "not a readable image"),
        "cut.png": (png[: len(png) // 2], "truncated"),
        "cut.jpg": (jpg[: len(jpg) // 2], "truncated"),
        "bomb.png": (bomb_png(), "image too large"),
    }


@pytest.mark.parametrize("name", ["empty.png", "text.png", "cut.png", "cut.jpg", "bomb.png"])
def test_open_image_refuses_bad_files_with_a_data_error(tmp_path, name):
    content, expected = refused_images()[name]
    path = tmp_path / name
    path.write_bytes(content)
    for source in (str(path), path, content):
        with pytest.raises(DataError, match=expected):
            open_image(source)
    assert issubclass(DataError, ValueError)


def test_a_decompression_bomb_is_refused_from_its_header_before_decoding(tmp_path, monkeypatch):
    content = bomb_png()
    assert len(content) < 200_000
    with pytest.raises(DataError) as info:
        open_image(content)
    msg = str(info.value)
    assert "20000x20000" in msg or "400,000,000" in msg
    assert f"{data_mod.MAX_IMAGE_PIXELS:,}" in msg and "downscale" in msg
    # Our own limit, not only Pillow's (which is 89 MP for a warning, 179 MP for an error):
    # a 60 MP image is refused under a lower limit, and decoding is never started.
    monkeypatch.setattr(data_mod, "MAX_IMAGE_PIXELS", 1_000_000)
    calls = []
    monkeypatch.setattr(Image.Image, "load", lambda self: calls.append(1))
    with pytest.raises(DataError, match="2000x2000 = 4,000,000 pixels"):
        open_image(bomb_png(2000, 2000))
    assert calls == []


def test_load_images_skips_and_counts_each_bad_file_next_to_good_ones(tmp_path):
    make_folder(tmp_path, 3)
    bad = refused_images()
    for name, (content, _) in bad.items():
        (tmp_path / name).write_bytes(content)
    Image.new("RGB", (1, 1), "red").save(tmp_path / "pixel.png")
    ds = load(tmp_path)
    assert len(ds) == 3 and ds.skipped == len(bad) + 1
    assert all(f.startswith("img_") for f in ds.files)
    reasons = dict(e.split(": ", 1) for e in ds.skipped_examples)
    assert len(reasons) == 5  # skipped_examples keeps the first five, in file order
    assert "bomb.png" in reasons and "image too large" in reasons["bomb.png"]
    assert "empty file" in reasons["empty.png"]
    assert "truncated" in reasons["cut.png"] and "truncated" in reasons["cut.jpg"]
    # Only bad files: one clear error, with an example reason.
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    for name, (content, _) in bad.items():
        (only_bad / name).write_bytes(content)
    with pytest.raises(DataError, match=r"no readable images .*\(5 unreadable, e\.g\. bomb\.png: image too large"):
        load(only_bad)


def test_a_1x1_image_opens_but_is_too_small_to_train_on(tmp_path):
    Image.new("RGB", (1, 1), (10, 200, 30)).save(tmp_path / "pixel.png")
    img = open_image(str(tmp_path / "pixel.png"))
    assert img.size == (1, 1) and img.getpixel((0, 0)) == (10, 200, 30)
    make_folder(tmp_path, 2)
    ds = load(tmp_path)
    assert len(ds) == 2 and ds.skipped == 1
    assert ds.skipped_examples == [f"pixel.png: image too small: 1x1 pixels, under {data_mod.MIN_IMAGE_SIDE} "
                                   "pixels a side there is no picture to learn from"]


def odd_images() -> dict[str, tuple[bytes, np.ndarray]]:
    """file name -> (bytes, the RGB pixels it must load as, approximately)."""
    out = {}
    # 16-bit grey: a ramp over the whole 0..65535 range, scaled to 0..255 (not clipped).
    ramp = np.tile(np.linspace(0, 65535, 32).astype(np.uint16), (32, 1))
    out["deep16.png"] = (png_bytes(Image.fromarray(ramp)),
                         np.repeat((ramp.astype(np.float64) * 255 / 65535)[..., None], 3, 2))
    # CMYK JPEG of pure cyan.
    out["cmyk.jpg"] = (jpeg_bytes(Image.new("CMYK", (32, 32), (255, 0, 0, 0))),
                       np.broadcast_to(np.array([0, 255, 255]), (32, 32, 3)))
    # Palette image: index 0 transparent (over white), index 1 opaque blue.
    pal = Image.new("P", (32, 32), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.paste(1, (16, 0, 32, 32))
    expected = np.zeros((32, 32, 3))
    expected[:, :16] = 255
    expected[:, 16:] = [0, 0, 255]
    out["palette.png"] = (png_bytes(pal, transparency=0), expected)
    # Animated GIF: a red frame, then a green one; the first is used.
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "lime")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out["anim.gif"] = (buf.getvalue(), np.broadcast_to(np.array([255, 0, 0]), (32, 32, 3)))
    # EXIF orientation 6: a tall picture (red top, blue bottom) stored sideways as a
    # wide one, with the tag that says "turn 90 degrees clockwise to view".
    tall = np.zeros((48, 24, 3), np.uint8)
    tall[:24] = [255, 0, 0]
    tall[24:] = [0, 0, 255]
    stored = Image.fromarray(tall).transpose(Image.Transpose.ROTATE_90)  # counter-clockwise: 48 wide, 24 high
    assert stored.size == (48, 24)
    exif = Image.Exif()
    exif[0x0112] = 6
    out["rotated.jpg"] = (jpeg_bytes(stored, exif=exif), tall)
    return out


@pytest.mark.parametrize("name", ["deep16.png", "cmyk.jpg", "palette.png", "anim.gif", "rotated.jpg"])
def test_odd_but_valid_images_become_the_right_rgb(tmp_path, name):
    content, expected = odd_images()[name]
    (tmp_path / name).write_bytes(content)
    img = open_image(str(tmp_path / name))
    assert img.mode == "RGB" and img.size == (expected.shape[1], expected.shape[0])
    got = np.asarray(img).astype(np.float64)
    inner = (slice(2, -2), slice(2, -2))  # JPEG blurs the edges of colour blocks
    if name == "rotated.jpg":
        for rows in (slice(2, 20), slice(28, 46)):
            assert np.abs(got[rows, 2:-2] - expected[rows, 2:-2]).mean() < 12, "not upright"
    elif name == "palette.png":
        assert np.array_equal(got[:, :16], expected[:, :16]) and np.array_equal(got[:, 16:], expected[:, 16:])
    else:
        assert np.abs(got[inner] - expected[inner]).max() < 12


def test_odd_images_load_beside_good_ones_and_stay_upright(tmp_path):
    make_folder(tmp_path, 2)
    for name, (content, _) in odd_images().items():
        (tmp_path / name).write_bytes(content)
    ds = load(tmp_path, size=16, framing="center")
    assert ds.skipped == 0 and len(ds) == 7
    rotated = ds.images[ds.files.index("rotated.jpg")].float()  # (3, 16, 16): a centre square of a tall image
    top, bottom = rotated[:, :4].mean((1, 2)), rotated[:, -4:].mean((1, 2))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    assert ds.images[ds.files.index("anim.gif")].float().mean((1, 2)).tolist() == pytest.approx([255, 0, 0], abs=2)


# ----------------------------------------------------------------------------- archives

def good_pngs(n=3) -> dict[str, bytes]:
    return {f"ok/img_{i}.png": png_bytes(noise((24, 24), seed=i)) for i in range(n)}


def test_archive_members_that_climb_out_or_are_absolute_are_skipped_and_nothing_is_written(tmp_path):
    """Archives are read in memory; a member named `../x.png` or `/x.png` is skipped
    (its name is never used: not as a path, not in `files`, not in a pack)."""
    work = tmp_path / "work"
    work.mkdir()
    evil = png_bytes(noise((24, 24), seed=9))
    names = ["../escaped.png", "ok/../../escaped2.png", "/tmp/absolute.png", "ok\\..\\..\\windows.png"]
    zpath = work / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for name, content in good_pngs().items():
            zf.writestr(name, content)
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), evil)
    assert set(names) <= set(zipfile.ZipFile(zpath).namelist())
    tpath = work / "evil.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        for name, content in [*good_pngs().items(), *[(n, evil) for n in names[:3]]]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for path, n_bad in ((zpath, 4), (tpath, 3)):
        ds = load(path, cache_dir=work / "cache")
        assert len(ds) == 3 and ds.skipped == n_bad, path
        assert all(f.startswith("ok/img_") for f in ds.files)
        assert all(("'..'" in e or "absolute path" in e) for e in ds.skipped_examples)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "cache" not in p.parts)
    assert after == before  # nothing written anywhere but the cache
    assert not (tmp_path / "escaped.png").exists() and not (tmp_path.parent / "escaped2.png").exists()


def test_links_in_a_tar_are_skipped_and_never_followed(tmp_path):
    secret = tmp_path / "outside.png"
    secret.write_bytes(png_bytes(noise((24, 24), seed=5)))
    tpath = tmp_path / "links.tar"
    with tarfile.open(tpath, "w") as tf:
        for name, content in good_pngs().items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
        for name, kind in (("ok/sym.png", tarfile.SYMTYPE), ("ok/hard.png", tarfile.LNKTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, str(secret)
            tf.addfile(info)
    ds = load(tpath)
    assert len(ds) == 3 and ds.skipped == 2
    assert all("a link, not a file" in e for e in ds.skipped_examples)
    assert "ok/sym.png" not in ds.files and "ok/hard.png" not in ds.files


def test_non_image_members_are_ignored_not_counted(tmp_path):
    zpath = tmp_path / "mixed.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for name, content in good_pngs().items():
            zf.writestr(name, content)
        zf.writestr("README.txt", "hello")
        zf.writestr("ok/script.py", "print('hi')")
        zf.writestr("ok/.hidden.png", b"not an image either")
        zf.writestr("ok/", b"")
    ds = load(zpath)
    assert len(ds) == 3 and ds.skipped == 0


def test_ten_thousand_tiny_files_load_and_the_member_limit_is_clear(tmp_path, monkeypatch):
    tiny = png_bytes(Image.new("RGB", (8, 8), (200, 100, 50)))
    zpath = tmp_path / "many.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED) as zf:
        for i in range(10_000):
            zf.writestr(f"d{i // 1000}/{i:05d}.png", tiny)
    assert data_mod.MAX_ARCHIVE_MEMBERS >= 200_000
    ds = load(zpath, size=8)
    assert len(ds) == 10_000 and ds.skipped == 0
    # Over the limit: refused before any member is read, for zip and tar alike.
    monkeypatch.setattr(data_mod, "MAX_ARCHIVE_MEMBERS", 9_999)
    with pytest.raises(DataError, match="holds more than 9,999 files, the limit for one archive: split it"):
        load(zpath, size=8)
    tpath = tmp_path / "many.tar"
    with tarfile.open(tpath, "w") as tf:
        for i in range(30):
            info = tarfile.TarInfo(f"{i:05d}.png")
            info.size = len(tiny)
            tf.addfile(info, io.BytesIO(tiny))
    monkeypatch.setattr(data_mod, "MAX_ARCHIVE_MEMBERS", 20)
    with pytest.raises(DataError, match="holds more than 20 files"):
        load(tpath, size=8)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    """1 GiB of zeros, deflated to about 4.5 MB, under an image name."""
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in good_pngs().items():
            zf.writestr(name, content)
        with zf.open("ok/zeros.png", "w", force_zip64=True) as f:
            block = bytes(2**24)
            for _ in range(64):
                f.write(block)
    assert zpath.stat().st_size < 5 * 2**20
    assert zipfile.ZipFile(zpath).getinfo("ok/zeros.png").file_size == 2**30
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name))
                        or real_open(self, name, *a, **k))
    with pytest.raises(DataError, match=r"member ok/zeros\.png would unpack to 1,073,741,824 bytes, over the "
                                        r"limit of 268,435,456 bytes for one file \(a zip bomb"):
        load(zpath)
    assert "ok/zeros.png" not in opened
    # The total over all members has its own limit (all of them are held in memory).
    monkeypatch.setattr(data_mod, "MAX_ARCHIVE_BYTES", 1000)
    small = tmp_path / "small.zip"
    with zipfile.ZipFile(small, "w") as zf:
        for name, content in good_pngs(4).items():
            zf.writestr(name, content)
    with pytest.raises(DataError, match="would unpack to more than 1,000 bytes, the limit for one archive"):
        load(small)


def test_a_tar_bomb_is_refused_from_its_header(tmp_path, monkeypatch):
    monkeypatch.setattr(data_mod, "MAX_MEMBER_BYTES", 10_000)
    tpath = tmp_path / "bomb.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        info = tarfile.TarInfo("zeros.png")
        info.size = 50_000
        tf.addfile(info, io.BytesIO(bytes(info.size)))
    with pytest.raises(DataError, match=r"zeros\.png would unpack to 50,000 bytes, over the limit of 10,000"):
        load(tpath)


def test_a_damaged_archive_is_a_clear_error(tmp_path):
    tpath = tmp_path / "cut.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        for name, content in good_pngs(3).items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
    raw = tpath.read_bytes()
    tpath.write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(DataError, match="damaged or truncated tar archive"):
        load(tpath)


# ----------------------------------------------------------------------------- checkpoints

@pytest.fixture
def ckpt(tmp_path):
    return write_tiny_checkpoint(tmp_path / "ckpt")


def test_a_pickle_named_safetensors_is_never_unpickled(ckpt, monkeypatch):
    state = gan_core.get_model("dcgan32").build_generator().state_dict()
    torch.save(state, ckpt / GENERATOR_FILE)
    import pickle

    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load called"))
    with pytest.raises(CheckpointError, match=r"is not a readable safetensors file: it looks like a pickle"
                                              r" \(as PyTorch's torch\.save writes\)\. .*pickles .* are never loaded"):
        gan_core.load(ckpt)
    # The old (pre-zip) pickle format too.
    torch.save(state, ckpt / GENERATOR_FILE, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="looks like a pickle"):
        gan_core.load(ckpt)


def test_a_truncated_safetensors_file_is_a_clear_error(ckpt):
    raw = (ckpt / GENERATOR_FILE).read_bytes()
    for cut in (len(raw) // 2, 100, 5):
        (ckpt / GENERATOR_FILE).write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match="is truncated: .* copy or download it again"):
            gan_core.load(ckpt)
    (ckpt / GENERATOR_FILE).write_bytes(b"")
    with pytest.raises(CheckpointError, match="is empty"):
        gan_core.load(ckpt)
    (ckpt / GENERATOR_FILE).write_text("<html>404 Not Found</html>")
    with pytest.raises(CheckpointError, match="not a readable safetensors file .* never loaded"):
        read_tensors(ckpt / GENERATOR_FILE)


def test_tensor_shapes_that_do_not_fit_the_card_name_the_tensor(ckpt):
    from safetensors.torch import load_file, save_file

    tensors = load_file(ckpt / GENERATOR_FILE)
    name = sorted(k for k, v in tensors.items() if v.ndim == 4)[0]
    tensors[name] = torch.zeros(*tensors[name].shape[:-1], tensors[name].shape[-1] + 1)
    save_file(tensors, ckpt / GENERATOR_FILE)
    with pytest.raises(CheckpointError, match=f"does not fit the model named in its card: .*{name}"):
        gan_core.load(ckpt)
    card = json.loads((ckpt / CARD_FILE).read_text())
    card["model"] = "dcgan64"  # the weights are dcgan32's
    (ckpt / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="does not fit the model named in its card"):
        gan_core.load(ckpt)


@pytest.mark.parametrize("card, expected", [
    (b"{not json", "is not valid JSON"),
    (b"\xff\xfe\x00garbage", "is not valid JSON"),
    (b"[1, 2]", "must hold a JSON object"),
    (b'{"files": {}}', "names no model"),
    (b'{"model": "no-such-model"}', "unknown model 'no-such-model'"),
    (b'{"model": "dcgan32", "files": {"generator": "../../elsewhere.safetensors"}}',
     "files.generator must be a file name inside the checkpoint folder"),
])
def test_a_bad_model_card_is_a_checkpoint_error(ckpt, card, expected):
    (ckpt / CARD_FILE).write_bytes(card)
    with pytest.raises(CheckpointError, match=expected):
        gan_core.load(ckpt)


# ----------------------------------------------------------------------------- command line

def test_cli_sample_of_a_bad_checkpoint_prints_the_reason_and_exits_2(ckpt, tmp_path, capsys):
    torch.save({"w": torch.zeros(2)}, ckpt / GENERATOR_FILE)
    assert cli_main(["sample", str(ckpt), "-n", "1", "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "looks like a pickle" in err and "never loaded" in err
    assert "Traceback" not in err and not (tmp_path / "out.png").exists()
    (ckpt / CARD_FILE).write_text("{oops")
    assert cli_main(["sample", str(ckpt), "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not valid JSON" in err and "Traceback" not in err


def test_cli_train_on_only_bad_files_prints_the_reason_and_exits_2(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, (content, _) in refused_images().items():
        (folder / name).write_bytes(content)
    argv = ["train", "--model", "dcgan32", "--dry-run", "--device", "cpu", "--cache-dir", str(tmp_path / "cache")]
    assert cli_main([*argv, "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "error: no readable images" in err and "5 unreadable" in err and "image too large" in err
    assert "Traceback" not in err
    # An archive over a limit: the same, with its own reason.
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.png", bytes(2**20))
    monkeypatch.setattr(data_mod, "MAX_MEMBER_BYTES", 1000)
    assert cli_main([*argv, "--data", str(zpath)]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "a.png would unpack to 1,048,576 bytes" in err and "Traceback" not in err
