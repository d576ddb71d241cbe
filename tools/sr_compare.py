"""A side-by-side of x4 upscalers on one region of a test photo, for the README.

    python tools/sr_compare.py ../shared/data/sr/CBSD68/253027.png --box 120 80 96 96 \
        --models photo-litesr-x4 photo-litesrgan-x4 --out docs/upscale_compare.png

The photo is cropped to a multiple of 4 and shrunk x4 with PIL bicubic, as `evaluate-sr`
does (both through gan_core.evaluation.sr_benchmarks.score_photo); each upscaler works on the whole small photo, then the box (in the original's
pixels) is cut from every result and shown at `--zoom` with the original last. Each
panel is labelled with its PSNR / SSIM on Y over the whole photo.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gan_core  # noqa: E402
from gan_core.data.image_set import read_image  # noqa: E402
from gan_core.evaluation.sr_benchmarks import SCALE, score_photo  # noqa: E402
from gan_core.core.hub import SUPER_RESOLUTION  # noqa: E402

LABEL_H = 34


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare x4 upscalers on one region of a photo.")
    parser.add_argument("photo", type=Path, help="a high-resolution test photo (never seen in training)")
    parser.add_argument("--box", type=int, nargs=4, metavar=("X", "Y", "W", "H"), required=True,
                        help="the region to show, in the photo's pixels")
    parser.add_argument("--models", nargs="+", default=["photo-litesr-x4", "photo-litesrgan-x4"])
    parser.add_argument("--zoom", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    photo = read_image(args.photo).convert("RGB")
    x, y, w, h = args.box
    width, height = photo.width - photo.width % SCALE, photo.height - photo.height % SCALE  # as scored
    if x < 0 or y < 0 or w < 8 or h < 8 or x + w > width or y + h > height:
        raise SystemExit(f"error: the box {args.box} is not inside the {width}x{height} photo")
    scored = [score_photo(gan_core.load(name, task=SUPER_RESOLUTION), photo) for name in args.models]
    panels = [("bicubic", scored[0].bicubic, scored[0].bicubic_score)]
    panels += [(name, result.output, result.score) for name, result in zip(args.models, scored)]
    tiles = [(f"{name}\n{psnr:.2f} dB / {ssim:.3f}", np.asarray(out)) for name, out, (psnr, ssim) in panels]
    hr = np.asarray(scored[0].original)
    tiles.append((f"original\n{args.photo.name}", hr))
    pw, ph = w * args.zoom, h * args.zoom
    sheet = Image.new("RGB", (len(tiles) * (pw + 6) - 6, ph + LABEL_H), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, img) in enumerate(tiles):
        crop = Image.fromarray(np.ascontiguousarray(img[y:y + h, x:x + w])).resize((pw, ph), Image.Resampling.NEAREST)
        sheet.paste(crop, (i * (pw + 6), LABEL_H))
        draw.multiline_text((i * (pw + 6) + 2, 2), label, fill=(20, 20, 20), spacing=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
