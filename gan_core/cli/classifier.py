"""`python -m gan_core train-classifier`: the metrics' feature network, a CIFAR-10 classifier."""
from __future__ import annotations

import argparse

from gan_core.cli.common import command_line, data_progress_bar, finish_run

EPILOG = """\
example:
  python -m gan_core train-classifier --data ../shared/data/cifar10/cifar10.tar.gz --epochs 12 \\
      --out runs/cifar10-classifier
  cp -r runs/cifar10-classifier/export checkpoints/cifar10-classifier

The classifier learns the `train` split and is scored on the `test` split every epoch.
`python -m gan_core evaluate` computes the Fréchet distance and KID of 32 px GANs on its
pooled features, and a frog GAN's frog rate from its probabilities.
"""


def register(commands) -> None:
    c = commands.add_parser("train-classifier", help="train the 32 px feature network of the GAN metrics (CIFAR-10)",
                            description="Train a small CIFAR-10 classifier (gan_core.models.image_classifier) on the "
                                        "train split, scored on the test split.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--data", action="append", required=True, metavar="PATH",
                   help="images in folders named by class under train/ and test/ (CIFAR-10's archive)")
    c.add_argument("--epochs", type=float, default=12)
    c.add_argument("--batch-size", type=int, default=128)
    c.add_argument("--lr", type=float, default=0.1, help="the one-cycle schedule's peak (0.1)")
    c.add_argument("--width", type=int, default=32)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", required=True, help="run folder")
    c.add_argument("--name", default="cifar10-classifier")
    c.add_argument("--resume", action="store_true")
    c.set_defaults(run=run)


def labelled(ds, class_names=None):
    """`ds` with labels["class"] and class_names from each image's folder (train/frog/x.jpg: frog)."""
    from dataclasses import replace

    from gan_core.evaluation.probe import class_labels

    labels, names = class_labels(ds.files, class_names)
    return replace(ds, labels={**ds.labels, "class": labels.float()}, class_names=names)


def run(args, argv: list[str]) -> int:
    from tqdm import tqdm

    from gan_core.data.image_set import load_images
    from gan_core.training.image_classifier import ClassifierConfig, train_image_classifier

    if not 0 < args.epochs <= 1000 or not 2 <= args.batch_size <= 4096 or not 0 < args.lr <= 10 \
            or not 1 <= args.width <= 256:
        raise ValueError("--epochs must be in (0, 1000], --batch-size 2-4096, --lr in (0, 10], --width 1-256")
    train_set = labelled(load_images(args.data, 32, split="train", progress=data_progress_bar("training images")))
    test_set = labelled(load_images(args.data, 32, split="test", progress=data_progress_bar("test images")),
                        train_set.class_names)
    cfg = ClassifierConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, width=args.width,
                           seed=args.seed, out=args.out, name=args.name, resume=args.resume,
                           command=command_line(argv))
    bar = tqdm(desc="training", unit="step", dynamic_ncols=True)

    def progress(step, metrics, picture):
        bar.total = metrics.get("total_steps", bar.total)
        bar.update(step - bar.n)
        if "test_accuracy" in metrics:
            bar.write(f"step {step}: test accuracy {metrics['test_accuracy']:.1%}")

    result = train_image_classifier(cfg, train_set, test_set, progress_fn=progress)
    bar.close()
    finish_run(result, None, "the classifier")
    return 0
