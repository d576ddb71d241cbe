"""Which training-recipe options pay: the same GAN and budget, one option added at a time, graded.

What is measured
    `gan_core.training.gan.train` on the CIFAR-10 training frogs (5,000 images), the same
    model, width, batch, seed and number of steps for every row, one row after the other in
    this process. Each row's exported generator (the average, where the row keeps one) is
    graded as `python -m gan_core evaluate` grades it: Fréchet distance and KID on the
    shipped cifar10-classifier's features against the training frogs, and the frog rate
    (the share of samples the classifier calls a frog with probability >= 0.9). The header
    rows grade the 1,000 held-out test frogs (the ceiling) the same way.

    paper         the DCGAN paper's recipe
    ema           + the generator's weight average (half-life 10,000 images)
    ema+da        + DiffAugment color, translation, cutout before D ("modern")
    ...+hinge     + the hinge loss
    ...+sn        + spectral normalisation in D
    ...+r1        + R1 (gamma 0.1, every 16 steps)
    ...+ttur      + two time-scale learning rates (G 1e-4, D 4e-4)

Rows are at equal steps; what each option costs in img/s is `bench/recipe_cost.py`'s, and
the table repeats each row's img/s and minutes. Run it on a quiet machine for the times.

    python bench/recipe_ablation.py [--model dcgan32] [--width 0.5] [--batch-size 64] [--steps 3000]
        [--threads 1] [-n 1000] [--rows paper ema ...] [--out runs/recipe_ablation] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

import gan_core  # noqa: E402
from gan_core.core.hardware import describe  # noqa: E402
from gan_core.data.image_set import load_images  # noqa: E402
from gan_core.evaluation.feature_metrics import evaluate_features, feature_network  # noqa: E402
from gan_core.training.gan import TrainConfig, train  # noqa: E402

DA = ["color", "translation", "cutout"]
ROWS = {
    "paper": {},
    "ema": {"ema_images": 10_000},
    "ema+da": {"ema_images": 10_000, "augment": DA},
    "ema+da+hinge": {"ema_images": 10_000, "augment": DA, "loss": "hinge"},
    "ema+da+sn": {"ema_images": 10_000, "augment": DA, "spectral_norm": True},
    "ema+da+r1": {"ema_images": 10_000, "augment": DA, "r1": 0.1},
    "ema+da+ttur": {"ema_images": 10_000, "augment": DA, "lr_g": 1e-4, "lr_d": 4e-4},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/cifar10/cifar10.tar.gz"))
    parser.add_argument("--model", default="dcgan32")
    parser.add_argument("--width", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("-n", type=int, default=1000, help="images per graded row (1000: all test frogs)")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--out", default="runs/recipe_ablation",
                        help="run folders, one per row, and each row's seed-0 grid (ROW.png); a row whose run is "
                             "there already is graded, not trained again")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    frogs = load_images([args.data], 32, classes=["frog"], split="train")
    held = load_images([args.data], 32, classes=["frog"], split="test")
    out_root = Path(args.out)
    results = {}
    # All rows train first, then all are graded: the grading network is loaded once, at the end.
    for name in args.rows:
        out = out_root / name
        if (out / "export" / "model_card.json").exists():
            continue  # trained by an earlier call: graded again below
        config = TrainConfig(model=args.model, width=args.width, data=[args.data], classes=["frog"], split="train",
                             batch_size=args.batch_size, steps=args.steps, sample_every=10**6,
                             checkpoint_every=10**6, log_every=100, out=str(out), device="cpu", **ROWS[name])
        train(config, dataset=frogs)
        print("trained", name, flush=True)
    net = feature_network("cifar10")
    for name in args.rows:
        pipe = gan_core.load(out_root / name)
        card = pipe.card
        report = evaluate_features(pipe, frogs.images, held.images, net, n=args.n, cls="frog",
                                   held_out_label="test frogs")
        minutes = card["training"]["wall_time_s"] / 60
        results[name] = {"minutes": round(minutes, 2), "img_per_s": round(args.steps * args.batch_size /
                                                                          (minutes * 60), 1),
                         "d_x": round(card["metrics"].get("d_x", float("nan")), 3), **report["rows"]}
        pipe.grid(64, seed=0).save(out_root / f"{name}.png")  # the seed-0 grid beside the figures
        print(name, json.dumps(results[name]), flush=True)

    ceiling = next(iter(results.values()))["test frogs"]
    print(f"\n{args.model} at width {args.width:g}, batch {args.batch_size}, {args.steps} steps on 5,000 CIFAR-10 "
          f"training frogs, {args.threads} thread(s), {describe(torch.device('cpu'))}; graded on n = {args.n}\n")
    print("| recipe | FD | KID x1000 | frog rate | D(x) | img/s | minutes |\n|---|---:|---:|---:|---:|---:|---:|")
    print(f"| test frogs (ceiling) | {ceiling['fd']:.2f} | {ceiling['kid_x1000']:.2f} | "
          f"{ceiling['class_share']:.1%} | | | |")
    for name, r in results.items():
        g = r["generated"]
        print(f"| {name} | {g['fd']:.2f} | {g['kid_x1000']:.2f} | {g['class_share']:.1%} | {r['d_x']:.2f} | "
              f"{r['img_per_s']:,.0f} | {r['minutes']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, indent=1))


if __name__ == "__main__":
    main()
