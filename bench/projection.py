"""Your photo on a CPU: how long a projection takes and how close it comes, with and without
the latent encoder, side by side in one run.

    python bench/projection.py [--generator faces-dcgan64] [--encoder CHECKPOINT] [--faces 8] [--json out.json]
                               [--figure docs/explore_projection.jpg]

The faces are ones the generator never drew or trained on and that need no ../shared:
`faces-celeb28`'s samples (seed 0), enlarged from 28 to 64 px. A projection that works on
them works on faces from outside the generator's own output. Each setting projects every
face with the Your photo tab's losses (pixels, the face network's feature maps, the
discriminator's features) and reports the median wall time per face on this machine's
threads and two errors of the best reconstruction against its face: pixel MSE on [-1, 1]
(what the tab prints) and the mean squared distance of the face network's feature maps
(what tells one person from another better than pixels). The settings:

    random    the tab without an encoder: RESTARTS random starts, STEPS steps each
    encoder   the encoder's guess alone: one forward pass, no optimisation
    + refine  the encoder's guess, then REFINE steps from it alone (the tab's setting with an
              encoder: 1 restart); the aim is 5 s or less on 2 cores

`--figure` draws, for the first four faces, a row each: the face, the encoder's guess, the
projection after refining, and the projection edited along the generator's attribute
directions (smiling, older, glasses, female / male) at t = 0.7 (of the sliders' +-1).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gan_core  # noqa: E402
from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION, GAN, LATENT_ENCODER  # noqa: E402
from gan_core.core.images import make_grid  # noqa: E402
from gan_core.explore.attributes import SHOWCASE_EDITS, load_directions, showcase_edits  # noqa: E402
from gan_core.explore.projection import project_image  # noqa: E402
from gan_core.pipelines.encoder import encoder_for  # noqa: E402

TARGET_S = 5.0
RESTARTS, STEPS = 6, 200  # the tab's defaults without an encoder
REFINE = 60


def held_out_faces(n: int) -> torch.Tensor:
    """(n, 3, 64, 64) in [-1, 1]: faces-celeb28's seed-0 samples, enlarged to 64 px."""
    small = gan_core.load("faces-celeb28", task=GAN)
    faces = small.decode(small.latents(n, seed=0))
    return F.interpolate(faces, (64, 64), mode="bicubic", align_corners=False).clamp(-1, 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Projection time and error, with and without the latent encoder.")
    parser.add_argument("--generator", default="faces-dcgan64")
    parser.add_argument("--encoder", help="an encoder checkpoint or run folder (default: the shipped one that fits)")
    parser.add_argument("--faces", type=int, default=8)
    parser.add_argument("--refine", type=int, default=REFINE, help=f"steps after the encoder's guess ({REFINE})")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--figure", type=Path, help="a PNG of faces, guesses, projections and edits")
    args = parser.parse_args(argv)

    pipe = gan_core.load(args.generator, task=GAN)
    encoder = gan_core.load(args.encoder, task=LATENT_ENCODER) if args.encoder else encoder_for(pipe)
    if encoder is None or not encoder.fits(pipe):
        raise SystemExit(f"no encoder trained for {args.generator}'s weights: train one (README, Explore)")
    face_net = gan_core.load("face-attributes", task=ATTRIBUTE_CLASSIFICATION).classifier.eval()
    discriminator = gan_core.load_discriminator(args.generator)
    faces = held_out_faces(args.faces)

    def face_distance(a: torch.Tensor, b: torch.Tensor) -> float:
        with torch.no_grad():
            return statistics.mean(F.mse_loss(x, y).item() for x, y in zip(face_net.feature_maps(a),
                                                                          face_net.feature_maps(b)))

    settings = {
        f"random ({RESTARTS} starts x {STEPS} steps)": dict(restarts=RESTARTS, steps=STEPS, encoder=None),
        "encoder (its guess alone)": dict(restarts=1, steps=0, encoder=encoder),
        f"encoder + {args.refine} steps": dict(restarts=1, steps=args.refine, encoder=encoder),
    }
    rows, refined = [], []
    for name, kw in settings.items():
        times, pixel, feature = [], [], []
        for face in faces:
            target = face[None]
            start = time.perf_counter()
            result = project_image(pipe, target, discriminator=discriminator, face_network=face_net,
                                   generator=torch.Generator().manual_seed(0), **kw)
            times.append(time.perf_counter() - start)
            with torch.no_grad():
                recon = pipe.decode(result.latent[None])
            pixel.append(result.error)
            feature.append(face_distance(recon, target))
            if kw["encoder"] is not None and kw["steps"]:
                refined.append(result.latent)
        rows.append({"setting": name, "s": statistics.median(times), "pixel_mse": statistics.mean(pixel),
                     "face_feature_mse": statistics.mean(feature)})
        print(f"{name:34s} {rows[-1]['s']:6.2f} s  pixel MSE {rows[-1]['pixel_mse']:.4f}  "
              f"face-feature MSE {rows[-1]['face_feature_mse']:.4f}", flush=True)
    ours = rows[-1]
    print(f"\n{args.faces} faces of faces-celeb28 (seed 0) enlarged to 64 px, {torch.get_num_threads()} threads; "
          f"aim <= {TARGET_S:.0f} s: {'met' if ours['s'] <= TARGET_S else 'NOT met'} ({ours['s']:.2f} s)")
    out = {"generator": args.generator, "encoder": encoder.name, "faces": args.faces, "rows": rows,
           "threads": torch.get_num_threads()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    if args.figure:
        directions = load_directions(args.generator)
        cells = []
        with torch.no_grad():
            for face, z in zip(faces[:4], refined[:4]):
                guess = encoder(face[None])[0]
                edits = [latent for _, latent in showcase_edits(z, directions)]  # z itself first
                cells += [face, pipe.decode(guess[None])[0], *pipe.decode(torch.stack(edits))]
        grid = make_grid(torch.stack(cells).clamp(-1, 1), nrow=2 + len(edits))
        grid.save(args.figure, quality=92)  # at 1x, JPEG for a .jpg: the repository stays small enough to travel
        print(f"wrote {args.figure}: face, encoder's guess, + {args.refine} steps, then "
              + ", ".join(f"{name} {t:+g}" for name, t, _ in SHOWCASE_EDITS))
    return out


if __name__ == "__main__":
    main()
