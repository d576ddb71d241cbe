"""Checks on an archive of training images that a stranger uploaded, before it is kept.

`gan_core.data.image_set.load_images` already reads archives defensively (members are read
in memory and never extracted; links and climbing paths are skipped; oversized
members are refused before they are decompressed). A public server asks more of an
upload, and asks it at once, from the archive's directory alone, so the user hears
every reason in one message before the job waits in line:

>>> from gan_core.data.uploads import check_training_archive
>>> report = check_training_archive("my_faces.zip")                     # doctest: +SKIP
>>> report.images
1200

Refused: anything but a .zip or .tar(.gz/.bz2/.xz); archives over `max_bytes`; more
than `max_files` members; absolute paths and `..` in member names; links, devices and
other non-files; members that are not images (an operator's own folders may hold
other files, an upload may not); declared unpacked sizes over the limit or a
compression ratio no image archive has (a zip bomb). Operating-system clutter
(`__MACOSX/`, `.DS_Store`, `Thumbs.db`) is ignored.
"""
from __future__ import annotations

import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gan_core.core.errors import DataError
from gan_core.data.image_set import IMAGE_EXTENSIONS, damaged_archive

MAX_UPLOAD_BYTES = 200 * 2**20  # what the server accepts as a file
MAX_UPLOAD_FILES = 20_000  # images per upload: minutes of decoding on a 2-core machine
MAX_UNPACKED_BYTES = 2 * 2**30  # declared, all members together
MAX_RATIO = 50  # unpacked / packed size: images are compressed already, so ~1; a bomb is 1000s
CLUTTER = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
SHOWN = 5  # names listed per kind of problem in the message


@dataclass
class ArchiveReport:
    images: int
    packed_bytes: int
    unpacked_bytes: int


def _is_clutter(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return bool(parts) and (name.startswith("__MACOSX/") or parts[-1] in CLUTTER or parts[-1].startswith("._"))


def _name_problem(name: str) -> str | None:
    n = name.replace("\\", "/")
    if n.startswith("/") or (len(n) > 1 and n[1] == ":"):
        return "absolute path"
    if ".." in n.split("/"):
        return "path climbing out with '..'"
    return None


def check_training_archive(path: str | Path, max_bytes: int = MAX_UPLOAD_BYTES, max_files: int = MAX_UPLOAD_FILES,
                           max_unpacked: int = MAX_UNPACKED_BYTES) -> ArchiveReport:
    """The archive's image count and sizes; a DataError naming every problem otherwise."""
    path = Path(path)
    try:
        packed = path.stat().st_size
    except OSError:
        raise DataError("the upload could not be read: try uploading it again") from None
    if packed > max_bytes:
        raise DataError(f"the archive is {packed / 2**20:.0f} MB; uploads may be at most {max_bytes / 2**20:.0f} MB")
    if packed == 0:
        raise DataError("the archive is empty (0 bytes)")
    members = _members(path, max_files, max_unpacked)  # (name, kind, size)
    problems: dict[str, list[str]] = {}
    images = unpacked = 0
    sizes: list[tuple[int, str]] = []
    for name, kind, size in members:
        if kind == "dir" or _is_clutter(name):
            continue
        reason = _name_problem(name)
        if reason is None and kind != "file":
            reason = "links and special files" if kind == "link" else "special files (devices, pipes)"
        if reason is None and Path(name).suffix.lower() not in IMAGE_EXTENSIONS:
            reason = "files that are not images"
        if reason is not None:
            problems.setdefault(reason, []).append(name)
            continue
        images += 1
        unpacked += size
        sizes.append((size, name))
    if problems:
        lines = []
        for reason, names in problems.items():
            shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
            lines.append(f"{reason}: {shown}")
        raise DataError("the archive was refused; it may hold only images (.jpg, .png, ...) in folders. Found "
                        + "; ".join(lines))
    if images == 0:
        raise DataError("the archive holds no images (.jpg, .jpeg, .png, .bmp, .gif, .webp, .tif)")
    if unpacked > max_unpacked or unpacked > MAX_RATIO * packed + 2**20:
        raise DataError(f"the archive would unpack to {unpacked / 2**20:,.0f} MB from {packed / 2**20:,.1f} MB: "
                        f"more than images compress to (a zip bomb?); refused. The largest members: {_largest(sizes)}")
    return ArchiveReport(images, packed, unpacked)


def _largest(sizes: list[tuple[int, str]]) -> str:
    """The SHOWN largest members, named with their unpacked sizes."""
    top = sorted(sizes, key=lambda t: -t[0])[:SHOWN]
    return ", ".join(f"{name} ({size / 2**20:,.1f} MB)" for size, name in top)


def _members(path: Path, max_files: int, max_unpacked: int) -> list[tuple[str, str, int]]:
    too_many = DataError(f"the archive holds more than {max_files:,} files, the limit for an upload: "
                         "upload fewer images (a few thousand are plenty for a 32 or 64 px GAN)")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise DataError(f"the zip archive is damaged ({exc})") from None
        if len(infos) > max_files:
            raise too_many
        out = []
        for info in infos:
            mode = (info.external_attr >> 16) & 0o170000
            kind = "dir" if info.is_dir() else "link" if mode == 0o120000 else \
                "file" if mode in (0, 0o100000) else "special"
            out.append((info.filename, kind, info.file_size))
        return out
    try:
        is_tar = tarfile.is_tarfile(path)
    except OSError:
        is_tar = False
    if not is_tar:
        raise DataError(damaged_archive(path) or "the upload is not a .zip or .tar archive: put your images in a zip file "
                                          "and upload that")
    out, declared = [], 0
    try:
        with tarfile.open(path) as tf:
            for m in tf:  # headers only; stops early on the limits, before a bomb is unpacked
                kind = "dir" if m.isdir() else "file" if m.isfile() else \
                    "link" if (m.issym() or m.islnk()) else "special"
                out.append((m.name, kind, m.size))
                declared += m.size if kind == "file" else 0
                if len(out) > max_files:
                    raise too_many
                if declared > max_unpacked:
                    files = [(size, name) for name, kind, size in out if kind == "file"]
                    raise DataError(f"the archive would unpack to more than {max_unpacked / 2**30:.0f} GB; refused. "
                                    f"The largest members: {_largest(files)}")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"the tar archive is damaged or truncated ({exc})") from None
    return out
