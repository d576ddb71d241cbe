"""Animated GIF and WebP from a sequence of frames, such as a latent walk.

>>> import gan_core
>>> from gan_core.explore.animation import save_animation
>>> from gan_core.explore.latents import latent_walk, latents_for_seeds
>>> pipe = gan_core.load("faces-dcgan64")                                    # doctest: +SKIP
>>> frames = pipe.decode(latent_walk(latents_for_seeds(pipe.spec, [1, 2, 3, 1]), 36))  # doctest: +SKIP
>>> save_animation(frames, "walk.gif", fps=12, scale=4)                       # doctest: +SKIP
PosixPath('walk.gif')
"""
from __future__ import annotations

import io
import math
import numbers
from pathlib import Path
from typing import BinaryIO

import torch
from PIL import Image, features

from gan_core.core.images import to_pil

FORMATS = ("gif", "webp")
# GIF delays come in whole centiseconds and browsers slow any delay under 2 cs down
# to 10 cs, so 50 fps is the fastest rate a GIF plays at; WebP shares the limit.
MAX_FPS = 50.0
MAX_SCALE = 16


def frame_duration_ms(fps: float, format: str) -> int:
    """Milliseconds each frame is shown at `fps`: GIF stores whole centiseconds, so
    there 100 / fps is rounded to the nearest centisecond, halves up (12 fps -> 80
    ms, played at 12.5 fps; 30 fps -> 30 ms, 33.3 fps); WebP stores milliseconds,
    rounded the same way."""
    _check_fps(fps)
    if format not in FORMATS:
        raise ValueError(f"unknown animation format {format!r}: use one of {', '.join(FORMATS)}")
    if format == "gif":
        return 10 * math.floor(100 / fps + 0.5)
    return math.floor(1000 / fps + 0.5)


def save_animation(
    frames: list[Image.Image] | torch.Tensor,
    path_or_file: str | Path | BinaryIO | None,
    *,
    fps: float = 12,
    format: str | None = None,
    loop: bool = True,
    boomerang: bool = False,
    scale: int = 1,
) -> Path | bytes:
    """Write `frames` as an animated GIF or WebP.

    frames: PIL images of one size, or a tensor (N, 3, H, W) in [-1, 1].
    path_or_file: a path (returns it as a Path), a binary file open for writing,
    or None (both return the encoded bytes).
    format: "gif" or "webp"; taken from the suffix of a path when not given, else
    "gif". loop: repeat forever, or play once. boomerang: play forwards then
    backwards, without showing the end frames twice, so the loop has no jump.
    scale: whole-number nearest-neighbour upscaling: 64-pixel frames are tiny in a
    browser, and nearest keeps their pixels sharp.

    Durations are `frame_duration_ms(fps, format)`. Identical consecutive frames
    may be stored as one frame shown for their combined time (both encoders do).
    A GIF holds at most 256 colours per frame, picked for each frame.
    """
    fmt = _resolve_format(path_or_file, format)
    duration = frame_duration_ms(fps, fmt)
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be a whole number from 1 to {MAX_SCALE}, not {scale!r}")
    images = _as_images(frames)
    if boomerang:
        images = images + images[-2:0:-1]
    if scale > 1:
        images = [im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST) for im in images]

    buffer = io.BytesIO()
    options: dict = {"save_all": True, "append_images": images[1:], "duration": duration}
    if fmt == "gif":
        if loop:
            options["loop"] = 0  # the GIF loop count: 0 repeats forever; without one it plays once
    else:
        # quality 90: faces keep their detail at about half the lossless size.
        options.update(loop=0 if loop else 1, quality=90)
    images[0].save(buffer, format=fmt.upper(), **options)
    data = buffer.getvalue()

    if path_or_file is None:
        return data
    if isinstance(path_or_file, (str, Path)):
        path = Path(path_or_file)
        path.write_bytes(data)
        return path
    path_or_file.write(data)
    return data


def _check_fps(fps: float) -> None:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not math.isfinite(fps):
        raise ValueError(f"fps must be a number, not {fps!r}")
    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"fps must be above 0 and at most {MAX_FPS:g} (GIF delays are whole "
                         f"centiseconds, and shorter than 2 are slowed down), not {fps}")


def _resolve_format(path_or_file, format: str | None) -> str:
    if format is None:
        if isinstance(path_or_file, (str, Path)):
            format = Path(path_or_file).suffix.lstrip(".")
            if not format:
                raise ValueError(f"cannot tell the format of {str(path_or_file)!r}: give a .gif or .webp "
                                 f"name, or format=")
        else:
            format = "gif"
    fmt = str(format).lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown animation format {format!r}: use one of {', '.join(FORMATS)}")
    if fmt == "webp" and not features.check("webp"):
        raise ValueError("this Pillow was built without WebP support: save as gif instead")
    return fmt


def _as_images(frames) -> list[Image.Image]:
    if isinstance(frames, torch.Tensor):
        if frames.dim() != 4 or frames.shape[1] != 3:
            raise ValueError(f"frames as a tensor must be (N, 3, H, W), not {tuple(frames.shape)}")
        images = to_pil(frames)
    else:
        images = [im.convert("RGB") for im in frames]
    if not images:
        raise ValueError("no frames to animate")
    sizes = {im.size for im in images}
    if len(sizes) > 1:
        raise ValueError(f"all frames must have one size, got {sorted(sizes)}")
    return images
