"""Image datasets: one entry point, `load_images`, for every layout the studio trains on.

Sources it understands (each may be given several times and they are joined):
  * a folder, searched recursively for images;
  * a .zip, .tar, .tar.gz or .tgz archive (read in memory, never extracted to disk);
  * CIFAR-10 in class-folder layout (`train/frog/0001.jpg`), filtered with
    `classes=["frog"]` and `split="train"`;
  * CelebA aligned faces, with `list_attr_celeba.txt` beside or above the images:
    the 40 attributes are joined by file name (rows may be missing: NaN);
  * UTKFace (`age_gender_race_date.jpg`): age, gender and race from the names;
  * `shapes`, `shapes:N` or `shapes:N:SEED`: the built-in set of gan_core.data.shapes,
    drawn on the fly (no files, nothing to download).

Images are framed (a face box for the known face sets, else a centre square),
resized to the model size and kept as one uint8 tensor (N, 3, H, W). The result
is cached on disk as safetensors, so a second run does not decode the JPEGs again.

>>> ds = load_images(["faces/celeba", "faces/utkface"], size=64)   # doctest: +SKIP
>>> ds.images.shape, ds.skipped, sorted(ds.labels)[:3]               # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import tarfile
import zlib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from gan_core.core.errors import DataError, ImageTooLargeError
from gan_core.core.images import from_uint8
from gan_core.data import shapes

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
CACHE_VERSION = 3  # 3: tiny images and unsafe archive members are skipped
CELEBA_ATTR_FILE = "list_attr_celeba.txt"
PACK_MARKER = "gan_core_pack.json"
EXIF_ORIENTATION = 0x0112
UTKFACE_NAME = re.compile(r"^(\d+)_([01])_([0-4])_")

# Limits on what one file may cost, checked before anything is decoded or decompressed,
# so that a hostile or broken file gives a clear message instead of exhausting memory.
# An image's pixel count is read from its header. 64 MP (8000 x 8000, 192 MB as RGB) is
# above any camera photo worth training a 64 px model on, below Pillow's own warning
# threshold (89 MP), and keeps several decoding threads within a few GB.
MAX_IMAGE_PIXELS = 64_000_000
# Smaller images (icons, tracking pixels) hold no picture to learn from once upscaled.
MIN_IMAGE_SIDE = 8
# Members of one archive. CelebA, the largest set the studio reads, has 202,599 files.
MAX_ARCHIVE_MEMBERS = 500_000
# Archive members are read into memory: one member's uncompressed size (a 64 MP PNG
# is well under this) and all members' together (every image is held while decoding).
MAX_MEMBER_BYTES = 256 * 2**20
MAX_ARCHIVE_BYTES = 8 * 2**30

# Face boxes (left, top, right, bottom) in each set's own pixel grid, so that faces
# from both sets share one framing: eyes at 28 % and mouth at 68 % of the height.
# Measured on the mean of 400 images of each set: CelebA eyes (69, 111), (107, 111),
# mouth at y = 152; UTKFace eyes (57, 56), (138, 56), mouth at y = 137, i.e. UTKFace
# is CelebA scaled by 2.05. The UTKFace crop is the whole image, which fixes the box.
FACE_BOXES = {
    "celeba": ((178, 218), (40, 84, 138, 182)),
    "utkface": ((200, 200), (0, 0, 200, 200)),
}


@dataclass
class ImageSet:
    """Preprocessed images as uint8 (N, 3, size, size) plus per-image labels.

    `labels` maps a name (`age`, `gender`, `Smiling`, `class`, ...) to a float
    tensor of length N, NaN where the label is unknown.
    """

    images: torch.Tensor
    files: list[str]
    labels: dict[str, torch.Tensor] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    description: str = ""
    content_hash: str = ""

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def size(self) -> int:
        return self.images.shape[-1]

    def to(self, device: torch.device | str) -> "ImageSet":
        """The same set with its uint8 images on `device` (a GPU holds a whole
        face set: 15k images at 64 px are 180 MB)."""
        return replace(self, images=self.images.to(device))

    def batch(self, index: torch.Tensor, flip: torch.Tensor | None = None) -> torch.Tensor:
        """Images `index` as float in [-1, 1] on the images' device; `flip` is a bool
        mask of images to mirror left-right."""
        x = from_uint8(self.images[index.to(self.images.device)])
        if flip is not None:  # torch.where, not a boolean index: no host sync on a GPU
            flip = flip.to(x.device).view(-1, 1, 1, 1)
            x = torch.where(flip, x.flip(-1), x)
        return x

    def summary(self) -> dict:
        return {
            "description": self.description,
            "images": len(self),
            "size": self.size,
            "skipped": self.skipped,
            "labels": sorted(self.labels),
            "classes": self.class_names,
            "content_hash": self.content_hash,
        }


# ----------------------------------------------------------------------------- listing


@dataclass
class _Entry:
    name: str  # path relative to its source, with forward slashes
    read: Callable[[], bytes | str]  # bytes, or a file path to open
    stamp: str  # what identifies the file's content for the cache key
    kind: str  # "celeba", "utkface" or "generic"
    framed: bool = False  # already cut to its framing (an image of a `pack_images` archive)


def _is_image(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_EXTENSIONS and not Path(name).name.startswith(".")


def _guess_kind(name: str, has_celeba_attrs: bool) -> str:
    base = Path(name).name
    # UTKFace's crops end in ".jpg.chip.jpg"; two of its files have no race in their
    # names (so no labels) and are framed like the rest all the same.
    if UTKFACE_NAME.match(base) or base.endswith(".jpg.chip.jpg"):
        return "utkface"
    if has_celeba_attrs or re.fullmatch(r"\d{6}\.jpg", base):
        return "celeba"
    return "generic"


def _keep(name: str, classes: set[str] | None, split: str | None) -> bool:
    parts = name.split("/")
    if split is not None and split not in parts[:-1]:
        return False
    if classes is not None and (len(parts) < 2 or parts[-2] not in classes):
        return False
    return True


def _find_celeba_attrs(folder: Path) -> Path | None:
    for d in (folder, folder.parent):
        if (d / CELEBA_ATTR_FILE).is_file():
            return d / CELEBA_ATTR_FILE
    return None


def _list_folder(root: Path, classes, split) -> tuple[list[_Entry], Path | None]:
    attrs = _find_celeba_attrs(root)
    entries = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for fn in sorted(filenames):
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            if not _is_image(fn) or not _keep(rel, classes, split) or full.is_symlink():
                continue
            st = full.stat()
            entries.append(_Entry(rel, (lambda p=str(full): p), f"{rel}:{st.st_size}:{st.st_mtime_ns}",
                                  _guess_kind(rel, attrs is not None)))
    return entries, attrs


def _list_archive(path: Path, classes, split) -> tuple[list[_Entry], str | None]:
    """Members of a zip or tar that are regular image files. Their bytes are read
    here, in memory (archives are read once, in order, and never extracted to disk).

    Non-image members are ignored. Image members that cannot be read safely are
    kept as entries that fail when decoded, so they are skipped and counted with
    their reason: names that are absolute or climb out with `..` (such names would
    otherwise travel on into `files` and into a `pack_images` archive), links, and
    members that fail to decompress. An archive over MAX_ARCHIVE_MEMBERS members,
    or with a member over MAX_MEMBER_BYTES or members over MAX_ARCHIVE_BYTES in
    all (uncompressed, as its headers declare them), is refused with a DataError
    before that member is decompressed."""
    budget = _ReadBudget(path)
    if zipfile.is_zipfile(path):
        try:
            entries, attr_text, framed = _list_zip(path, classes, split, budget)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise DataError(f"{path} is a damaged zip archive ({exc}): copy or download it again") from None
    elif tarfile.is_tarfile(path):
        framed = False
        try:
            entries, attr_text = _list_tar(path, classes, split, budget)
        except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
            raise DataError(f"{path} is a damaged or truncated tar archive ({exc}): "
                            "copy or download it again") from None
    else:
        why = damaged_archive(path)
        raise DataError(f"{path}: {why}" if why else f"{path} is neither a folder nor a readable .zip/.tar archive")
    for e in entries:
        e.kind = _guess_kind(e.name, attr_text is not None)
        e.framed = framed
    return entries, attr_text


def damaged_archive(path: Path) -> str | None:
    """Why a file that is neither a readable zip nor tar looks like a damaged one, or None:
    a zip without its directory at the end, or a compressed tar cut short."""
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError:
        return None
    if head.startswith(b"PK\x03\x04"):
        return ("the zip archive is truncated or damaged: its directory at the end is missing "
                "(an interrupted upload, download or copy?); make the archive again and use the whole file")
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return ("the compressed tar archive is truncated or damaged (an interrupted upload, download or copy?); "
                "make the archive again and use the whole file")
    return None


class _ReadBudget:
    """Counts an archive's members and the bytes read from it against the limits."""

    def __init__(self, path: Path):
        self.path, self.members, self.bytes = path, 0, 0
        self.largest: list[tuple[int, str]] = []  # (size, name) of the 5 largest members taken

    def count(self, n: int = 1) -> None:
        self.members += n
        if self.members > MAX_ARCHIVE_MEMBERS:
            raise DataError(f"{self.path} holds more than {MAX_ARCHIVE_MEMBERS:,} files, the limit for one "
                            "archive: split it into several archives (each may be given with --data)")

    def take(self, name: str, size: int) -> None:
        self.largest = sorted([*self.largest, (size, name)], key=lambda t: -t[0])[:5]
        if size > MAX_MEMBER_BYTES:
            raise DataError(f"{self.path}: member {name} would unpack to {size:,} bytes, over the limit of "
                            f"{MAX_MEMBER_BYTES:,} bytes for one file (a zip bomb, or not an image); "
                            "nothing was unpacked: remove that member from the archive")
        self.bytes += size
        if self.bytes > MAX_ARCHIVE_BYTES:
            largest = ", ".join(f"{n} ({s:,} bytes)" for s, n in self.largest)
            raise DataError(f"{self.path} would unpack to more than {MAX_ARCHIVE_BYTES:,} bytes, the limit "
                            "for one archive (all of it is held in memory): split it into several archives, "
                            f"or extract it and give the folder. The largest members: {largest}")


