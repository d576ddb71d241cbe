"""`python -m gan_core facades pack | detector`: the CMP facades behind "forgetting to draw windows"."""
from __future__ import annotations

import argparse
import sys

import torch

from gan_core.cli.common import command_line
from gan_core.data.facades import SPLITS, crop_set

EPILOG = """\
examples:
  # every facade, 8 crops each (the first the whole facade), 64 px: data for a facade GAN
  python -m gan_core facades pack --data ../shared/data/facades --size 64 --crops 8 --split all \\
      --out data_pack/facades64.zip
  python -m gan_core train --model dcgan64 --data data_pack/facades64.zip --flip --out runs/facades

  # the window detector, trained on the train split, scored on the held-out facades
  python -m gan_core facades detector --data ../shared/data/facades --out checkpoints/window-detector \\
      --steps 2500 --threads 1
"""


def register(commands) -> None:
    """Add `facades` and its commands to the subparsers of `python -m gan_core`."""
    p = commands.add_parser("facades", help="CMP facades: pack crops for a facade GAN, train the window detector",
                            description="CMP facades: packed crops for a facade GAN, and a "
                                        "window detector trained on the label maps.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="facades_command", required=True, metavar="COMMAND")
    k = sub.add_parser("pack", help="write facade crops as a .zip of JPEGs for `gan_core train --data`",
                       description="Random square crops of the facade photos (the first of each the whole "
                                   "photo), resized by area averaging, written with data.pack_images.")
    k.add_argument("--data", required=True, metavar="FOLDER", help="folder with photos/ and labels/")
    k.add_argument("--size", type=int, default=64, help="crop size in pixels (64)")
    k.add_argument("--crops", type=int, default=8, metavar="K", help="crops per photo, the first the whole photo (8)")
    k.add_argument("--split", choices=SPLITS, default="all",
                   help="train, held-out or all (default; a GAN may see every facade)")
    k.add_argument("--seed", type=int, default=0, help="seed of the crop boxes (0)")
    k.add_argument("--quality", type=int, default=92, help="JPEG quality (92)")
    k.add_argument("--out", required=True, help="the .zip to write")
    k.set_defaults(run=_pack)

    d = sub.add_parser("detector", help="train the window detector and score it on the held-out facades",
                       description="A tiny U-Net (gan_core/pipelines/detector.py) trained on random crops of the "
                                   "train split's facades; window IoU on the held-out facades, each resized "
                                   "whole to 64 px; weights and a card written to --out.")
    d.add_argument("--data", required=True, metavar="FOLDER", help="folder with photos/ and labels/")
    d.add_argument("--out", required=True, help="folder for detector.safetensors and model_card.json")
    d.add_argument("--steps", type=int, default=2500, help="optimisation steps (2500)")
    d.add_argument("--batch-size", type=int, default=16, help="crops a step (16)")
    d.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (2e-3, cosine decay to 0)")
    d.add_argument("--width", type=int, default=16, help="channels of the first level; x2, x4 below (16)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; on a CPU shared with "
                   "other jobs, 1 can be several times faster than 2)")
    d.add_argument("--hardware-note", help="words added to the card's hardware line (e.g. shared with other runs)")
    d.set_defaults(run=_detector)


def _pack(args, argv: list[str]) -> int:
    from gan_core.data.image_set import pack_images

    if args.size < 8 or args.crops < 1:
        raise ValueError("--size must be at least 8 and --crops at least 1")
    ds = crop_set(args.data, args.size, args.crops, args.split, args.seed)
    path = pack_images(ds, args.out, quality=args.quality)
    print(f"wrote {len(ds)} images ({path.stat().st_size / 2**20:.1f} MB) to {path}: {ds.description}")
    return 0


def _detector(args, argv: list[str]) -> int:
    from gan_core.training.detector import save_detector, train_window_detector

    if args.threads:
        torch.set_num_threads(args.threads)
    detector, report = train_window_detector(args.data, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                                             width=args.width, seed=args.seed,
                                             log=lambda message: print(message, file=sys.stderr))
    save_detector(args.out, detector, report, command=command_line(argv), hardware_note=args.hardware_note)
    print(f"held-out window IoU {report.metrics['held_out_iou']:.3f} (every pixel called window: "
          f"{report.metrics['all_window_iou']:.3f}); written to {args.out}")
    return 0
