"""`python -m gan_core ship`: a trained run's export as a checkpoint folder, sized for a Space."""
from __future__ import annotations

import argparse

EPILOG = """\
examples:
  python -m gan_core ship runs/faces --out checkpoints/faces-dcgan64 --half
  python -m gan_core ship runs/frogs --out checkpoints/cifar10-frogs-keras32 --no-discriminator
  python -m gan_core ship runs/litesr-gan --out checkpoints/photo-litesrgan-x4 --half \
      --blend-with photo-litesr-x4 --alpha 0.7     # ESRGAN's network interpolation

--half stores the weights as float16 (every loader reads them back into float32) and, for a
GAN, writes into the card how much that changes its seed-0 grid. Other files in the folder
(explore.json, directions/) are kept.
"""


def register(commands) -> None:
    s = commands.add_parser("ship", help="copy a run's export into a checkpoint folder (float16, no D if unused)",
                            description="Copy a trained run's export (weights and model card) into a checkpoint "
                                        "folder, optionally as float16 and without the discriminator.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("source", help="a run folder, its export/ or a checkpoint")
    s.add_argument("--out", required=True, help="the checkpoint folder to write (checkpoints/NAME)")
    s.add_argument("--half", action="store_true", help="store floating-point weights as float16")
    s.add_argument("--no-discriminator", action="store_true", help="leave a GAN's discriminator out")
    s.add_argument("--name", help="the name in the card (default: the run's)")
    s.add_argument("--blend-with", metavar="CHECKPOINT",
                   help="network interpolation (ESRGAN): the generator becomes --alpha x this run's weights + "
                        "(1 - alpha) x CHECKPOINT's, the same network (say, a GAN-refined upscaler and the PSNR "
                        "model it started from); the discriminator is left out")
    s.add_argument("--alpha", type=float, default=1.0, help="the run's share in --blend-with (0 to 1)")
    s.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    from pathlib import Path

    from gan_core.pipelines.shipping import ship_checkpoint

    if args.alpha != 1.0 and not args.blend_with:
        raise ValueError("--alpha needs --blend-with")
    card = ship_checkpoint(args.source, args.out, half=args.half, discriminator=not args.no_discriminator,
                           name=args.name, blend_with=args.blend_with, alpha=args.alpha)
    sizes = {f: (Path(args.out) / f).stat().st_size / 1e6 for f in card.get("files", {}).values()}
    print(f"shipped {card.get('name')} to {args.out}: " + ", ".join(f"{f} {mb:.1f} MB" for f, mb in sizes.items()))
    if card.get("storage"):
        print(card["storage"])
    return 0
