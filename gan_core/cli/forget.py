"""Command line for forgetting a concept: `python -m gan_core forget ...`.

The DCGAN paper's section 6.1 measured: a detector labels `--labelled` samples, a
logistic regression ranks the units of `--layer`, the positive ones (or the top
`--units`) are dropped, and the detector counts the concept on `--measured` other
samples before and after. Errors in the input end with a one-line message, exit 2.
"""
from __future__ import annotations

import argparse
import json

from gan_core.cli.common import command_line

EPILOG = """\
example (the shipped facade generator and window detector):
  python -m gan_core forget --generator facades-dcgan64 --detector window-detector --layer main.8 \\
      --labelled 150 --measured 500 --write-card

  # refit until the windows stop coming back (at most 3 fits), against random units
  python -m gan_core forget --generator facades-dcgan64 --detector window-detector --layer main.5 --rounds 3

Labelled samples are seeds 0.., measured ones seeds 10000.., so the counts are on
samples the fit never saw. The random baseline drops as many units drawn at random
(seeded): a fit that chose well removes more of the concept than they do. `python -m gan_core info GENERATOR` lists nothing about
layers; run without --layer to see them.
"""


def register(commands) -> None:
    """Add `forget` to the subparsers of `python -m gan_core`."""
    p = commands.add_parser("forget", help="make a generator forget a concept (DCGAN 6.1) and measure it",
                            description="Make a generator forget a concept (DCGAN paper, 6.1), "
                                        "and measure how much of it goes and what else changes.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--generator", required=True, help="a GAN checkpoint: shipped name or folder")
    p.add_argument("--detector", required=True, help="a concept detector checkpoint (e.g. window-detector)")
    p.add_argument("--layer", help="the generator layer to fit (without it: list the layers and stop)")
    p.add_argument("--labelled", type=int, default=150, help="samples the detector labels for the fit (150)")
    p.add_argument("--measured", type=int, default=500, help="other samples to count the concept on (500)")
    p.add_argument("--units", type=int, help="drop the top N units (default: all with a positive weight)")
    p.add_argument("--rounds", type=int, default=1,
                   help="refit rounds: label again with the units dropped so far and drop the units that now "
                        "predict the concept too (1: the paper's single fit)")
    p.add_argument("--controls", type=int, default=3,
                   help="also drop as many random units, this many times, as a baseline (3; 0: none)")
    p.add_argument("--json", help="also write the report here")
    p.add_argument("--write-card", action="store_true", help="record the report in the generator's model card")
    p.set_defaults(run=run)


def _fewer(reduction: float) -> str:
    """0.35 -> '35% fewer', -0.12 -> '12% more' (of the concept's pixels)."""
    return f"{reduction:.0%} fewer" if reduction >= 0 else f"{-reduction:.0%} more"


def run(args, argv: list[str]) -> int:
    import gan_core
    from gan_core.explore.ablation import feature_layers, measure_forgetting
    from gan_core.core.checkpoints import CARD_FILE, read_json, write_json
    from gan_core.core.hub import GAN, WINDOW_DETECTION

    if args.labelled < 2 or args.measured < 1 or args.rounds < 1 or args.controls < 0:
        raise ValueError("--labelled must be 2 or more, --measured and --rounds 1 or more, --controls 0 or more")
    pipe = gan_core.load(args.generator, task=GAN)
    layers = feature_layers(pipe.generator, pipe.latents(2, seed=0))
    if not args.layer:
        for name, (c, h, w) in layers:
            print(f"{name:12s} {c:5d} maps of {h}x{w}")
        return 0
    if args.layer not in dict(layers):
        raise ValueError(f"{args.generator} has no layer {args.layer!r}; its layers: "
                         + ", ".join(name for name, _ in layers))
    detector = gan_core.load(args.detector, task=WINDOW_DETECTION)
    report = measure_forgetting(pipe, args.layer, detector,
                                labelled=args.labelled, measured=args.measured, units=args.units,
                                rounds=args.rounds, controls=args.controls)
    print(f"{'layer':28s} {report.layer} ({len(report.units)} of {report.layer_units} units dropped)")
    print(f"{'fit balanced accuracy':28s} {report.fit_accuracy:.3f} on {report.labelled} labelled samples")
    print(f"{'concept pixels before':28s} {report.share_before:.2%}  (over {report.measured} other samples)")
    print(f"{'concept pixels after':28s} {report.share_after:.2%}  ({_fewer(report.reduction)})")
    print(f"{'change off the concept':28s} {report.change_outside:.4f}  (mean |after - before|, pixels in [-1, 1])")
    for r in report.rounds:
        print(f"{'  round ' + str(r['round']):28s} {r['units']} units: {_fewer(r['reduction'])}, change off the concept "
              f"{r['change_outside']:.4f}")
    if report.control:
        c = report.control
        lo, hi = c["reduction_range"]
        spread = f" (draws: {_fewer(lo)} to {_fewer(hi)})" if c["draws"] > 1 else ""
        print(f"{'random units (baseline)':28s} {c['units']} units, {c['draws']} draw{'s' if c['draws'] > 1 else ''}: "
              f"{_fewer(c['reduction'])}{' on average' if c['draws'] > 1 else ''}{spread}, "
              f"change off the concept {c['change_outside']:.4f}")
    record = {**report.as_dict(), "detector": args.detector, "command": command_line(argv)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=2)
    if args.write_card:
        card_path = pipe.path / CARD_FILE
        card = read_json(card_path)
        # One entry per layer and number of units, so a sweep keeps every measurement.
        runs = card.setdefault("metrics", {}).setdefault("forgetting", {})
        if "layer" in runs:  # a single report written by an earlier version: keep it under its own key
            runs = card["metrics"]["forgetting"] = {f"{runs['layer']}, {len(runs.get('units', []))} units": runs}
        rounds = f", {len(report.rounds)} rounds" if len(report.rounds) > 1 else ""
        runs[f"{report.layer}, {len(report.units)} units{rounds}"] = record
        write_json(card_path, card)
        print(f"wrote the report into {card_path}")
    return 0

