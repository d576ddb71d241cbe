"""`python -m gan_core sample`: render images from a trained generator."""
from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
examples:
  python -m gan_core sample faces-dcgan64 --seed 7 -n 64 -o faces.png
  python -m gan_core sample runs/faces --separate -n 8 -o out/
"""


def register(commands) -> None:
    """Add `sample` to the subparsers of `python -m gan_core`."""
    s = commands.add_parser("sample", help="render images from a trained generator",
                            description="Render a grid (or single images) from a shipped name or a checkpoint folder.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("checkpoint", help="shipped name (see `info`) or checkpoint/run folder")
    s.add_argument("-n", "--num-images", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--nrow", type=int, help="images per row (default: square)")
    s.add_argument("-o", "--output", default="samples.png", help="PNG file, or a folder with --separate")
    s.add_argument("--separate", action="store_true", help="write one PNG per image into the --output folder")
    s.add_argument("--device", default="cpu")
    s.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    import gan_core
    from gan_core.core.hub import GAN

    pipe = gan_core.load(args.checkpoint, device=args.device, task=GAN)
    if args.num_images < 1 or args.num_images > 4096:
        raise ValueError("--num-images must be between 1 and 4096")
    if args.separate:
        folder = Path(args.output)
        folder.mkdir(parents=True, exist_ok=True)
        for k, img in enumerate(pipe(args.num_images, seed=args.seed)):
            img.save(folder / f"{pipe.name}_seed{args.seed}_{k:04d}.png")
        print(f"wrote {args.num_images} images to {folder}")
    else:
        pipe.grid(args.num_images, seed=args.seed, nrow=args.nrow).save(args.output)
        print(f"wrote {args.output}")
    return 0
