"""`python -m gan_core evaluate`: how close a generator's samples are to real images, graded."""
from __future__ import annotations

import argparse
import json

EPILOG = """\
examples:
  python -m gan_core evaluate faces-dcgan64            # the card's data; faces get the face features
  python -m gan_core evaluate cifar10-frogs-keras32 --write-card
  python -m gan_core evaluate runs/frogs --features cifar10 -n 1000

Rows: the generator's samples, held-out real images (the calibration: what a perfect
generator would score) and an untrained generator of the same network (the floor),
each against the same real training images. FD is the Fréchet distance and KID the
kernel distance (x1000) on the features of a network trained here (face-attributes for
faces, cifar10-classifier otherwise): NOT comparable to published FID/KID. For the
32 px sets, the class share is the share of images the CIFAR-10 classifier calls the
model's class (a frog GAN's frog rate) with probability >= 0.9.
"""


def register(commands) -> None:
    """Add `evaluate` to the subparsers of `python -m gan_core`."""
    from gan_core.evaluation.feature_metrics import FEATURE_NETWORKS

    e = commands.add_parser("evaluate", help="grade a generator against real images (Fréchet distance, KID)",
                            description="Fréchet distance and KID of a generator's samples on the features of a "
                                        "network trained here, beside a real-vs-real calibration row and an "
                                        "untrained generator; the class share for 32 px sets; and the "
                                        "nearest-neighbour ratio in pixels (copying). See "
                                        "gan_core/evaluation/feature_metrics.py.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("checkpoint", help="shipped name or checkpoint/run folder")
    e.add_argument("--data", action="append", metavar="PATH", help="real images (default: the card's data sources)")
    e.add_argument("--classes", nargs="+", metavar="NAME")
    e.add_argument("--split", metavar="NAME")
    e.add_argument("--features", choices=sorted(FEATURE_NETWORKS),
                   help="the feature network (default: faces for a face GAN, else cifar10)")
    e.add_argument("-n", type=int, default=2000, help="images per row, at most the held-out images (2000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--last-step", action="store_true",
                   help="grade a run's last-step generator (from its state.safetensors) instead of the weight "
                        "average it exports: the same run without the average, for an ablation")
    e.add_argument("--write-card", action="store_true", help="store the result under metrics.evaluation in the model card")
    e.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    import torch

    import gan_core
    from gan_core.cli.common import command_line
    from gan_core.core.checkpoints import CARD_FILE, write_json
    from gan_core.core.errors import DataError
    from gan_core.core.hub import GAN
    from gan_core.core.images import from_uint8
    from gan_core.data.image_set import load_images
    from gan_core.evaluation.feature_metrics import evaluate_features, feature_network, network_for
    from gan_core.evaluation.gan_metrics import nearest_distance
    from gan_core.pipelines.generator import GeneratorPipeline
    from gan_core.training.gan import initial_seed

    if not 10 <= args.n <= 50_000:
        raise ValueError(f"-n must be from 10 to 50,000, not {args.n}")
    pipe = gan_core.load(args.checkpoint, task=GAN)
    if args.last_step:
        if args.write_card:
            raise ValueError("--last-step grades a generator the card does not describe: leave out --write-card")
        last_step_generator(pipe, args.checkpoint)
    card_data = pipe.card.get("data", {})
    sources = args.data or card_data.get("sources")
    if not sources:
        raise ValueError("--data is required: the card names no data sources")
    classes = args.classes or card_data.get("classes_filter")
    split = args.split or card_data.get("split")
    framing = card_data.get("framing", "auto")
    size = pipe.spec.image_size
    train = load_images(sources, size, classes=classes, split=split, framing=framing)
    # Held out: the test split of a set trained on its train split (CIFAR-10); otherwise the
    # training images are cut in two disjoint halves, one the reference and one the calibration.
    held, label = None, "held-out real images (test split)"
    if split == "train":
        try:
            held = load_images(sources, size, classes=classes, split="test", framing=framing).images
        except DataError:  # no test split: the halves below
            held = None
    images = train.images
    if held is None:
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(args.seed + 1))
        half = len(images) // 2
        images, held = images[order[:half]], images[order[half:]]
        label = "real training images (a disjoint half)"
    net = feature_network(args.features or network_for(pipe.card))
    cls = classes[0] if net.classes and classes and len(classes) == 1 and classes[0] in net.classes else None
    torch.manual_seed(initial_seed(pipe.card.get("training", {})))
    untrained = GeneratorPipeline(pipe.spec.build_generator(), pipe.spec)
    # The class share means something only for images of the classifier's own set (CIFAR-10).
    of_its_classes = any("cifar" in str(source).lower() for source in sources)
    n = min(args.n, len(held), len(images))
    fake = pipe.decode(pipe.latents(n, seed=args.seed))  # drawn once: graded, then checked for copying
    result = evaluate_features(pipe, images, held, net, n=n, seed=args.seed, held_out_label=label, cls=cls,
                               untrained=untrained, classes=of_its_classes, generated=fake)
    # Copying, in pixels: distance to the nearest training image, generated vs held-out (1 = as novel).
    ref = from_uint8(images[:4 * result["n"]])
    result["nn_ratio"] = round(nearest_distance(fake, ref) / nearest_distance(from_uint8(held[:result["n"]]), ref), 3)
    result["generator"] = "last step" if args.last_step else "exported"
    result["data"] = train.description
    result["command"] = command_line(argv)
    print(format_report(result))
    if args.write_card:
        pipe.card.setdefault("metrics", {})["evaluation"] = result
        write_json(pipe.path / CARD_FILE, pipe.card)
        print(f"written to {pipe.path / CARD_FILE}")
    else:
        print(json.dumps(result, indent=2))
    return 0


def last_step_generator(pipe, run: str) -> None:
    """Load the last-step generator of the run folder `run` (its state's G, not the average)
    into `pipe`."""
    from pathlib import Path

    from gan_core.core.checkpoints import STATE_FILE, read_tensors

    state = Path(run) / STATE_FILE
    if not state.is_file():
        raise ValueError(f"--last-step needs a run folder with its {STATE_FILE}; {run} has none")
    tensors, _ = read_tensors(state)
    if not any(k.startswith("G_ema.") for k in tensors):
        raise ValueError(f"{run} kept no weight average: its export is already the last-step generator")
    weights = {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
    pipe.generator.load_state_dict(weights)
    pipe.generator.eval()


def format_report(result: dict) -> str:
    """The rows as a Markdown table with the note under it."""
    share = "class_share" in next(iter(result["rows"].values()))
    lines = [f"{result['features']} features ({result['feature_checkpoint']}), n = {result['n']}, seed "
             f"{result['seed']}, against {result['n']} training images",
             "", "| images | FD | KID x1000 |" + (" class share |" if share else ""),
             "|---|---:|---:|" + ("---:|" if share else "")]
    for name, row in result["rows"].items():
        lines.append(f"| {name} | {row['fd']:.3f} | {row['kid_x1000']:.2f} ± {row['kid_std_x1000']:.2f} |"
                     + (f" {row['class_share']:.1%} |" if share else ""))
    lines += ["", f"nearest-neighbour ratio (pixels; < 1 means closer to the training images than new real "
                  f"ones are, copying): {result['nn_ratio']:.3f}", result["note"]]
    if share:
        lines.append("class share: " + result["class_share"])
    return "\n".join(lines)
