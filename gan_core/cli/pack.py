"""`python -m gan_core pack`: a data set as a small .zip of framed JPEGs that travels."""
from __future__ import annotations

import argparse

EPILOG = """\
example:
  python -m gan_core pack --size 64 --out data_pack/faces64.zip \\
      --data ../shared/data/faces/celeba/img_align_celeba --data ../shared/data/faces/utkface
"""


def register(commands) -> None:
    """Add `pack` to the subparsers of `python -m gan_core`."""
    k = commands.add_parser("pack", help="write a data set as a small .zip of framed JPEGs that travels",
                            description="Frame and resize images as `train` would, and write them as one .zip of JPEGs or WebPs "
                                        "(labels kept) that `--data` reads back without framing them again.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("--data", action="append", metavar="PATH", required=True)
    k.add_argument("--size", type=int, required=True, help="image size in pixels (the model's)")
    k.add_argument("--classes", nargs="+", metavar="NAME")
    k.add_argument("--split", metavar="NAME")
    k.add_argument("--framing", choices=["auto", "face", "center"], default="auto")
    k.add_argument("--format", choices=["jpeg", "webp"], default="jpeg", dest="image_format",
                   help="jpeg keeps the file names; webp (renamed .webp) is about half the size at 64 px and less")
    k.add_argument("--quality", type=int, default=92, help="JPEG or WebP quality (92)")
    k.add_argument("--out", required=True, help="the .zip to write")
    k.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    from gan_core.data.image_set import load_images, pack_images

    ds = load_images(args.data, args.size, classes=args.classes, split=args.split, framing=args.framing)
    path = pack_images(ds, args.out, quality=args.quality, image_format=args.image_format)
    print(f"wrote {len(ds)} images ({path.stat().st_size / 2**20:.1f} MB) to {path}")
    return 0
