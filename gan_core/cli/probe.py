"""`python -m gan_core probe`: the discriminator as a feature extractor, a linear probe on CIFAR-10."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gan_core.cli.common import command_line

EPILOG = """\
examples:
  # the shipped CIFAR-10 DCGAN, all 50,000 training and 10,000 test images (4 minutes on a 2-core CPU)
  python -m gan_core probe cifar10-dcgan32 --data ../shared/data/cifar10/cifar10.tar.gz \\
      --out probe.json --write-card

  # a quick look: 5,000 training images, no baseline
  python -m gan_core probe runs/cifar10 --data ../shared/data/cifar10/cifar10.tar.gz --max-train 5000 --no-baseline
"""


def register(commands) -> None:
    """Add `probe` to the subparsers of `python -m gan_core`."""
    from gan_core.evaluation.probe import L2_GRID, PROBE_CONFUSION_FILE, VALIDATION_IMAGES

    r = commands.add_parser("probe", help="the discriminator as a feature extractor: a linear probe on CIFAR-10",
                            description="DCGAN section 5: every discriminator block's activations, max-pooled to a "
                                        "4x4 grid and concatenated, standardised, and an L2-regularised linear "
                                        "classifier on top; the strength is chosen on held-out training images, "
                                        "then the classifier is refitted on all of them and scored on the test "
                                        "split. The same pipeline on the discriminator's untrained starting weights "
                                        "is the baseline. Prints a table; see gan_core/evaluation/probe.py.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("checkpoint", help="shipped name or checkpoint/run folder (its discriminator is probed)")
    r.add_argument("--data", action="append", metavar="PATH", required=True,
                   help="class-folder images with train and test folders (CIFAR-10: train/<class>/*.jpg)")
    r.add_argument("--train-split", default="train", metavar="NAME", help="folder of the training images (train)")
    r.add_argument("--test-split", default="test", metavar="NAME", help="folder of the test images (test)")
    r.add_argument("--max-train", type=int, metavar="N", help="use N training images drawn at random (default all)")
    r.add_argument("--max-test", type=int, metavar="N", help="use N test images drawn at random (default all)")
    r.add_argument("--validation", type=int, default=VALIDATION_IMAGES, metavar="N",
                   help=f"training images held out to choose the L2 strength ({VALIDATION_IMAGES:,}; at most a fifth)")
    r.add_argument("--l2", type=float, nargs="+", default=list(L2_GRID), metavar="L2",
                   help=f"L2 strengths to try ({' '.join(f'{v:g}' for v in L2_GRID)}); one value skips the choice")
    r.add_argument("--no-baseline", action="store_true", help="skip the untrained-weights baseline (half the time)")
    r.add_argument("--seed", type=int, default=0, help="seed of the subsamples and the validation split (0)")
    r.add_argument("--out", metavar="JSON", help="write the results as JSON")
    r.add_argument("--confusion", metavar="PNG",
                   help="write the test confusion matrix as a picture (default: beside --out, *_confusion.png)")
    r.add_argument("--write-card", action="store_true",
                   help=f"store the results under metrics.probe in the model card, and the confusion matrix as "
                        f"{PROBE_CONFUSION_FILE} beside it (what the app's Learn tab shows)")
    r.add_argument("--device", default="cpu", help="where the discriminator runs (cpu, cuda)")
    r.add_argument("--cache-dir", help="where preprocessed images are cached (default ~/.cache/gan_core)")
    r.add_argument("--dry-run", action="store_true",
                   help="200 training and 100 test images, one strength, a short fit: checks the set-up, writes nothing")
    r.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    from gan_core.core.checkpoints import CARD_FILE, write_json
    from gan_core.core.hub import open_checkpoint
    from gan_core.evaluation.probe import PROBE_CONFUSION_FILE, confusion_image, run_probe

    for name in ("max_train", "max_test", "validation"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "validation" else 1):
            raise ValueError(f"--{name.replace('_', '-')} must be a positive number, not {value}")
    if any(not (v > 0) for v in args.l2):
        raise ValueError("--l2 strengths must be positive")
    options = dict(max_train=args.max_train, max_test=args.max_test, validation=args.validation, l2_grid=args.l2)
    if args.dry_run:
        options = dict(max_train=200, max_test=100, validation=0, l2_grid=args.l2[:1], epochs=2)
    result = run_probe(args.checkpoint, args.data, train_split=args.train_split, test_split=args.test_split,
                       baseline=not args.no_baseline, seed=args.seed, device=args.device, cache_dir=args.cache_dir,
                       log=lambda message: print(message, file=sys.stderr), **options)
    print(result.table())
    if args.dry_run:
        print("dry run ok: nothing written")
        return 0
    folder, card = open_checkpoint(args.checkpoint)
    record = {**result.to_dict(), "command": command_line(argv)}
    picture = confusion_image(result.trained.confusion, result.class_names,
                              title=f"{result.checkpoint}: test accuracy {100 * result.trained.test_accuracy:.1f} %")
    confusion = args.confusion or (str(Path(args.out).with_suffix("")) + "_confusion.png" if args.out else None)
    if args.out:
        write_json(args.out, record)
        print(f"wrote {args.out}")
    if confusion:
        Path(confusion).parent.mkdir(parents=True, exist_ok=True)
        picture.save(confusion)
        print(f"wrote {confusion}")
    if args.write_card:
        card.setdefault("metrics", {})["probe"] = record
        write_json(folder / CARD_FILE, card)
        picture.save(folder / PROBE_CONFUSION_FILE)
        print(f"written to {folder / CARD_FILE} and {folder / PROBE_CONFUSION_FILE}")
    return 0
