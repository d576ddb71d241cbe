"""The malformed-input corpus, made by code (no binaries are committed): broken, hostile and
merely awkward images, archives and checkpoints, each with what every upload surface must
do with it (tests/test_corpus.py sends each to each).

A case is one file (`Case.path`); a checkpoint case's file lies in its checkpoint folder
(`Case.folder`). `ok` lists the surfaces that must give a correct result; `either` those
where a correct result and a clear refusal are both right; every other surface must refuse
the file with a clear message.
"""
from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

# The surfaces (see tests/test_corpus.py).
UPSCALE, STYLE, PHOTO, TRAIN_CHECK = "upscale-tab", "style-tab", "photo-tab", "train-archive-check"
CLI_TRAIN, CLI_EVALUATE_SR, CLI_STYLE, CLI_SAMPLE, CLI_INFO = ("cli-train", "cli-evaluate-sr", "cli-style-translate",
                                                               "cli-sample", "cli-info")
API_UPSCALE, API_LOAD = "api-upscale", "api-load"
SURFACES = (UPSCALE, STYLE, PHOTO, TRAIN_CHECK, CLI_TRAIN, CLI_EVALUATE_SR, CLI_STYLE, CLI_SAMPLE, CLI_INFO,
            API_UPSCALE, API_LOAD)
# What an awkward but valid picture must work on.
PICTURE_SURFACES = frozenset({UPSCALE, STYLE, PHOTO, CLI_EVALUATE_SR, CLI_STYLE, API_UPSCALE})
# `info` prints the card and does not read the weights: a good card beside bad weights may pass.
CARD_ONLY = frozenset({CLI_INFO})


@dataclass
class Case:
    name: str  # the file's name
    make: Callable[[Path], None]  # writes the file (or the checkpoint folder holding it)
    ok: frozenset = frozenset()
    either: frozenset = frozenset()
    checkpoint: bool = False  # the file lies in a checkpoint folder of its own
    not_black: bool = False  # a correct result must not be black (float and high-depth images)
    path: Path = field(default=None)  # type: ignore[assignment]

    @property
    def folder(self) -> Path:
        return self.path.parent


# ----------------------------------------------------------------------------- pictures

W, H = 48, 40  # large enough to score (evaluate-sr needs 32 px a side), small enough to be quick


