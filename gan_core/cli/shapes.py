"""`python -m gan_core shapes train-classifier | score`: the judge of the built-in shapes."""
from __future__ import annotations

import argparse
import sys
import tempfile

import torch

from gan_core.cli.common import command_line

MAX_SCORED = 10_000

EPILOG = """\
examples:
  # how many of a shapes GAN's samples look like a shape, and the real shapes beside it
  python -m gan_core train --data shapes --out runs/shapes
  python -m gan_core shapes score runs/shapes --n 256
  python -m gan_core shapes score --real

  # the judge itself (a few minutes on one CPU thread), written where the app finds it
  python -m gan_core shapes train-classifier --out checkpoints/shapes-classifier --steps 5000 --threads 1
"""


def register(commands) -> None:
    """Add `shapes` and its commands to the subparsers of `python -m gan_core`."""
    p = commands.add_parser("shapes", help="the built-in shapes: score a GAN's samples, train the shape judge",
                            description="The built-in shapes (gan_core.data.shapes): the share of a GAN's "
                                        "samples that a trained judge calls one clean shape, and the training "
                                        "of that judge.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="shapes_command", required=True, metavar="COMMAND")
    s = sub.add_parser("score", help="the share of a GAN's samples that look like a shape",
                       description="Draw --n samples of a GAN checkpoint (any size; resized to 32 px) and count "
                                   "those the judge calls a disc, square, triangle, ring or cross with "
                                   "probability >= 0.9. --real scores real shapes (the GAN's data set) instead "
                                   "or as well, as a reference.")
    s.add_argument("checkpoint", nargs="?", metavar="CHECKPOINT_OR_RUN",
                   help="a GAN: shipped name, checkpoint folder or training run folder")
    s.add_argument("--n", type=int, default=256, help=f"samples to score (256; at most {MAX_SCORED:,})")
    s.add_argument("--seed", type=int, default=0, help="seed of the latents, and of --real's shapes (0: the set "
                   "a shapes GAN trains on)")
    s.add_argument("--real", action="store_true", help="score real shapes drawn by gan_core.data.shapes")
    s.add_argument("--judge", default="shapes-classifier", help="the shape classifier (shapes-classifier)")
    s.set_defaults(run=_score)

    t = sub.add_parser("train-classifier", help="train the shape judge and score it on held-out images",
                       description="A small CNN (gan_core/models/shape_classifier.py) trained on the five shapes "
                                   "(seed 1) and on procedural non-shapes (draw_non_shapes); scored on held-out "
                                   "shapes, non-shapes (seed 2) and noise; weights and a card written to --out.")
    t.add_argument("--out", default="checkpoints/shapes-classifier",
                   help="folder for classifier.safetensors and model_card.json (checkpoints/shapes-classifier)")
    t.add_argument("--steps", type=int, default=5000, help="optimisation steps (5000)")
    t.add_argument("--batch-size", type=int, default=128, help="images a step, half shapes (128)")
    t.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate (3e-3, one-cycle)")
    t.add_argument("--width", type=int, default=16, help="channels of the first layer; x2, x4 below (16)")
    t.add_argument("--seed", type=int, default=0, help="seed of the weights and batches (0)")
    t.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    t.add_argument("--hardware-note", help="words added to the card's hardware line (e.g. shared with other runs)")
    t.add_argument("--dry-run", action="store_true",
                   help="train 2 steps on a little data into a temporary folder, then remove it")
    t.set_defaults(run=_train)


def _score(args, argv: list[str]) -> int:
    import gan_core
    from gan_core.core.hub import GAN, SHAPE_CLASSIFICATION
    from gan_core.data.shapes import draw_shapes
    from gan_core.evaluation.shape_score import shape_share

    if args.checkpoint is None and not args.real:
        raise ValueError("give a GAN checkpoint or run folder to score, or --real for real shapes")
    if not 1 <= args.n <= MAX_SCORED:
        raise ValueError(f"--n must be from 1 to {MAX_SCORED:,}, not {args.n}")
    if args.seed < 0:
        raise ValueError(f"--seed must be 0 or more, not {args.seed}")
    judge = gan_core.load(args.judge, task=SHAPE_CLASSIFICATION)
    if args.real:
        shapes, _ = draw_shapes(args.n, 32, args.seed)
        print(f"real shapes (draw_shapes seed {args.seed}): {shape_share(torch.from_numpy(shapes), judge)}")
    if args.checkpoint is not None:
        pipe = gan_core.load(args.checkpoint, task=GAN)
        images = pipe.decode(pipe.latents(args.n, seed=args.seed))
        print(f"{pipe.name}: {shape_share(images, judge)}")
    return 0


def _train(args, argv: list[str]) -> int:
    from gan_core.training.shape_classifier import save_shape_classifier, train_shape_classifier

    if args.threads:
        if args.threads < 1:
            raise ValueError(f"--threads must be 1 or more, not {args.threads}")
        torch.set_num_threads(args.threads)
    tmp = tempfile.TemporaryDirectory(prefix="gan_core-dry-run-") if args.dry_run else None
    try:
        sizes = {"steps": 2, "train_images": 64, "held_out_images": 22, "eval_every": 1} if tmp else \
            {"steps": args.steps}
        model, report = train_shape_classifier(batch_size=args.batch_size, lr=args.lr, width=args.width,
                                               seed=args.seed, log=lambda message: print(message, file=sys.stderr),
                                               **sizes)
        out = tmp.name if tmp else args.out
        save_shape_classifier(out, model, report, command=command_line(argv), hardware_note=args.hardware_note)
        real, neg = report.metrics["real_shapes"], report.metrics["negatives"]
        print(f"held out: real shapes {real['accuracy']:.1%} right, {real['confident_shape_share']:.1%} counted as "
              f"shapes; negatives {neg['rejection']:.1%} rejected, {neg['confident_shape_share']:.1%} counted as "
              f"shapes; noise {report.metrics['noise']['confident_shape_share']:.1%} counted"
              + ("" if tmp else f"; written to {out}"))
        if tmp:
            print(f"dry run ok: 2 steps of the shape classifier, written to {out} and removed")
    finally:
        if tmp:
            tmp.cleanup()
    return 0
