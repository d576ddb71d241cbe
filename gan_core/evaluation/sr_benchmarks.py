"""PSNR and SSIM of x4 super-resolution on benchmark sets, next to the SRGAN paper's.

    >>> from gan_core.evaluation.sr_benchmarks import evaluate, format_table
    >>> import gan_core
    >>> result = evaluate([gan_core.load("photo-litesr-x4")], ["Set5", "BSD68"])   # doctest: +SKIP
    >>> print(format_table(result))                                                    # doctest: +SKIP

The convention is the SR literature's (and `gan_core.evaluation.sr_metrics`'s): each HR image is
cropped to a multiple of the scale, shrunk with PIL bicubic to make the LR input; the
result is compared with the HR image on Y after shaving `scale` pixels off each side.
`python -m gan_core evaluate-sr` prints the table.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from gan_core.core.errors import DataError
from gan_core.data.image_set import IMAGE_EXTENSIONS, MIN_IMAGE_SIDE, open_image
from gan_core.evaluation.sr_metrics import SSIM_WINDOW, bicubic_downscale, crop_to_multiple, psnr_y, ssim_y
from gan_core.pipelines.tiles import MAX_INPUT_PIXELS, bicubic_upscale, load_for_upscale

SCALE = 4
BORDER = 4  # pixels shaved off each side before measuring: the scale, as in the paper's tables
# The smallest photo `score_photo` takes: shrunk x4 it must still be upscalable, and the
# SSIM window must fit inside the shaved border.
MIN_SCORE_SIDE = max(MIN_IMAGE_SIDE * SCALE, 2 * BORDER + SSIM_WINDOW + SCALE)
REPO = Path(__file__).resolve().parents[2]
# Set names -> folder under the data root (../shared/data/sr in this project's layout).
KNOWN_SETS = {"Set5": "CSet5", "BSD68": "CBSD68"}
DEFAULT_SETS = ("Set5", "BSD68")

# Ledig et al. 2017, table 2 (x4; PSNR dB / SSIM on Y, MATLAB bicubic). The paper reports
# BSD100; BSD68 is 68 of its 100 images, so those figures are for orientation only.
PAPER_FIGURES = {
    "bicubic (paper, MATLAB)": {"Set5": (28.43, 0.8211), "BSD100": (25.94, 0.6935)},
    "SRResNet (paper)": {"Set5": (32.05, 0.9019), "BSD100": (27.58, 0.7620)},
    "SRGAN (paper)": {"Set5": (29.40, 0.8472), "BSD100": (25.16, 0.6688)},
}
PAPER_SET_FOR = {"Set5": "Set5", "BSD68": "BSD100"}  # the paper's nearest set, for the table
CONVENTION = (f"x{SCALE}: HR cropped to a multiple of {SCALE}, LR = PIL bicubic (antialiased) shrink; PSNR and "
              f"SSIM on Y (BT.601, [16, 235]) after shaving {BORDER} px off each side")

Log = Callable[[str], None]


def data_root(root: str | Path | None = None) -> Path:
    """Where the benchmark folders are: `root`, $GAN_CORE_SR_DATA, or ../shared/data/sr."""
    return Path(root or os.environ.get("GAN_CORE_SR_DATA") or REPO.parent / "shared" / "data" / "sr").expanduser()


def set_folder(name: str, root: str | Path | None = None) -> Path:
    """A set's folder: a known name under the data root, or a folder path."""
    path = data_root(root) / KNOWN_SETS[name] if name in KNOWN_SETS else Path(name).expanduser()
    if not path.is_dir():
        hint = (f" (looked for {KNOWN_SETS[name]}/ under {data_root(root)}: give --data-root)"
                if name in KNOWN_SETS else f": give {' or '.join(KNOWN_SETS)} or a folder of HR images")
        raise DataError(f"benchmark set {name!r} not found{hint}")
    return path


def set_images(name: str, root: str | Path | None = None,
               failed: list[str] | None = None) -> list[tuple[str, np.ndarray]]:
    """(file name, HR uint8 array cropped to a multiple of the scale) of a set, by name.

    A file that cannot be read is a DataError naming it; with a `failed` list, it is
    added there ("file: reason") and the others are read."""
    folder = set_folder(name, root)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("."))
    if not files:
        raise DataError(f"benchmark set {name!r}: no images in {folder}")
    out = []
    for p in files:
        try:
            out.append((p.name, crop_to_multiple(np.asarray(open_image(p)), SCALE)))
        except DataError as exc:
            if failed is None:
                raise DataError(f"benchmark set {name!r}: {p.name}: {exc}") from None
            failed.append(f"{p.name}: {exc}")
    return out


