"""The Train tab's default run on the built-in shapes: how soon its samples look like shapes.

What is measured
    Each row trains one configuration on the built-in shapes for a fixed wall-clock
    budget, in this one process, one after the other, with the same torch threads.
    Every `--every` steps the loop renders its 64 fixed-noise samples and the shipped
    shapes judge (gan_core.evaluation.shape_score) counts the share it takes for a
    shape. The table gives that share at 1, 2 and 3 minutes and the time to the first
    sample grid with half of its samples taken for shapes.

    classroom     the tab's default (gan_core.training.recipes.CLASSROOM)
    earlier       the tab's default before it: keras-gan32 at 1/4 width, the Keras
                  book's recipe (RMSprop, label noise, gradient clipping), batch 32

What is not measured
    Drawing the shapes (a second or two, before the clock starts) and the time the
    judge itself takes (milliseconds per grid; it runs inside the measured time, as
    it does in the tab).

Why
    A class watches this run live: it should draw recognisable shapes within three
    minutes on the 2-core CPU of a free Hugging Face Space. Rows are measured side by
    side in one run, so compare them with each other rather than across machines, and
    run it on a quiet machine (other load stretches every row alike, but not exactly).

    python bench/classroom_run.py [--minutes 3] [--threads 2] [--every 100] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

from gan_core.core.hardware import describe  # noqa: E402
from gan_core.data.image_set import make_shapes  # noqa: E402
from gan_core.training.gan import SHAPE_SHARE, TrainConfig, train  # noqa: E402
from gan_core.training.recipes import CLASSROOM, CLASSROOM_IMAGES  # noqa: E402

EARLIER = TrainConfig(model="keras-gan32", width=0.25, data=["shapes:2000"], steps=600)  # the book's batch, 20
HALF = 0.5


def measure(config: TrainConfig, dataset, seconds: float, every: int, out: Path) -> list[tuple[float, int, float]]:
    """Train `config` for `seconds` of wall time; (seconds, step, shape share) at each sample grid."""
    points: list[tuple[float, int, float]] = []
    config = replace(config, out=str(out), steps=10**6, sample_every=every, log_every=every,
                     checkpoint_every=10**6, device="cpu")
    start = time.perf_counter()

    def progress(step, metrics, picture):
        if SHAPE_SHARE in metrics:
            points.append((time.perf_counter() - start, step, metrics[SHAPE_SHARE]))

    train(config, progress_fn=progress, abort_fn=lambda: time.perf_counter() - start > seconds, dataset=dataset)
    return points


def share_at(points, seconds: float) -> float | None:
    """The share of the last grid rendered by `seconds`."""
    before = [share for t, _, share in points if t <= seconds]
    return before[-1] if before else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="wall-clock budget of each row (3)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (2, a free Space's cores)")
    parser.add_argument("--every", type=int, default=100, help="steps between judged sample grids (100)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    rows = {"classroom": CLASSROOM, "earlier": EARLIER}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in rows.items():
            n = CLASSROOM_IMAGES if name == "classroom" else 2000
            dataset = make_shapes(n, 32, 0)
            points = measure(config, dataset, 60 * args.minutes, args.every, Path(tmp) / name)
            reached = next(((t, step) for t, step, share in points if share >= HALF), None)
            results[name] = {"config": config.command_line(), "points": points, "time_to_half_s": reached and reached[0],
                             "steps_to_half": reached and reached[1]}

    minutes = [m for m in (1, 2, 3) if m <= args.minutes] or [args.minutes]
    print(f"\nSamples that look like a shape, by wall time ({args.threads} threads, {describe(torch.device('cpu'))})\n")
    print("| run | " + " | ".join(f"{m:g} min" for m in minutes) + " | time to 50 % | steps to 50 % |")
    print("|---|" + "---|" * (len(minutes) + 2))
    for name, r in results.items():
        shares = [share_at(r["points"], 60 * m) for m in minutes]
        cells = [f"{100 * s:.0f} %" if s is not None else "-" for s in shares]
        half = (f"{r['time_to_half_s']:.0f} s" if r["time_to_half_s"] is not None
                else f"not in {args.minutes:g} min")
        print(f"| {name} | " + " | ".join(cells) + f" | {half} | {r['steps_to_half'] or '-'} |")
    print()
    for name, r in results.items():
        print(f"{name}: {r['config']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": args.threads, "hardware": describe(torch.device("cpu")),
                                               "rows": results}, indent=1))


if __name__ == "__main__":
    main()
