"""`python -m gan_core evaluate`: sample-quality measures of a generator against real images."""
from __future__ import annotations

import argparse
import json

EPILOG = """\
example:
  python -m gan_core evaluate checkpoints/faces-dcgan64 --write-card \\
      --data ../shared/data/faces/celeba/img_align_celeba --data ../shared/data/faces/utkface
"""


def register(commands) -> None:
    """Add `evaluate` to the subparsers of `python -m gan_core`."""
    e = commands.add_parser("evaluate", help="measure a generator against real images (diversity, novelty, SWD)",
                            description="Sample-quality measures computed from pixels (no downloaded network): "
                                        "diversity ratio (mode collapse), nearest-neighbour ratio (copying) and "
                                        "sliced Wasserstein distance. See gan_core/evaluation/gan_metrics.py.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("checkpoint", help="shipped name or checkpoint/run folder")
    e.add_argument("--data", action="append", metavar="PATH", help="real images (default: the card's data sources)")
    e.add_argument("--classes", nargs="+", metavar="NAME")
    e.add_argument("--split", metavar="NAME")
    e.add_argument("-n", type=int, default=1000, help="generated and real images compared (1000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--write-card", action="store_true", help="store the result under metrics.evaluation in the model card")
    e.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    import gan_core
    from gan_core.core.hub import GAN
    from gan_core.core.checkpoints import CARD_FILE, write_json
    from gan_core.data.image_set import load_images
    from gan_core.evaluation.gan_metrics import evaluate_generator

    pipe = gan_core.load(args.checkpoint, task=GAN)
    card_data = pipe.card.get("data", {})
    sources = args.data or card_data.get("sources")
    if not sources:
        raise ValueError("--data is required: the card names no data sources")
    ds = load_images(sources, pipe.spec.image_size, classes=args.classes or card_data.get("classes_filter"),
                     split=args.split or card_data.get("split"), framing=card_data.get("framing", "auto"))
    result = evaluate_generator(pipe, ds.images, n=args.n, seed=args.seed)
    result["data"] = ds.description
    print(json.dumps(result, indent=2))
    if args.write_card:
        pipe.card.setdefault("metrics", {})["evaluation"] = result
        write_json(pipe.path / CARD_FILE, pipe.card)
        print(f"written to {pipe.path / CARD_FILE}")
    return 0
