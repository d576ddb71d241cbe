"""Upscaling speed and memory on the CPU: LiteSR against SRResNet and a Real-ESRGAN-size network.

What is measured
    A 256x256 RGB photo upscaled x4 to 1024x1024 by `gan_core.pipelines.tiles.upscale_image`
    (tiles with overlap and blending, as the app does it), once per network and tile size,
    one after the other, each in a fresh subprocess so its peak memory is its own:

    LiteSR            the CPU-sized network (models.srgan.LiteSR): 8 plain residual blocks
                      of 64 maps, all at the low resolution (0.66M parameters)
    SRResNet (paper)  Ledig et al. 2017: 16 residual blocks, 64 channels (1.5M parameters),
                      as trained
    SRResNet (app)    the same network as the app runs it: `models.srgan.for_inference`
                      (batch norm folded, last conv moved before the last pixel shuffle)
    RRDBNet           the ESRGAN / Real-ESRGAN x4 generator: 23 RRDB blocks (16.7M
                      parameters); it has no norm or shuffle, so its inference copy is
                      the network itself

    Weights are random: speed does not depend on them. Reported: the median wall time of
    --repeats runs after one warm-up, and the subprocess's peak resident memory (ru_maxrss).
    Then LiteSR once on a --large photo (4000x3000), for its peak memory.

Why
    The upload-to-upscale tab must answer quickly on a 2-core Space. The aims: 2 s or less
    for 256 -> 1024 with LiteSR, measured beside SRResNet and RRDBNet in the same run, and
    1.5 GB or less of peak memory for a 4000x3000 photo.

    The ratio compares each network with LiteSR at the same tile size.

    python bench/upscale_speed.py [--size 256] [--repeats 3] [--tiles 128 256] [--large 4000x3000|none]
                                  [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TARGET_S = 2.0
TARGET_PEAK_MB = 1536  # a 4000x3000 photo

CHILD = r"""
import json, resource, statistics, sys, time
import numpy as np, torch
from PIL import Image
sys.path.insert(0, {repo!r})
from gan_core.models.srgan import LiteSR, RRDBNet, SRResNet, for_inference
from gan_core.pipelines.tiles import upscale_image
torch.manual_seed(0)
net = {{"LiteSR": LiteSR, "SRResNet (paper)": SRResNet, "SRResNet (app)": SRResNet, "RRDBNet": RRDBNet}}[{name!r}]().eval()
if {name!r} != "SRResNet (paper)":
    net = for_inference(net)
rng = np.random.default_rng(0)
photo = Image.fromarray(rng.integers(0, 256, ({height}, {width}, 3), dtype=np.uint8))
if {repeats} > 1:
    upscale_image(net, photo, tile={tile})  # warm-up
times = []
for _ in range({repeats}):
    t = time.perf_counter()
    out = upscale_image(net, photo, tile={tile})
    times.append(time.perf_counter() - t)
params = sum(p.numel() for p in net.parameters())
print(json.dumps({{"s": statistics.median(times), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "params": params, "out": list(out.size)}}))
"""


NETWORKS = ("LiteSR", "SRResNet (paper)", "SRResNet (app)", "RRDBNet")


def run(name: str, width: int, height: int, tile: int, repeats: int) -> dict:
    """One network on one random photo in a fresh subprocess; repeats 1 skips the warm-up."""
    code = CHILD.format(repo=str(REPO), name=name, width=width, height=height, tile=tile, repeats=repeats)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="x4 upscaling time and memory: LiteSR, SRResNet, RRDBNet.")
    parser.add_argument("--size", type=int, default=256, help="input side in pixels (256 -> 1024)")
    parser.add_argument("--tiles", type=int, nargs="+", default=[128, 256],
                        help="LR tile sides to measure (the app's default is 128)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", default="4000x3000",
                        help="WxH of the photo LiteSR's peak memory is measured on, or none (4000x3000)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    rows = [dict(network=name, tile=tile, **run(name, args.size, args.size, tile, args.repeats))
            for tile in args.tiles for name in NETWORKS]
    lite = {r["tile"]: r["s"] for r in rows if r["network"] == "LiteSR"}
    app = {r["tile"]: r["s"] for r in rows if r["network"] == "SRResNet (app)"}
    print(f"\nx4 upscaling of a {args.size}x{args.size} photo to {4 * args.size}x{4 * args.size}, "
          f"median of {args.repeats} after a warm-up, {os.cpu_count()} CPU cores\n")
    print(f"{'network':17} {'tile':>5} {'parameters':>11} {'s':>7} {'peak MB':>8} {'vs LiteSR':>10}")
    for r in rows:
        print(f"{r['network']:17} {r['tile']:>5} {r['params']:>11,} {r['s']:>7.2f} {r['peak_mb']:>8.0f} "
              f"{r['s'] / lite[r['tile']]:>9.2f}x")
    best = min(args.tiles, key=lambda t: lite[t])
    ours = lite[best]
    met = ours <= TARGET_S if args.size == 256 else None
    verdict = {True: "met", False: "NOT met", None: "judged at --size 256 only"}[met]
    print(f"\naim for 256 -> 1024: LiteSR <= {TARGET_S:.0f} s: {verdict} (best tile {best}: {ours:.2f} s; "
          f"SRResNet (app) {app[best]:.2f} s, {app[best] / ours:.1f}x slower)")
    large = None
    if args.large != "none":
        width, height = (int(v) for v in args.large.lower().split("x"))
        large = dict(network="LiteSR", size=[width, height], tile=best, **run("LiteSR", width, height, best, 1))
        print(f"LiteSR on a {width}x{height} photo (tile {best}): {large['s']:.0f} s, peak {large['peak_mb']:,.0f} MB; "
              f"aim <= {TARGET_PEAK_MB:,} MB: {'met' if large['peak_mb'] <= TARGET_PEAK_MB else 'NOT met'}")
    out = {"size": args.size, "tiles": args.tiles, "rows": rows, "best_tile": best, "seconds": ours,
           "met": met, "large": large, "cpu_count": os.cpu_count()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
