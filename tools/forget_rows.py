"""Rows of unseen samples before and after forgetting a concept, for the README.

    python tools/forget_rows.py --generator facades-dcgan64 --detector window-detector --layer main.5 \
        --out docs/forget_windows.png

As `python -m gan_core forget` does: the detector labels samples of seeds 0.. (150), the
layer's units are fitted, and every unit with a positive weight is dropped; the rows show
samples the fit never saw (seeds 10000..): on top as drawn, below with the units zeroed,
and under them the detector's window pixels before and after, in red.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gan_core  # noqa: E402
from gan_core.ablation import ablate_units, collect_features, fit_concept_units  # noqa: E402
from gan_core.segmentation import detect_windows, load_detector  # noqa: E402


def _row(images: torch.Tensor, masks: torch.Tensor | None = None) -> np.ndarray:
    x = ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    if masks is not None:  # the image greyed, the concept in red
        grey = x.mean(-1, keepdims=True).repeat(3, -1) * 0.6
        red = np.array([230, 40, 40], dtype=np.float32)
        x = np.where(masks.bool().numpy()[..., None], red, grey).astype(np.uint8)
    gap = np.full((x.shape[1], 2, 3), 255, np.uint8)
    return np.concatenate([p for img in x for p in (img, gap)][:-1], 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--generator", default="facades-dcgan64")
    p.add_argument("--detector", default="window-detector")
    p.add_argument("--layer", default="main.5")
    p.add_argument("--labelled", type=int, default=150)
    p.add_argument("-n", type=int, default=8, help="samples to show (seeds 10000..)")
    p.add_argument("--zoom", type=int, default=2)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)

    pipe = gan_core.load(args.generator)
    detector = load_detector(args.detector)
    with torch.no_grad():
        z = pipe.latents(args.labelled, seed=0)
        fit = fit_concept_units(collect_features(pipe.generator, args.layer, z), detect_windows(detector, pipe.decode(z)))
        shown = pipe.latents(args.n, seed=10_000)
        before = pipe.decode(shown)
        with ablate_units(pipe.generator, args.layer, fit.positive_units):
            after = pipe.decode(shown)
        rows = [_row(before), _row(after), _row(before, detect_windows(detector, before)),
                _row(after, detect_windows(detector, after))]
    gap = np.full((2, rows[0].shape[1], 3), 255, np.uint8)
    sheet = Image.fromarray(np.concatenate([r for row in rows for r in (row, gap)][:-1], 0))
    sheet = sheet.resize((sheet.width * args.zoom, sheet.height * args.zoom), Image.Resampling.NEAREST)
    sheet.save(args.out)
    print(f"wrote {args.out}: {len(fit.positive_units)} units of {args.layer} dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
