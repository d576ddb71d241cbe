"""Upscaling speed and memory on the CPU: SRResNet against a Real-ESRGAN-size network.

What is measured
    A 256x256 RGB photo upscaled x4 to 1024x1024 by `gan_core.upscale.upscale_image`
    (tiles with overlap and blending, as the app does it), once per network, one after the
    other in this process, each in a fresh subprocess so its peak memory is its own:

    SRResNet   Ledig et al. 2017: 16 residual blocks, 64 channels (1.5M parameters)
    RRDBNet    the ESRGAN / Real-ESRGAN x4 generator: 23 RRDB blocks (16.7M parameters)

    Weights are random: speed does not depend on them. Reported: the median wall time of
    --repeats runs after one warm-up, and the subprocess's peak resident memory (ru_maxrss).

Why
    The upload-to-upscale tab must answer quickly on a 2-core Space. The aim: 2 s or less
    for 256 -> 1024 with SRResNet, and 5x faster than RRDBNet.

    python bench/upscale_speed.py [--size 256] [--repeats 3] [--tile 128] [--json out.json]
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
TARGET_RATIO = 5.0

CHILD = r"""
import json, resource, statistics, sys, time
import numpy as np, torch
from PIL import Image
sys.path.insert(0, {repo!r})
from gan_core.models.srgan import RRDBNet, SRResNet
from gan_core.upscale import upscale_image
torch.manual_seed(0)
net = {{"SRResNet": SRResNet, "RRDBNet": RRDBNet}}[{name!r}]().eval()
rng = np.random.default_rng(0)
photo = Image.fromarray(rng.integers(0, 256, ({size}, {size}, 3), dtype=np.uint8))
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


def run(name: str, size: int, tile: int, repeats: int) -> dict:
    code = CHILD.format(repo=str(REPO), name=name, size=size, tile=tile, repeats=repeats)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="x4 upscaling time and memory: SRResNet against RRDBNet.")
    parser.add_argument("--size", type=int, default=256, help="input side in pixels (256 -> 1024)")
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    rows = {name: run(name, args.size, args.tile, args.repeats) for name in ("SRResNet", "RRDBNet")}
    ours = rows["SRResNet"]["s"]
    print(f"\nx4 upscaling of a {args.size}x{args.size} photo to {4 * args.size}x{4 * args.size}, tiles of "
          f"{args.tile}, median of {args.repeats} after a warm-up\n")
    print(f"{'network':10} {'parameters':>11} {'s':>7} {'peak MB':>8} {'vs SRResNet':>12}")
    for name, r in rows.items():
        print(f"{name:10} {r['params']:>11,} {r['s']:>7.2f} {r['peak_mb']:>8.0f} {r['s'] / ours:>11.2f}x")
    ratio = rows["RRDBNet"]["s"] / ours
    met = ours <= TARGET_S and ratio >= TARGET_RATIO
    print(f"\nhardware: {os.cpu_count()} CPU cores; aim: SRResNet <= {TARGET_S:.0f} s and >= {TARGET_RATIO:.0f}x "
          f"faster than RRDBNet: {'met' if met else 'NOT met'} ({ours:.2f} s, {ratio:.1f}x)")
    out = {"size": args.size, "tile": args.tile, "rows": rows, "ratio": ratio, "met": met, "cpu_count": os.cpu_count()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