def _unsafe_member_name(name: str) -> str | None:
    """Why an archive member's name is refused, or None."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path inside the archive; skipped (only relative member names are read)"
    if ".." in name.replace("\\", "/").split("/"):
        return "path with '..' inside the archive; skipped (member names may not climb out of the archive)"
    return None


def _refused(name: str, reason: str) -> _Entry:
    """An entry that is skipped with `reason` when decoded."""
    def read():
        raise DataError(reason)
    return _Entry(name, read, "", "generic")


def _wanted(name: str, classes, split) -> bool:
    return Path(name).name == CELEBA_ATTR_FILE or (_is_image(name) and _keep(name, classes, split))


def _list_zip(path: Path, classes, split, budget: _ReadBudget) -> tuple[list[_Entry], str | None, bool]:
    entries, attr_text = [], None
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is not None:  # the member count from the end record, before the directory is parsed
        with open(path, "rb") as fp:
            end = end_record(fp)
        if end:
            budget.count(end[4])  # total entries
            budget.members = 0
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        budget.count(len(infos))
        framed = PACK_MARKER in zf.NameToInfo
        for info in infos:
            name = info.filename
            if info.is_dir() or not _wanted(name, classes, split):
                continue
            problem = _unsafe_member_name(name)
            if problem is None and (info.external_attr >> 16) & 0o170000 == 0o120000:
                problem = "a symbolic link, not a file; skipped (links in archives are never followed)"
            if problem is None:
                budget.take(name, info.file_size)
                try:
                    with zf.open(info) as f:
                        data = f.read(MAX_MEMBER_BYTES + 1)
                    if len(data) > MAX_MEMBER_BYTES:  # more than its header declared
                        budget.take(name, len(data))
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                    problem = f"cannot be unpacked ({exc}); skipped"
            attr_text = _add_member(entries, name, None if problem else data, problem) or attr_text
    return entries, attr_text, framed


def _list_tar(path: Path, classes, split, budget: _ReadBudget) -> tuple[list[_Entry], str | None]:
    entries, attr_text = [], None
    with tarfile.open(path) as tf:
        for member in tf:
            budget.count()
            name = re.sub(r"^(\./)+", "", member.name)
            if member.isdir() or not _wanted(name, classes, split):
                continue
            problem = _unsafe_member_name(name)
            if problem is None and (member.issym() or member.islnk()):
                problem = "a link, not a file; skipped (links in archives are never followed)"
            elif problem is None and not member.isfile():
                continue  # devices and fifos hold no data
            if problem is None:
                budget.take(name, member.size)
                data = tf.extractfile(member).read()
            attr_text = _add_member(entries, name, None if problem else data, problem) or attr_text
    return entries, attr_text


def _add_member(entries: list, name: str, data: bytes | None, problem: str | None) -> str | None:
    """File an archive member: a CelebA attribute file's text is returned; an image
    becomes an entry, or a refused entry saying why."""
    if Path(name).name == CELEBA_ATTR_FILE:
        return data.decode("utf-8", "replace") if problem is None else None
    if problem is not None:
        entries.append(_refused(name, problem))
    else:
        entries.append(_Entry(name, (lambda d=data: d), "", "generic"))
    return None


# ----------------------------------------------------------------------------- labels


def parse_celeba_attributes(text: str) -> dict[str, list[float]]:
    """CelebA's `list_attr_celeba.txt`: a count, the attribute names, then
    `file v1 v2 ...` rows of +1/-1. Returns {file: [0/1 per attribute]} plus the
    names under the key "__names__". The count may exceed the rows (partial file)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise DataError(f"{CELEBA_ATTR_FILE} must start with an image count and a line of attribute names")
    names = lines[1].split()
    rows: dict[str, list[float]] = {"__names__": names}  # type: ignore[dict-item]
    for i, ln in enumerate(lines[2:], start=3):
        parts = ln.split()
        if len(parts) != len(names) + 1:
            raise DataError(f"{CELEBA_ATTR_FILE} line {i} has {len(parts) - 1} values for {len(names)} attributes")
        try:
            rows[parts[0]] = [1.0 if int(v) > 0 else 0.0 for v in parts[1:]]
        except ValueError:
            raise DataError(f"{CELEBA_ATTR_FILE} line {i}: values must be +1 or -1") from None
    return rows


