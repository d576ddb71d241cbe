"""`python -m gan_core evaluate-sr`: PSNR / SSIM of x4 super-resolution on benchmark sets."""
from __future__ import annotations

import argparse

from gan_core.cli.common import command_line

EPILOG = """\
examples:
  # the table of the README: bicubic, the shipped models and the SRGAN paper's figures
  python -m gan_core evaluate-sr photo-litesr-x4 photo-litesrgan-x4 --sets Set5 BSD68

  # bicubic alone; write the figures as JSON
  python -m gan_core evaluate-sr --sets Set5 --json set5.json

  # a run folder, its figures stored in its model card under metrics.evaluation
  python -m gan_core evaluate-sr runs/photo-srresnet-x4 --write-card

  # any folder of HR images is a set
  python -m gan_core evaluate-sr photo-litesr-x4 --sets ~/pictures/test-set

Convention (SRCNN onwards, the SRGAN paper's tables): each HR image is cropped to a
multiple of 4, shrunk x4 with PIL bicubic (antialiased) to make the LR input; the x4
result is compared with the HR image on Y (BT.601, as MATLAB rgb2ycbcr) after shaving
4 pixels off every side: PSNR (peak 255) and SSIM (11x11 Gaussian window, sigma 1.5).
Bicubic here is PIL's; the paper's bicubic figures come from MATLAB (a few tenths of a
dB apart). The paper reports BSD100, not BSD68 (68 of its 100 images): those figures are
shown for orientation only.
"""


def register(commands) -> None:
    """Add `evaluate-sr` to the subparsers of `python -m gan_core`."""
    from gan_core.evaluation.sr_benchmarks import DEFAULT_SETS, KNOWN_SETS

    e = commands.add_parser("evaluate-sr", help="PSNR / SSIM of x4 super-resolution on Set5 and BSD68",
                            description="Measure bicubic and each SR checkpoint on benchmark sets, and print the table "
                                        "next to the SRGAN paper's figures.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("checkpoints", nargs="*", metavar="CHECKPOINT",
                   help="shipped SR names, checkpoint folders or run folders (none: bicubic only)")
    e.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS), metavar="SET",
                   help=f"{' or '.join(KNOWN_SETS)} (from --data-root), or folders of HR images "
                        f"(default: {' '.join(DEFAULT_SETS)})")
    e.add_argument("--data-root", metavar="DIR",
                   help="where CSet5/ and CBSD68/ are (default ../shared/data/sr beside the repository, or "
                        "$GAN_CORE_SR_DATA)")
    e.add_argument("--tile", type=int, default=None, metavar="PX",
                   help="run the network on tiles of PX LR pixels (default: each image whole, one tile)")
    e.add_argument("--json", metavar="FILE", help="write every figure, per image too, as JSON")
    e.add_argument("--write-card", action="store_true",
                   help="store each checkpoint's figures under metrics.evaluation in its model card")
    e.add_argument("--device", default="cpu", help="where the networks run (cpu, cuda)")
    e.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    import sys

    from gan_core.core.checkpoints import CARD_FILE, write_json
    from gan_core.evaluation.sr_benchmarks import card_record, evaluate, format_table, unique_names
    import gan_core
    from gan_core.core.hub import SUPER_RESOLUTION

    upscalers = [gan_core.load(c, device=args.device, task=SUPER_RESOLUTION) for c in args.checkpoints]
    result = evaluate(upscalers, args.sets, data_root=args.data_root, tile=args.tile,
                      log=lambda message: print(message, file=sys.stderr))
    print(format_table(result))
    command = command_line(argv)
    if args.json:
        write_json(args.json, {**result, "command": command})
        print(f"wrote {args.json}")
    if args.write_card:
        for name, up in zip(unique_names(upscalers), upscalers):
            card = dict(up.card)
            card.setdefault("metrics", {})["evaluation"] = {**card_record(result, name), "command": command}
            write_json(up.path / CARD_FILE, card)
            print(f"written to {up.path / CARD_FILE}")
    failed = [f"{set_name}/{reason}" for set_name, reasons in result.get("failed", {}).items() for reason in reasons]
    if failed:
        shown = "; ".join(failed[:5]) + (f"; and {len(failed) - 5} more" if len(failed) > 5 else "")
        print(f"error: {len(failed)} file(s) could not be scored and were left out: {shown}", file=sys.stderr)
        return 2
    return 0
