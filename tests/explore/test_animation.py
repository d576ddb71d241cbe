"""save_animation: the files reopen with the frames, sizes, timing and looping asked for."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, features

from gan_core.explore.animation import frame_duration_ms, save_animation
from gan_core.core.images import to_uint8

needs_webp = pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")


def gradient_frames(n: int = 5, h: int = 12, w: int = 16) -> torch.Tensor:
    """(n, 3, h, w) in [-1, 1], each frame clearly different from the others: a
    horizontal ramp in red, a vertical one in green, and a blue level that moves."""
    x = torch.empty(n, 3, h, w)
    x[:, 0] = torch.linspace(-1, 1, w).view(1, 1, w)
    x[:, 1] = torch.linspace(-1, 1, h).view(1, h, 1)
    x[:, 2] = torch.linspace(-1, 1, n).view(n, 1, 1)
    return x


def read_back(source) -> tuple[list[np.ndarray], list[int], dict]:
    """Frames as (H, W, 3) uint8, each frame's duration in ms, and the file's info."""
    im = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    frames, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        im.load()
        frames.append(np.asarray(im.convert("RGB")))
        durations.append(im.info["duration"])
    return frames, durations, dict(im.info)


def assert_close(a: np.ndarray, b: np.ndarray, tol: float) -> None:
    """Mean absolute difference in 0-255 levels: GIF palettes and lossy WebP are near, not exact."""
    assert a.shape == b.shape
    assert np.abs(a.astype(int) - b.astype(int)).mean() <= tol


@pytest.mark.parametrize("fmt", ["gif", pytest.param("webp", marks=needs_webp)])
def test_the_file_reopens_with_the_frames_size_and_timing(tmp_path, fmt):
    x = gradient_frames(5)
    path = save_animation(x, tmp_path / f"walk.{fmt}", fps=10)
    assert path == tmp_path / f"walk.{fmt}"
    assert Image.open(path).format == fmt.upper()
    frames, durations, info = read_back(path)
    assert len(frames) == 5
    assert frames[0].shape == (12, 16, 3)
    assert durations == [100] * 5
    assert info["loop"] == 0  # repeats forever
    expected = to_uint8(x)
    assert_close(frames[0], expected[0], tol=4)
    assert_close(frames[-1], expected[-1], tol=4)
    assert_close(frames[2], expected[2], tol=4)
    # And not by chance: the first frame is far from the last one.
    assert np.abs(frames[0].astype(int) - expected[-1].astype(int)).mean() > 40


def test_pil_frames_are_written_as_given():
    pics = [Image.new("RGB", (20, 10), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    frames, _, _ = read_back(save_animation(pics, None, format="gif"))
    assert [tuple(f[5, 10]) for f in frames] == [(255, 0, 0), (0, 255, 0), (0, 0, 255)]


def test_gif_durations_are_whole_centiseconds():
    assert frame_duration_ms(12, "gif") == 80   # 8.33 cs -> 8 cs
    assert frame_duration_ms(30, "gif") == 30   # 3.33 cs -> 3 cs
    assert frame_duration_ms(40, "gif") == 30   # 2.5 cs: halves round up
    assert frame_duration_ms(50, "gif") == 20
    assert frame_duration_ms(12, "webp") == 83
    _, durations, _ = read_back(save_animation(gradient_frames(3), None, fps=12, format="gif"))
    assert durations == [80] * 3


def test_boomerang_plays_back_without_repeating_the_ends():
    x = gradient_frames(4)
    frames, _, _ = read_back(save_animation(x, None, format="gif", boomerang=True))
    expected = to_uint8(x)
    assert len(frames) == 6  # 0 1 2 3 2 1, then the loop starts again at 0
    for got, want in zip(frames, [0, 1, 2, 3, 2, 1]):
        assert_close(got, expected[want], tol=4)


def test_boomerang_of_one_frame_is_that_frame():
    frames, _, _ = read_back(save_animation(gradient_frames(1), None, format="gif", boomerang=True))
    assert len(frames) == 1


@pytest.mark.parametrize("fmt", ["gif", pytest.param("webp", marks=needs_webp)])
def test_scale_upscales_with_nearest_neighbour(fmt):
    x = gradient_frames(2, h=6, w=8)
    frames, _, _ = read_back(save_animation(x, None, format=fmt, scale=4))
    assert frames[0].shape == (24, 32, 3)
    if fmt == "gif":  # palette colours are exact for so few colours: every 4x4 block is one colour
        blocks = frames[0].reshape(6, 4, 8, 4, 3)
        assert (blocks == blocks[:, :1, :, :1]).all()
    assert_close(frames[0][::4, ::4], to_uint8(x)[0], tol=4 if fmt == "gif" else 8)  # lossy WebP: a bit further


def test_loop_false_plays_once():
    _, _, gif_info = read_back(save_animation(gradient_frames(2), None, format="gif", loop=False))
    assert "loop" not in gif_info  # no loop extension: browsers play a GIF once
    if features.check("webp"):
        _, _, webp_info = read_back(save_animation(gradient_frames(2), None, format="webp", loop=False))
        assert webp_info["loop"] == 1


def test_writes_to_an_open_file_and_returns_the_bytes(tmp_path):
    out = io.BytesIO()
    data = save_animation(gradient_frames(3), out)
    assert data == out.getvalue() and data[:6] == b"GIF89a"  # gif unless told otherwise


@needs_webp
def test_the_format_comes_from_the_suffix_unless_given(tmp_path):
    assert save_animation(gradient_frames(2), tmp_path / "a.WEBP").read_bytes()[8:12] == b"WEBP"
    assert save_animation(gradient_frames(2), tmp_path / "a.bin", format="webp").read_bytes()[8:12] == b"WEBP"


@pytest.mark.parametrize("fps", [0, -3, 50.5, 120, float("nan"), float("inf"), "12", True])
def test_bad_fps_is_refused(fps):
    with pytest.raises(ValueError, match="fps"):
        save_animation(gradient_frames(2), None, fps=fps)


def test_fifty_fps_is_allowed():
    _, durations, _ = read_back(save_animation(gradient_frames(2), None, fps=50))
    assert durations == [20, 20]


@pytest.mark.parametrize("frames", [[], torch.zeros(0, 3, 8, 8)])
def test_no_frames_is_refused(frames):
    with pytest.raises(ValueError, match="no frames"):
        save_animation(frames, None)


def test_unknown_formats_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown animation format"):
        save_animation(gradient_frames(2), tmp_path / "walk.png")
    with pytest.raises(ValueError, match="unknown animation format"):
        save_animation(gradient_frames(2), None, format="mp4")
    with pytest.raises(ValueError, match="format"):
        save_animation(gradient_frames(2), tmp_path / "walk")
    assert not (tmp_path / "walk.png").exists()


@pytest.mark.parametrize("scale", [0, -1, 2.5, 17])
def test_bad_scale_is_refused(scale):
    with pytest.raises(ValueError, match="scale"):
        save_animation(gradient_frames(2), None, scale=scale)


def test_frames_of_other_shapes_or_sizes_are_refused():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        save_animation(torch.zeros(2, 1, 8, 8), None)
    with pytest.raises(ValueError, match="one size"):
        save_animation([Image.new("RGB", (8, 8)), Image.new("RGB", (9, 8))], None)