def utkface_labels(name: str) -> dict[str, float]:
    m = UTKFACE_NAME.match(Path(name).name)
    if not m:
        return {}
    return {"age": float(m.group(1)), "gender": float(m.group(2)), "race": float(m.group(3))}


# ----------------------------------------------------------------------------- decoding


def open_image(source: bytes | str | Path) -> Image.Image:
    """Open an image as 8-bit RGB, upright (EXIF orientation applied), with 16-bit
    and palette images converted and transparency composited on white; the first
    frame of an animation.

    Raises DataError, saying what is wrong, for an empty, unrecognised, truncated or
    damaged file, and ImageTooLargeError (a DataError) for an image over
    MAX_IMAGE_PIXELS (refused from its header, before its pixels are decoded)."""
    img = read_image(source)
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        img = background
    return img.convert("RGB")


def read_image(source: bytes | str | Path, max_pixels: int | None = None) -> Image.Image:
    """The checked reader under open_image: one open and one decode, the first frame,
    upright and 8-bit (see upright_8bit), in its own mode (alpha kept).

    Raises DataError for an empty, unrecognised, truncated or damaged file, and
    ImageTooLargeError over `max_pixels` (default MAX_IMAGE_PIXELS), from the header,
    before decoding."""
    max_pixels = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = bytes(source)
        empty, fp = len(source) == 0, io.BytesIO(source)
    else:
        try:
            empty, fp = os.path.getsize(source) == 0, source
        except OSError as exc:
            raise DataError(f"cannot read the file: {exc.strerror or exc}") from None
    if empty:
        raise DataError("empty file (0 bytes): the copy or download did not finish")
    try:
        img = Image.open(fp)
    except Image.DecompressionBombError as exc:  # Pillow's own limit, above ours: say it our way
        m = re.search(r"\((\d+) pixels\)", str(exc))
        raise DataError(_too_many_pixels(int(m.group(1)) if m else None, limit=max_pixels)) from None
    except UnidentifiedImageError:
        raise DataError("not a readable image: the file is damaged, or another kind of file "
                        "under an image extension") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DataError(f"damaged image header ({exc})") from None
    width, height = img.size
    if width * height > max_pixels:
        raise ImageTooLargeError(_too_many_pixels(width * height, width, height, max_pixels), width, height)
    try:
        img.seek(0)  # first frame of an animation
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error) as exc:
        raise DataError(f"truncated or damaged image ({exc}): copy or download it again") from None
    return upright_8bit(img)


