"""Upload checks (gan_core.data.uploads): what a training archive may hold, and its limits."""
from __future__ import annotations

import io
import tarfile
import zipfile

import pytest
from PIL import Image

from gan_core.core.errors import DataError
from gan_core.data.uploads import check_training_archive


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def _zip(path, members: dict[str, bytes], links: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return path


def test_upload_of_images_is_accepted_and_clutter_ignored(tmp_path):
    z = _zip(tmp_path / "ok.zip", {"faces/a.png": _png(), "faces/b.PNG": _png(), "__MACOSX/faces/._a.png": b"x",
                                    "faces/.DS_Store": b"x"})
    report = check_training_archive(z)
    assert report.images == 2


@pytest.mark.parametrize("members, links, message", [
    ({"../evil.png": b"x", "ok.png": b"y"}, (), "climbing out"),
    ({"/abs/evil.png": b"x"}, (), "absolute path"),
    ({"ok.png": b"y"}, ("link.png",), "links"),
    ({"a.png": b"y", "run.sh": b"rm -rf /", "notes.txt": b"hi"}, (), "not images: run.sh, notes.txt"),
    ({"readme.md": b"y"}, (), "not images"),
    ({}, (), "no images"),
])
def test_upload_refusals_name_the_problem(tmp_path, members, links, message):
    z = _zip(tmp_path / "bad.zip", members, links)
    with pytest.raises(DataError, match=message):
        check_training_archive(z)


def test_upload_limits_size_count_and_bombs(tmp_path):
    z = _zip(tmp_path / "many.zip", {f"{i}.png": b"" for i in range(30)})
    with pytest.raises(DataError, match="more than 20 files"):
        check_training_archive(z, max_files=20)
    with pytest.raises(DataError, match="at most"):
        check_training_archive(z, max_bytes=100)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.png", b"\0" * (64 * 2**20))  # 64 MB of zeros packs to ~64 KB
    with pytest.raises(DataError, match="zip bomb"):
        check_training_archive(bomb)
    (tmp_path / "text.zip").write_text("not an archive")
    with pytest.raises(DataError, match="not a .zip or .tar"):
        check_training_archive(tmp_path / "text.zip")


def test_upload_tar_with_link_and_escape_is_refused(tmp_path):
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        data = _png()
        info = tarfile.TarInfo("imgs/a.png")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("imgs/b.png")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tf.addfile(link)
        up = tarfile.TarInfo("../../c.png")
        up.size = len(data)
        tf.addfile(up, io.BytesIO(data))
    with pytest.raises(DataError) as exc:
        check_training_archive(path)
    assert "links" in str(exc.value) and "climbing out" in str(exc.value)


def test_a_zip_bomb_names_its_largest_members(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("faces/ok.png", _png())
        zf.writestr("faces/huge.png", b"\0" * (8 * 2**20))
        zf.writestr("faces/big.png", b"\0" * (2 * 2**20))
    with pytest.raises(DataError, match=r"zip bomb.*The largest members: faces/huge\.png \(8\.0 MB\), "
                                        r"faces/big\.png \(2\.0 MB\), faces/ok\.png"):
        check_training_archive(bomb)


def test_a_tar_over_the_unpacked_limit_names_its_largest_members(tmp_path):
    path = tmp_path / "big.tar"
    with tarfile.open(path, "w") as tf:
        for name, size in (("a.png", 3000), ("b.png", 9000)):
            info = tarfile.TarInfo(name)
            info.size = size
            tf.addfile(info, io.BytesIO(bytes(size)))
    with pytest.raises(DataError, match=r"more than 0 GB; refused\. The largest members: b\.png .*, a\.png"):
        check_training_archive(path, max_unpacked=10_000)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_truncated_archive_is_called_truncated_not_a_foreign_file(tmp_path, kind):
    whole = tmp_path / f"whole.{kind}"
    if kind == "zip":
        _zip(whole, {f"{i}.png": _png() for i in range(5)})
    else:
        with tarfile.open(whole, "w:gz") as tf:
            for i in range(5):
                info = tarfile.TarInfo(f"{i}.png")
                data = _png() + bytes(range(256)) * 40
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    cut = tmp_path / f"cut.{kind}"
    raw = whole.read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="damaged or truncated|truncated or damaged") as info:
        check_training_archive(cut)
    assert "not a .zip or .tar" not in str(info.value)