def picture(size=(W, H), seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    arr[:, : size[0] // 2] = (200, 120, 40)
    return Image.fromarray(arr)


def saved(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def bomb_png(width=20000, height=20000) -> bytes:
    """A valid 1-bit PNG of 400 MP in ~50 kB, built by hand (no 400 MP image is ever held)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + (width + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    return saved(picture(), "JPEG", exif=exif.tobytes())


def animated_gif() -> bytes:
    frames = [picture(seed=i).convert("P") for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return buf.getvalue()


def palette_with_transparency() -> bytes:
    img = picture().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return saved(img, "PNG", transparency=0)


def float_tiff(values) -> bytes:
    return saved(Image.fromarray(values.astype(np.float32)), "TIFF")


def gradient(lo: float, hi: float) -> np.ndarray:
    return np.tile(np.linspace(lo, hi, W, dtype=np.float64), (H, 1))


def with_nan() -> bytes:
    v = gradient(0, 1)
    v[3, 4] = np.nan
    return float_tiff(v)


def write(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data() if callable(data) else data)


# ----------------------------------------------------------------------------- archives


def zip_of(members: dict[str, bytes], links: tuple[str, ...] = (), compression=zipfile.ZIP_STORED):
    def make(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
            for name in links:
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o120777 << 16
                zf.writestr(info, "/etc/passwd")
    return make


def zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("faces/huge.png", bytes(40 * 2**20))  # 40 MB of zeros in ~40 kB


def truncated(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def cut(path: Path) -> None:
        make(path)
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    return cut


def tar_with_device(path: Path) -> None:
    with tarfile.open(path, "w") as tf:
        info = tarfile.TarInfo("faces/disk.png")
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
        tf.addfile(info)
        fifo = tarfile.TarInfo("faces/pipe.png")
        fifo.type = tarfile.FIFOTYPE
        tf.addfile(fifo)


def tgz_of_pictures(path: Path) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for i in range(4):
            data = saved(picture(seed=i), "PNG")
            info = tarfile.TarInfo(f"faces/{i}.png")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def tiny_files(path: Path, n: int = 10_000) -> None:
    one = saved(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"dots/{i:05d}.png", one)


def non_utf8_names(path: Path) -> None:
    """Member names stored as Latin-1 bytes (no UTF-8 flag): read as cp437, never a crash."""
    with zipfile.ZipFile(path, "w") as zf:
        for i, raw in enumerate((b"caf\xe9.png", b"\xff\xfe.png")):
            info = zipfile.ZipInfo(raw.decode("cp437"))
            zf.writestr(info, saved(picture((16, 16), seed=i), "PNG"))
        zf.writestr(zipfile.ZipInfo(b"r\xe9sum\xe9.txt".decode("cp437")), b"notes")


# ----------------------------------------------------------------------------- checkpoints


def gan_folder(change: Callable[[Path], None]) -> Callable[[Path], None]:
    """A tiny GAN checkpoint in the case file's folder, then `change`d."""
    def make(path: Path) -> None:
        from .helpers import write_tiny_checkpoint

        write_tiny_checkpoint(path.parent, name="corpus")
        change(path)
    return make


def pickled_weights(path: Path) -> None:
    from gan_core import get_model

    torch.save(get_model("dcgan32").build_generator().state_dict(), path)


def cut_in_half(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def nested_card(path: Path) -> None:
    path.write_text('{"model": "dcgan32", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")


def card_over_a_megabyte(path: Path) -> None:
    path.write_text(json.dumps({"model": "dcgan32", "notes": "x" * (2**20 + 10)}))


def giant_sr_card(path: Path) -> None:
    from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json
    from gan_core.models.srgan import SRResNet

    save_weights(path.parent / GENERATOR_FILE, SRResNet(4, 1, 8))
    write_json(path.parent / CARD_FILE, {"name": "giant", "task": "super-resolution", "model": "srresnet",
                                         "scale": 4, "config": {"blocks": 10**6, "channels": 10**6},
                                         "files": {"generator": GENERATOR_FILE}})


def nan_weights(path: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(path)
    first = sorted(k for k, v in tensors.items() if v.is_floating_point())[0]
    tensors[first].view(-1)[0] = float("nan")
    save_file(tensors, path)


# ----------------------------------------------------------------------------- the corpus


def cases() -> list[Case]:
    png, jpg = saved(picture(), "PNG"), saved(picture(), "JPEG", quality=90)
    pic = PICTURE_SURFACES
    small = frozenset({STYLE, PHOTO, CLI_STYLE, API_UPSCALE})  # under 8 px a side: refused or painted
    good_png = saved(picture((16, 16)), "PNG")
    return [
        # broken pictures
        Case("empty.png", write(b"")),
        Case("notes.png", write(b"just some notes, renamed to .png\n" * 4)),
        Case("page.png", write(b'<html><a href="https://example.org/login">Session expired</a><script>x()</script>')),
        Case("cut.png", write(png[: len(png) // 2])),
        Case("cut.jpg", write(jpg[: len(jpg) // 2])),
        Case("cut.tif", write(lambda: saved(picture(), "TIFF")[:300])),
        Case("bomb.png", write(bomb_png)),
        Case("nan.tif", write(with_nan)),
        Case("inf.tif", write(lambda: float_tiff(np.where(gradient(0, 1) > 0.5, np.inf, 0.2)))),
        # pictures too small to be one
        Case("dot-1x1.png", write(lambda: saved(Image.new("RGB", (1, 1), "red"), "PNG")), either=small),
        Case("strip-10000x3.png", write(lambda: saved(Image.new("RGB", (10000, 3), "red"), "PNG")), either=small),
        # awkward but valid pictures: a correct result
        Case("cmyk.jpg", write(lambda: saved(picture().convert("CMYK"), "JPEG")), ok=pic),
        Case("lab.tif", write(lambda: saved(picture().convert("LAB"), "TIFF")), ok=pic),
        Case("float-0-1.tif", write(lambda: float_tiff(gradient(0.2, 1))), ok=pic, not_black=True),
        Case("float-0-255.tif", write(lambda: float_tiff(gradient(50, 255))), ok=pic, not_black=True),
        Case("int32.tif", write(lambda: saved(Image.fromarray((gradient(0.2, 1) * 2**31 - 1).astype(np.int32)),
                                              "TIFF")), ok=pic, not_black=True),
        Case("deep16.png", write(lambda: saved(Image.fromarray((gradient(0.2, 1) * 65535).astype(np.uint16)),
                                               "PNG")), ok=pic, not_black=True),
        Case("palette-transparent.png", write(palette_with_transparency), ok=pic),
        Case("grey-alpha.png", write(lambda: saved(picture().convert("LA"), "PNG")), ok=pic),
        Case("animated.gif", write(animated_gif), ok=pic),
        Case("exif-rotated.jpg", write(exif_rotated), ok=pic),
        Case("jpeg-named.png", write(jpg), ok=pic),
        Case("ünïcødé 名前.png", write(png), ok=pic),
        # hostile and broken archives
        Case("zip-slip.zip", zip_of({"../../evil.png": good_png, "faces/../../evil2.png": good_png})),
        Case("absolute.zip", zip_of({"/tmp/evil.png": good_png})),
        Case("symlink.zip", zip_of({}, links=("faces/link.png",))),
        Case("bomb.zip", zip_bomb),
        Case("cut.zip", truncated(zip_of({f"faces/{i}.png": saved(picture(seed=i), "PNG") for i in range(4)}))),
        Case("cut.tar.gz", truncated(tgz_of_pictures)),
        Case("device.tar", tar_with_device),
        Case("tiny-files.zip", tiny_files, ok=frozenset({TRAIN_CHECK})),  # a valid upload; nothing to train on
        Case("latin1-names.zip", non_utf8_names),
        Case("empty.zip", write(b"")),
        Case("notes.zip", write(b"not an archive\n")),
        # checkpoints: the file lies in a checkpoint folder
        Case("generator.safetensors", gan_folder(pickled_weights), checkpoint=True, either=CARD_ONLY),  # a pickle
        Case("cut/generator.safetensors", gan_folder(cut_in_half), checkpoint=True, either=CARD_ONLY),
        Case("nan/generator.safetensors", gan_folder(nan_weights), checkpoint=True, either=CARD_ONLY),
        Case("nested/model_card.json", gan_folder(nested_card), checkpoint=True),
        Case("huge/model_card.json", gan_folder(card_over_a_megabyte), checkpoint=True),
        Case("giant/model_card.json", giant_sr_card, checkpoint=True),
    ]


def build(root: Path) -> list[Case]:
    """Every case's file under `root` (a checkpoint case in a folder of its own)."""
    out = []
    for i, case in enumerate(cases()):
        folder = root / f"{i:02d}"
        case.path = folder / ("ckpt" if case.checkpoint else "") / Path(case.name).name
        case.path.parent.mkdir(parents=True, exist_ok=True)
        case.make(case.path)
        out.append(case)
    return out
