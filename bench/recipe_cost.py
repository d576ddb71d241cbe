"""What each training-recipe option costs in speed: images per second, side by side.

What is measured
    The GAN loop (`gan_core.training.gan.train`) on the same model, width, batch and data,
    once per row, one after the other in this one process: the plain paper recipe, then
    with each option the trainer offers on top of it. The figure is the `img_per_s` the
    loop reports over the steps after the warm-up; the ratio is against the plain row.

    plain         the paper's step (D on real, D on fake, G through D)
    ema           + the generator's weight average (--ema-images): one lerp per weight a step
    diffaugment   + DiffAugment color, translation, cutout on every image D sees (--augment)
    both          + both
    hinge         the hinge loss in place of the cross-entropy (--loss hinge)
    spectral norm + spectral normalisation of D's weights (--spectral-norm): a power iteration per layer
    r1            + the R1 penalty every 16 steps (--r1): a second derivative through D

What is not measured
    Whether an option pays in quality: that is what `bench/classroom_run.py` and the
    evaluation commands are for.

    python bench/recipe_cost.py [--model dcgan32] [--width 0.5] [--batch-size 32] [--steps 200]
        [--warmup 20] [--threads 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

from gan_core.core.hardware import describe  # noqa: E402
from gan_core.data.image_set import make_shapes  # noqa: E402
from gan_core.training.augment import POLICIES  # noqa: E402
from gan_core.training.gan import TrainConfig, train  # noqa: E402

ROWS = {"plain": {}, "ema": {"ema_images": 5000}, "diffaugment": {"augment": list(POLICIES)},
        "both": {"ema_images": 5000, "augment": list(POLICIES)}, "hinge": {"loss": "hinge"},
        "spectral norm": {"spectral_norm": True}, "r1": {"r1": 0.1}}


def images_per_second(config: TrainConfig, dataset, warmup: int) -> float:
    """The loop's img/s over the steps after `warmup`: it logs the rate of each interval of
    `log_every` steps, and over equal intervals the overall rate is their harmonic mean."""
    seen = []
    train(config, progress_fn=lambda step, metrics, picture: seen.append(metrics), dataset=dataset)
    rates = [m["img_per_s"] for m in seen if m.get("step", 0) > warmup and "img_per_s" in m]
    return len(rates) / sum(1 / r for r in rates)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="dcgan32")
    parser.add_argument("--width", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=200, help="measured steps per row (200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured steps first (20)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    if args.steps % args.warmup:
        raise SystemExit("--steps must be a multiple of --warmup (the loop logs every --warmup steps)")
    dataset = make_shapes(2000, 32, 0)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, options in ROWS.items():
            # The loop logs every `warmup` steps: the first interval is the warm-up, the rest are measured.
            config = TrainConfig(model=args.model, width=args.width, data=["shapes"], batch_size=args.batch_size,
                                 steps=args.warmup + args.steps, log_every=args.warmup, sample_every=10**6,
                                 checkpoint_every=10**6, out=str(Path(tmp) / name), device="cpu", **options)
            results[name] = images_per_second(config, dataset, args.warmup)

    base = results["plain"]
    print(f"\n{args.model} at width {args.width:g}, batch {args.batch_size}, {args.steps} steps after "
          f"{args.warmup}, {args.threads} threads, {describe(torch.device('cpu'))}\n")
    print("| recipe | img/s | ratio vs plain |\n|---|---:|---:|")
    for name, ips in results.items():
        print(f"| {name} | {ips:,.0f} | {ips / base:.2f}x |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "img_per_s": results}, indent=1))


if __name__ == "__main__":
    main()
