"""PyTorch threads on a CPU: the count `gan_core.hardware.usable_cpus()` gives against
oversubscription, one process, side by side.

    python bench/cpu_threads.py [--model dcgan64] [--batch 64] [--repeats 20] [--oversubscribe 8]

In a container with a CPU quota (a Hugging Face Space's 2 vCPUs on a bigger host) PyTorch
starts one thread per host core. This times what that costs: a generator's forward pass
(as the Generate tab runs it) and a DCGAN training step, at `usable_cpus()` threads and at
`--oversubscribe` times as many, on the same cores. Prints a table with the ratio.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from gan_core.hardware import cpu_name, usable_cpus  # noqa: E402
from gan_core.models import get_model  # noqa: E402


def _time(fn, repeats: int) -> float:
    fn()  # warm-up: thread pool start, allocator
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="dcgan64")
    p.add_argument("--width", type=float, default=0.25, help="fraction of the paper's channels (default 0.25)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--oversubscribe", type=int, default=8, help="threads per usable core in the second row")
    args = p.parse_args(argv)

    torch.manual_seed(0)
    spec = get_model(args.model).scaled(args.width)
    g, d = spec.build_generator(), spec.build_discriminator()
    z = spec.sample_noise(args.batch)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    real = torch.rand(args.batch, 3, spec.image_size, spec.image_size) * 2 - 1

    @torch.no_grad()
    def sample():
        g.eval()
        g(z)

    def train_step():
        g.train(), d.train()
        fake = g(z)
        loss_d = bce(d(real).flatten(), torch.ones(args.batch)) + bce(d(fake.detach()).flatten(), torch.zeros(args.batch))
        opt_d.zero_grad(set_to_none=True), loss_d.backward(), opt_d.step()
        loss_g = bce(d(fake).flatten(), torch.ones(args.batch))
        opt_g.zero_grad(set_to_none=True), loss_g.backward(), opt_g.step()

    usable = usable_cpus()
    rows = []
    for threads in (usable, usable * args.oversubscribe):
        torch.set_num_threads(threads)
        rows.append((threads, _time(sample, args.repeats), _time(train_step, max(3, args.repeats // 4))))
    base = rows[0]
    print(f"{args.model} at width {args.width}, batch {args.batch}; {usable} usable cores of {cpu_name()}")
    print(f"| threads | sample, ms | train step, ms | sample vs {usable} threads | step vs {usable} threads |")
    print("|---:|---:|---:|---:|---:|")
    for threads, s, t in rows:
        print(f"| {threads} | {s * 1e3:.0f} | {t * 1e3:.0f} | {s / base[1]:.2f}x | {t / base[2]:.2f}x |")


if __name__ == "__main__":
    main()
