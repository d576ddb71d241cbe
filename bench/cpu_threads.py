"""PyTorch threads on a CPU: the count `gan_core.core.hardware.usable_cpus()` gives against
oversubscription, one process, side by side.

    python bench/cpu_threads.py [--model dcgan64] [--width 0.25] [--batch 64] [--oversubscribe 8]

In a container with a CPU quota (a Hugging Face Space's 2 vCPUs on a bigger host) PyTorch
starts one thread per host core. This times what that costs, at `usable_cpus()` threads and
at `--oversubscribe` times as many on the same cores: a generator's forward pass (as the
Generate tab runs it) and `gan_core.training.gan.train()` itself on the built-in shapes (as the
Train tab runs it; `bench_ours` of train_throughput.py). Prints a table with the ratios.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.train_throughput import bench_ours  # noqa: E402
from gan_core.data.image_set import load_images  # noqa: E402
from gan_core.core.hardware import cpu_name, usable_cpus  # noqa: E402
from gan_core.models import get_model  # noqa: E402


def sample_seconds(generator: torch.nn.Module, z: torch.Tensor, repeats: int) -> float:
    """Seconds per forward pass, after one unmeasured pass (thread pool start, allocator)."""
    with torch.no_grad():
        generator(z)
        start = time.perf_counter()
        for _ in range(repeats):
            generator(z)
    return (time.perf_counter() - start) / repeats


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="dcgan64")
    p.add_argument("--width", type=float, default=0.25, help="fraction of the paper's channels (default 0.25)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=20, help="forward passes timed")
    p.add_argument("--steps", type=int, default=10, help="training steps timed, after 3 unmeasured ones")
    p.add_argument("--oversubscribe", type=int, default=8, help="threads per usable core in the second row")
    args = p.parse_args(argv)

    spec = get_model(args.model).scaled(args.width)
    generator = spec.build_generator().eval()
    z = spec.sample_noise(args.batch, torch.Generator().manual_seed(0))
    shapes = load_images("shapes", spec.image_size, use_cache=False)
    usable = usable_cpus()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in (usable, usable * args.oversubscribe):
            torch.set_num_threads(threads)
            ms = sample_seconds(generator, z, args.repeats) * 1e3
            img_per_s = bench_ours(args.model, shapes, args.batch, args.steps, 3, "cpu", False,
                                   Path(tmp) / f"run{threads}", width=args.width)
            rows.append((threads, ms, args.batch / img_per_s * 1e3))
    base = rows[0]
    print(f"{args.model} at width {args.width}, batch {args.batch}; {usable} usable cores of {cpu_name()}")
    print(f"| threads | sample, ms | train step, ms | sample vs {usable} threads | step vs {usable} threads |")
    print("|---:|---:|---:|---:|---:|")
    for threads, s, t in rows:
        print(f"| {threads} | {s:.0f} | {t:.0f} | {s / base[1]:.2f}x | {t / base[2]:.2f}x |")


if __name__ == "__main__":
    main()