def upright_8bit(img: Image.Image) -> Image.Image:
    """EXIF orientation applied, colour spaces other than RGB (CMYK, LAB, YCbCr, HSV)
    converted to RGB, and high-bit-depth grey scaled to 8-bit L:

      * 16-bit integers: kept when every value is under 256 (8-bit data in a 16-bit
        file), else scaled by 255/65535;
      * 32-bit integers (mode "I"): the same, and values over 65,535 are scaled by
        255/2,147,483,647 (their full range); negatives become 0;
      * floats (mode "F"): values in [0, 1] are scaled by 255 (the usual range of a
        float image), others clipped to [0, 255]; NaN or infinite values are refused
        with a DataError (they would come out black).
    """
    if img.getexif().get(EXIF_ORIENTATION, 1) != 1:  # exif_transpose copies even an upright image
        img = ImageOps.exif_transpose(img)
    if img.mode in ("CMYK", "LAB", "YCbCr", "HSV"):
        return img.convert("RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        if img.mode == "F":
            if arr.size and not np.isfinite(arr).all():
                bad = int(arr.size - np.isfinite(arr).sum())
                raise DataError(f"a floating-point image with {bad:,} NaN or infinite pixel values: "
                                "save it with finite values (0 to 1, or 0 to 255)")
            k = 255.0 if arr.size and arr.min() >= 0 and arr.max() <= 1 else 1.0
        else:
            top = arr.max() if arr.size else 0
            k = 1.0 if top <= 255 else 255.0 / 65535.0 if top <= 65535 else 255.0 / (2**31 - 1)
        img = Image.fromarray(np.clip(arr * k + 0.5, 0, 255).astype(np.uint8), "L")
    return img


def _too_many_pixels(pixels: int | None, width: int | None = None, height: int | None = None,
                     limit: int = MAX_IMAGE_PIXELS) -> str:
    size = f"{width}x{height} = {pixels:,} pixels" if width else (f"{pixels:,} pixels" if pixels else "too many pixels")
    return (f"image too large: {size}, over the limit of {limit:,} pixels "
            "(a decompression bomb, or a picture far larger than a model needs): "
            "downscale it before using it")


def framed_as_faces(files: list[str], framing: str) -> bool:
    """Whether every image of a set (by its file names) was cut to the shared face box:
    CelebA or UTKFace names with framing auto or face. What a GAN trained on the set
    draws faces by (its card's "draws"), so Explore offers its face-only tools.

    >>> framed_as_faces(["img_align_celeba/000001.jpg", "utkface/26_1_0_2017.jpg"], "auto")
    True
    >>> framed_as_faces(["utkface/61_1_20170109142408075.jpg.chip.jpg"], "auto")  # a name without its race
    True
    >>> framed_as_faces(["train/frog/0001.jpg"], "auto"), framed_as_faces(["000001.jpg"], "center")
    (False, False)
    """
    return framing != "center" and bool(files) and all(_guess_kind(f, False) in FACE_BOXES for f in files)


def frame_box(kind: str, width: int, height: int, framing: str) -> tuple[int, int, int, int]:
    """The crop box for an image: the shared face box for known face sets (scaled if
    the image was resized), else the largest centred square."""
    if framing == "face" or (framing == "auto" and kind in FACE_BOXES):
        if kind in FACE_BOXES:
            (w0, h0), (l, t, r, b) = FACE_BOXES[kind]
            sx, sy = width / w0, height / h0
            return round(l * sx), round(t * sy), round(r * sx), round(b * sy)
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def preprocess(img: Image.Image, size: int, kind: str = "generic", framing: str = "auto") -> np.ndarray:
    """Crop and resize to (3, size, size) uint8."""
    box = frame_box(kind, img.width, img.height, framing)
    img = img.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def _decode(entry: _Entry, size: int, framing: str) -> np.ndarray | str:
    try:
        img = open_image(entry.read())
        if min(img.size) < MIN_IMAGE_SIDE:
            raise DataError(f"image too small: {img.width}x{img.height} pixels, under {MIN_IMAGE_SIDE} "
                            "pixels a side there is no picture to learn from")
        if entry.framed:
            return preprocess(img, size, "generic", "center")
        return preprocess(img, size, entry.kind, framing)
    except DataError as exc:  # the file is unusable, and the message says why
        return f"{entry.name}: {exc}"
    except Exception as exc:  # any other failure also only skips the file, never the run
        return f"{entry.name}: {type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------------- entry point


def default_cache_dir() -> Path:
    return Path(os.environ.get("GAN_CORE_CACHE", Path.home() / ".cache" / "gan_core"))


def load_images(
    sources: str | Path | Iterable[str | Path],
    size: int,
    *,
    classes: Iterable[str] | None = None,
    split: str | None = None,
    framing: str = "auto",
    max_images: int | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImageSet:
    """Load, frame and resize every image of `sources` to `size` x `size`.

    framing: "auto" (face box for CelebA/UTKFace, else centre square), "face" or "center".
    classes / split: keep files whose parent folder is one of `classes` and whose
        path has a folder named `split` (CIFAR-10 layout: `train/frog/x.jpg`).
    max_images: keep the first N files (in sorted order) of all sources together.
    progress(done, total) is called while decoding.
    Raises DataError when nothing usable is found or a label file does not match.

    The source `shapes`, `shapes:N` or `shapes:N:SEED` (default 2000 images, seed 0)
    is the built-in set of procedurally drawn shapes (make_shapes),
    at `size`, with labels["class"] and `classes` filtering by shape name. It is drawn,
    not cached, and is used on its own (not joined with other sources). A file or
    folder of that name in the working directory is read instead, as any other source.
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    built_in = _built_in_shapes(sources, size, class_set=set(classes) if classes else None, split=split,
                                max_images=max_images)
    if built_in is not None:
        if progress:
            progress(len(built_in), len(built_in))
        return built_in
    sources = [Path(s).expanduser() for s in sources]
    if not sources:
        raise DataError("no data source given")
    if framing not in ("auto", "face", "center"):
        raise DataError(f"framing must be auto, face or center, not {framing!r}")
    class_set = set(classes) if classes else None

    stamps = [f"v{CACHE_VERSION}", str(size), framing, str(sorted(class_set or [])), str(split), str(max_images)]
    listed: list[tuple[Path, list[_Entry] | None, str | None]] = []
    for src in sources:  # folders are listed now (their files make the cache key); archives only stat'ed
        if not src.exists():
            raise DataError(f"data source {src} does not exist")
        st = src.stat()
        if src.is_dir():
            found, attr_path = _list_folder(src, class_set, split)
            stamps += [str(src.resolve())] + [e.stamp for e in found]
            attr_text = None
            if attr_path:
                attr_text = attr_path.read_text(encoding="utf-8", errors="replace")
                stamps.append(hashlib.sha256(attr_text.encode()).hexdigest())
            listed.append((src, found, attr_text))
        else:
            stamps.append(f"{src.resolve()}:{st.st_size}:{st.st_mtime_ns}")
            listed.append((src, None, None))

    cache_path = _cache_path(cache_dir, _cache_key(stamps))
    if use_cache and cache_path.exists():
        try:
            return _read_cache(cache_path)
        except Exception:
            cache_path.unlink(missing_ok=True)  # a damaged cache is rebuilt, not trusted

    entries: list[_Entry] = []
    attr_rows: dict[str, list[float]] = {}
    attr_names: list[str] = []
    for src, found, attr_text in listed:
        if found is None:
            found, attr_text = _list_archive(src, class_set, split)
        if not found:
            raise DataError(_nothing_found(src, class_set, split))
        if attr_text is not None:
            rows = parse_celeba_attributes(attr_text)
            names = rows.pop("__names__")  # type: ignore[arg-type]
            if attr_names and names != attr_names:
                raise DataError(f"two {CELEBA_ATTR_FILE} files with different attribute names")
            if not any(Path(e.name).name in rows for e in found):
                raise DataError(
                    f"{CELEBA_ATTR_FILE} for {src} names none of its {len(found)} images: "
                    "is it the attribute file of another image folder?")
            attr_names = names  # type: ignore[assignment]
            attr_rows.update(rows)
        entries += found

    if max_images is not None:
        entries = entries[:max_images]
    arrays: list[np.ndarray] = []
    kept: list[_Entry] = []
    errors: list[str] = []
    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:  # PIL decodes outside the GIL
        for i, (entry, out) in enumerate(zip(entries, pool.map(lambda e: _decode(e, size, framing), entries))):
            if isinstance(out, str):
                errors.append(out)
            else:
                arrays.append(out)
                kept.append(entry)
            if progress and (i % 256 == 0 or i == len(entries) - 1):
                progress(i + 1, len(entries))
    if not arrays:
        detail = f" ({len(errors)} unreadable, e.g. {errors[0]})" if errors else ""
        raise DataError(f"no readable images in {', '.join(map(str, sources))}{detail}")

    images = torch.from_numpy(np.stack(arrays))
    labels = _labels_for(kept, attr_rows, attr_names)
    class_names = sorted({e.name.split("/")[-2] for e in kept if "/" in e.name}) if class_set else []
    if class_names:
        labels["class"] = torch.tensor([float(class_names.index(e.name.split("/")[-2])) for e in kept])
    ds = ImageSet(
        images=images,
        files=[e.name for e in kept],
        labels=labels,
        class_names=class_names,
        skipped=len(errors),
        skipped_examples=errors[:5],
        description=_describe(sources, class_set, split, len(kept), size),
        content_hash=content_hash(images),
    )
    if use_cache:
        _write_cache(cache_path, ds)
    return ds


def content_hash(images: torch.Tensor) -> str:
    """A short hash of the uint8 pixels: what a resumed run checks its data against."""
    return hashlib.sha256(images.cpu().numpy().tobytes()).hexdigest()[:16]


def make_shapes(n: int = shapes.DEFAULT_N, size: int = 32, seed: int = shapes.DEFAULT_SEED) -> ImageSet:
    """The built-in set (gan_core.data.shapes): `n` images of `size` x `size` pixels, one
    shape each, deterministic from `seed`.

    The classes cycle disc, square, triangle, ring, cross (image i is class i mod 5),
    so any prefix is balanced; labels["class"] holds the class index and class_names
    the shape names. Raises DataError for n outside 1..100,000, size under 8 or a
    negative seed.

    >>> ds = make_shapes(8, size=32, seed=0)
    >>> ds.images.shape, ds.images.dtype, ds.class_names[:3]
    (torch.Size([8, 3, 32, 32]), torch.uint8, ['disc', 'square', 'triangle'])
    >>> ds.description
    '8 procedurally drawn shapes (disc, square, triangle, ring, cross), 32 px, seed 0'
    """
    for name, value in (("n", n), ("size", size), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise DataError(f"shapes: {name} must be a whole number, not {value!r}")
    if not 1 <= n <= shapes.MAX_SHAPES:
        raise DataError(f"shapes: the number of images must be 1 to {shapes.MAX_SHAPES:,}, not {n:,}")
    if size < shapes.MIN_SIZE:
        raise DataError(f"shapes: images must be at least {shapes.MIN_SIZE} px, not {size}")
    if seed < 0:
        raise DataError(f"shapes: the seed must be 0 or more, not {seed}")
    images, classes = shapes.draw_shapes(n, size, seed)
    images_t = torch.from_numpy(images)
    return ImageSet(
        images=images_t,
        files=[f"{shapes.SHAPES[c]}/{i:06d}.png" for i, c in enumerate(classes)],
        labels={"class": torch.from_numpy(classes.astype(np.float32))},
        class_names=list(shapes.SHAPES),
        description=f"{n:,} procedurally drawn shapes ({', '.join(shapes.SHAPES)}), {size} px, seed {seed}",
        content_hash=content_hash(images_t),
    )


def _parse_shapes_source(source: str) -> tuple[int, int] | None:
    """(n, seed) when `source` names the built-in set (`shapes`, `shapes:N` or
    `shapes:N:SEED`), else None. A malformed `shapes:...` is a DataError."""
    if source != "shapes" and not source.startswith("shapes:"):
        return None
    parts = source.split(":")[1:]
    if len(parts) > 2 or not all(p.isdigit() for p in parts):
        raise DataError(f"{source!r} is neither a file nor the built-in set: write shapes, shapes:N or "
                        "shapes:N:SEED with whole numbers (shapes:2000:0 is the default)")
    n = int(parts[0]) if parts else shapes.DEFAULT_N
    seed = int(parts[1]) if len(parts) > 1 else shapes.DEFAULT_SEED
    return n, seed


def is_built_in_shapes(sources: list) -> bool:
    """Whether `sources` name the built-in shapes set (as load_images reads them)."""
    try:
        return len(sources) == 1 and _parse_shapes_source(str(sources[0])) is not None \
            and not Path(str(sources[0])).expanduser().exists()
    except DataError:
        return False


def _built_in_shapes(sources: list, size: int, class_set: set[str] | None, split: str | None,
                     max_images: int | None) -> ImageSet | None:
    """The built-in shapes set when `sources` names it (see load_images), else None."""
    named = [(s, _parse_shapes_source(s)) for s in map(str, sources) if not Path(s).expanduser().exists()]
    named = [(s, parsed) for s, parsed in named if parsed is not None]
    if not named:
        return None
    if len(sources) > 1:
        raise DataError(f"{named[0][0]} is the built-in shapes set, which is used on its own: "
                        "give it as the only data source")
    if split is not None:
        raise DataError(f"the built-in shapes set has no {split!r} split: leave the split out")
    n, seed = named[0][1]
    if class_set is None:  # image i does not depend on n, so the first max_images are drawn alone
        return make_shapes(min(n, max_images) if max_images is not None else n, size, seed)
    ds = make_shapes(n, size, seed)
    unknown = sorted(class_set - set(ds.class_names))
    if unknown:
        raise DataError(f"the built-in shapes set has no class {', '.join(unknown)}; "
                        f"its classes are {', '.join(ds.class_names)}")
    # As for class folders: filter, then keep the first max_images; labels index the kept classes.
    names = [c for c in ds.class_names if c in class_set]
    shape_of = [ds.class_names[int(c)] for c in ds.labels["class"].tolist()]
    index = [i for i, c in enumerate(shape_of) if c in class_set][:max_images]
    images = ds.images[torch.tensor(index, dtype=torch.long)].contiguous()
    return replace(ds, images=images, files=[ds.files[i] for i in index],
                   labels={"class": torch.tensor([float(names.index(shape_of[i])) for i in index])},
                   class_names=names, description=f"{len(index):,} of the {ds.description}; "
                                                   f"classes {', '.join(names)}",
                   content_hash=content_hash(images))


def _nothing_found(src: Path, classes, split) -> str:
    what = "no image files"
    if classes or split:
        what += f" matching classes={sorted(classes or [])} split={split!r}"
    return f"{what} in {src} (looked for {', '.join(sorted(IMAGE_EXTENSIONS))})"


def _labels_for(kept: list[_Entry], attr_rows: dict, attr_names: list[str]) -> dict[str, torch.Tensor]:
    n = len(kept)
    labels: dict[str, torch.Tensor] = {}
    utk = [utkface_labels(e.name) for e in kept]
    if any(utk):
        for key in ("age", "gender", "race"):
            labels[key] = torch.tensor([u.get(key, math.nan) for u in utk], dtype=torch.float32)
    if attr_names:
        table = torch.full((n, len(attr_names)), math.nan)
        for i, e in enumerate(kept):
            row = attr_rows.get(Path(e.name).name)
            if row is not None and e.kind == "celeba":
                table[i] = torch.tensor(row)
        for j, name in enumerate(attr_names):
            labels[name] = table[:, j].clone()
    return labels


def _describe(sources, classes, split, n, size) -> str:
    parts = [", ".join(s.name for s in sources)]
    if split:
        parts.append(f"split {split}")
    if classes:
        parts.append(f"classes {', '.join(sorted(classes))}")
    return f"{' / '.join(parts)}: {n} images at {size}x{size}"


# ----------------------------------------------------------------------------- cache


def _cache_key(stamps: list[str]) -> str:
    return hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:24]


def _cache_path(cache_dir, key: str) -> Path:
    return Path(cache_dir or default_cache_dir()) / f"images-{key}.safetensors"


def _write_cache(path: Path, ds: ImageSet) -> None:
    from safetensors.torch import save_file

    from gan_core.core.checkpoints import atomic_write

    tensors = {"images": ds.images.contiguous()}
    tensors.update({f"label.{k}": v.contiguous() for k, v in ds.labels.items()})
    meta = {"meta": json.dumps({k: getattr(ds, k) for k in
                                ("files", "class_names", "skipped", "skipped_examples", "description", "content_hash")})}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))
    except OSError:
        pass  # a read-only or full cache folder only costs the next run a decode


def _read_cache(path: Path) -> ImageSet:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()["meta"])
        images = f.get_tensor("images")
        labels = {k[len("label."):]: f.get_tensor(k) for k in f.keys() if k.startswith("label.")}
    return ImageSet(images=images, labels=labels, **meta)


PACK_FORMATS = {"jpeg": ("JPEG", ".jpg"), "webp": ("WEBP", ".webp")}


def pack_images(ds: ImageSet, path: str | Path, quality: int = 92, image_format: str = "jpeg") -> Path:
    """Write a loaded set as a small .zip of framed images under their original names
    (so labels survive), with the CelebA attribute rows it uses: a data set that
    travels. `load_images` reads it back without framing the images again.

    `image_format` "jpeg" keeps the names as they are; "webp" renames each file to
    .webp and takes about half the bytes at small sizes (15k faces at 64 px: 29 MB as
    JPEG at quality 85, 15 MB as WebP at quality 80), since a 64 px JPEG is a third
    header (its quantisation and Huffman tables)."""
    if image_format not in PACK_FORMATS:
        raise ValueError(f"image_format must be one of {sorted(PACK_FORMATS)} (got {image_format!r})")
    codec, suffix = PACK_FORMATS[image_format]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    attr_names = [k for k in ds.labels if k not in ("age", "gender", "race", "class")]
    from gan_core.core.checkpoints import atomic_write

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:  # compressed images do not compress further
            zf.writestr(PACK_MARKER, json.dumps({"size": ds.size, "description": ds.description,
                                                 "content_hash": ds.content_hash}))
            rows = []
            for i, name in enumerate(ds.files):
                if image_format != "jpeg":
                    name = str(Path(name).with_suffix(suffix))
                buf = io.BytesIO()
                Image.fromarray(ds.images[i].permute(1, 2, 0).numpy()).save(buf, codec, quality=quality)
                zf.writestr(name, buf.getvalue())
                values = [ds.labels[a][i].item() for a in attr_names]
                if attr_names and not any(math.isnan(v) for v in values):
                    rows.append(f"{Path(name).name} " + " ".join("1" if v > 0 else "-1" for v in values))
            if rows:
                zf.writestr(CELEBA_ATTR_FILE, f"{len(rows)}\n{' '.join(attr_names)}\n" + "\n".join(rows) + "\n")

    atomic_write(path, write)
    return path


class ShuffledBatches:
    """Endless shuffled index batches, a fresh permutation each epoch; the last
    incomplete batch of an epoch is dropped (BatchNorm dislikes tiny batches).
    Its state (permutation, position, RNG) is saved with a checkpoint so that a
    resumed run sees exactly the batches an uninterrupted one would."""

    def __init__(self, n: int, batch_size: int, seed: int, device: torch.device | str = "cpu"):
        if n < batch_size:
            raise DataError(f"{n} images are fewer than one batch of {batch_size}: lower the batch size")
        self.n, self.batch_size, self.device = n, batch_size, torch.device(device)
        self.generator = torch.Generator().manual_seed(seed)  # on the CPU: the same order everywhere
        self._new_epoch()
        self.epoch = 0

    def _new_epoch(self) -> None:
        self.perm = torch.randperm(self.n, generator=self.generator)
        self._perm_on_device = self.perm.to(self.device)  # one copy per epoch, not one per batch
        self.pos = 0

    def next(self) -> torch.Tensor:
        if self.pos + self.batch_size > self.n:
            self._new_epoch()
            self.epoch += 1
        out = self._perm_on_device[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return out

    def state_dict(self) -> dict:
        return {"perm": self.perm, "rng": self.generator.get_state(),
                "pos": self.pos, "epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        if state["perm"].numel() != self.n:
            raise DataError(f"the checkpoint was trained on {state['perm'].numel()} images, this data has {self.n}")
        self.perm, self.pos, self.epoch = state["perm"], int(state["pos"]), int(state["epoch"])
        self._perm_on_device = self.perm.to(self.device)
        self.generator.set_state(state["rng"])
