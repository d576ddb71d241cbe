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

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gan_core  # noqa: E402
from gan_core.explore.ablation import ablate_units, collect_features, fit_concept_units  # noqa: E402
from gan_core.core.images import make_grid  # noqa: E402


def _marked(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The images greyed and darkened, the concept's pixels in red (still in [-1, 1])."""
    grey = (images.mean(1, keepdim=True) + 1) * 0.6 - 1
    red = torch.tensor([0.8, -0.7, -0.7]).view(1, 3, 1, 1)
    return torch.where(masks.bool().unsqueeze(1), red, grey.expand_as(images))


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
    detector = gan_core.load(args.detector)
    with torch.no_grad():
        z = pipe.latents(args.labelled, seed=0)
        fit = fit_concept_units(collect_features(pipe.generator, args.layer, z), detector(pipe.decode(z)))
        shown = pipe.latents(args.n, seed=10_000)
        before = pipe.decode(shown)
        with ablate_units(pipe.generator, args.layer, fit.positive_units):
            after = pipe.decode(shown)
        rows = [before, after, _marked(before, detector(before)),
                _marked(after, detector(after))]
    sheet = make_grid(torch.cat(rows), nrow=args.n)
    sheet = sheet.resize((sheet.width * args.zoom, sheet.height * args.zoom), Image.Resampling.NEAREST)
    sheet.save(args.out)
    print(f"wrote {args.out}: {len(fit.positive_units)} units of {args.layer} dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