def measure(sr: np.ndarray, hr: np.ndarray) -> tuple[float, float]:
    """(PSNR dB, SSIM) of an x4 result against its HR image, on Y with the border shaved."""
    return psnr_y(sr, hr, border=BORDER), ssim_y(sr, hr, border=BORDER)


@dataclass
class PhotoScore:
    """One photo scored the benchmarks' way (see `score_photo`); scores are (PSNR dB, SSIM)."""

    original: Image.Image  # the photo, RGB, cropped to a multiple of SCALE: the ground truth
    input: Image.Image  # the original shrunk xSCALE with bicubic: what the upscalers see
    bicubic: Image.Image  # the input enlarged back with bicubic
    output: Image.Image  # the input enlarged back by the upscaler (bicubic itself without one)
    bicubic_score: tuple[float, float]
    score: tuple[float, float]  # the output's (the bicubic score without an upscaler)


def score_photo(upscaler: Callable[..., Image.Image] | None, image: Image.Image, **upscale_kwargs) -> PhotoScore:
    """Downscale first and score: `image` is taken as the ground truth, cropped to a
    multiple of SCALE, shrunk xSCALE with bicubic, enlarged back by bicubic and by
    `upscaler(input, **upscale_kwargs)` (None: bicubic only), and both results are
    measured against it (`measure`). Transparency is dropped, EXIF orientation applied.

    Raises ValueError for a photo with a side under MIN_SCORE_SIDE, ImageTooLargeError (a
    ValueError) for one whose shrunk copy is over the tiled upscaler's limit."""
    rgb = load_for_upscale(image, scale=SCALE, max_input_pixels=MAX_INPUT_PIXELS * SCALE * SCALE)[0]
    if min(rgb.size) < MIN_SCORE_SIDE:
        raise ValueError(f"image {rgb.width}x{rgb.height} is too small to score: scoring needs at least "
                         f"{MIN_SCORE_SIDE} pixels a side (it is shrunk x{SCALE} first)")
    original = crop_to_multiple(rgb, SCALE)
    small = bicubic_downscale(original, SCALE)
    bicubic = bicubic_upscale(small, SCALE)
    bicubic_score = measure(bicubic, original)
    if upscaler is None:
        return PhotoScore(original, small, bicubic, bicubic, bicubic_score, bicubic_score)
    output = upscaler(small, **upscale_kwargs)
    return PhotoScore(original, small, bicubic, output, bicubic_score, measure(output.convert("RGB"), original))


def _summary(rows: dict[str, tuple[float, float]]) -> dict:
    psnrs = [p for p, _ in rows.values()]
    return {"psnr": float(np.mean(psnrs)) if all(math.isfinite(p) for p in psnrs) else math.inf,
            "ssim": float(np.mean([s for _, s in rows.values()])), "images": len(rows),
            "per_image": {k: [round(p, 4), round(s, 5)] for k, (p, s) in rows.items()}}


def evaluate(upscalers: list, sets: list[str] = list(DEFAULT_SETS), *, data_root: str | Path | None = None,
             tile: int | None = None, log: Log | None = None) -> dict:
    """Bicubic and each upscaler (a gan_core.pipelines.upscaler.Upscaler, or any object with
    `name` and `__call__(image, tile=...)`) on each set: mean PSNR and SSIM per set.

    Returns {"convention", "sets": {set: {"folder", "images"}}, "bicubic": {set: summary},
    "models": {name: {set: summary}}, "paper": PAPER_FIGURES}; a summary is
    {"psnr", "ssim", "images", "per_image": {file: [psnr, ssim]}}. The PSNR mean is
    over images (the literature's), not the PSNR of the pooled error.

    A file that cannot be read or scored (damaged, too small) is left out and named in
    result["failed"][set] ("file: reason", logged too); the others are measured. A set
    with no image left has no summary."""
    names = unique_names(upscalers)
    result = {"convention": CONVENTION, "sets": {}, "bicubic": {}, "models": {n: {} for n in names},
              "paper": {k: {s: list(v) for s, v in figs.items()} for k, figs in PAPER_FIGURES.items()},
              "failed": {}}
    for set_name in sets:
        failed: list[str] = []
        images = set_images(set_name, data_root, failed)
        result["sets"][set_name] = {"folder": str(set_folder(set_name, data_root)), "images": len(images)}
        rows_bicubic: dict[str, tuple[float, float]] = {}
        rows = {n: {} for n in names}
        for file, hr in images:
            photo = Image.fromarray(hr)
            try:
                if not upscalers:
                    rows_bicubic[file] = score_photo(None, photo).bicubic_score
                for name, up in zip(names, upscalers):
                    t = time.perf_counter()
                    # One tile covering the image by default: the network sees it whole, with
                    # reflect-padded context at its edges (see gan_core.pipelines.tiles).
                    scored = score_photo(up, photo, tile=tile or max(hr.shape[:2]) // SCALE)
                    rows_bicubic[file], rows[name][file] = scored.bicubic_score, scored.score
                    if log:
                        p, s = rows[name][file]
                        log(f"{set_name} {file} {name}: {p:.2f} dB / {s:.4f} ({time.perf_counter() - t:.1f} s)")
            except ValueError as exc:  # DataError, a photo too small to score
                failed.append(f"{file}: {exc}")
                rows_bicubic.pop(file, None)
                for name in names:
                    rows[name].pop(file, None)
        for reason in failed:
            if log:
                log(f"{set_name} {reason}: left out")
        if failed:
            result["failed"][set_name] = failed
        result["sets"][set_name]["images"] = len(rows_bicubic)  # those measured
        if rows_bicubic:
            result["bicubic"][set_name] = _summary(rows_bicubic)
        for name in names:
            if rows[name]:
                result["models"][name][set_name] = _summary(rows[name])
    return result


def unique_names(upscalers: list) -> list[str]:
    names: list[str] = []
    for up in upscalers:
        base = str(getattr(up, "name", "model"))
        name, k = base, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    return names


def card_record(result: dict, name: str) -> dict:
    """What `evaluate-sr --write-card` stores under metrics.evaluation for one model."""
    sets = {}
    for set_name, summary in result["models"][name].items():
        bic = result["bicubic"][set_name]  # present with every model's summary: same images
        sets[set_name] = {"psnr": round(summary["psnr"], 3), "ssim": round(summary["ssim"], 4),
                          "bicubic_psnr": round(bic["psnr"], 3), "bicubic_ssim": round(bic["ssim"], 4),
                          "images": summary["images"]}
    return {"sets": sets, "convention": result["convention"]}


def format_table(result: dict) -> str:
    """A Markdown table: methods as rows, sets as columns, 'PSNR / SSIM' in each cell."""
    sets = list(result["sets"])

    def cell(summary: dict | None) -> str:
        return f"{summary['psnr']:.2f} / {summary['ssim']:.4f}" if summary else "-"

    header = ["method"] + [f"{s} ({result['sets'][s]['images']})" for s in sets]
    rows = [["bicubic (PIL, measured here)"] + [cell(result["bicubic"].get(s)) for s in sets]]
    rows += [[name] + [cell(per_set.get(s)) for s in sets] for name, per_set in result["models"].items()]
    for method, figures in PAPER_FIGURES.items():
        cells = []
        for s in sets:
            paper_set = PAPER_SET_FOR.get(s)
            fig = figures.get(paper_set) if paper_set else None
            if fig is None:
                cells.append("-")
            else:
                cells.append(f"{fig[0]:.2f} / {fig[1]:.4f}" + ("" if paper_set == s else f" ({paper_set})"))
        rows.append([method] + cells)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    out = [f"x{SCALE} super-resolution, PSNR (dB) / SSIM on Y, {BORDER}-pixel border; (images) per set",
           line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]
    if any(PAPER_SET_FOR.get(s) not in (s, None) for s in sets):
        out.append("The paper reports BSD100; BSD68 is 68 of its 100 images: those figures are for orientation.")
    out.append("Paper figures: Ledig et al. 2017, table 2 (MATLAB bicubic degradation).")
    return "\n".join(out)


__all__ = ["evaluate", "score_photo", "PhotoScore", "format_table", "card_record", "unique_names", "measure", "set_images", "set_folder", "data_root",
           "PAPER_FIGURES", "KNOWN_SETS", "DEFAULT_SETS", "MIN_SCORE_SIDE"]
