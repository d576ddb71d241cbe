"""Training throughput: our loop against a conventional PyTorch GAN loop, side by side.

What is measured
    Images per second of full adversarial training steps (D on a real batch, D on a
    fake batch, G through D, both optimiser steps) for one model, batch size, data
    set and device, for two loops run one after the other in this one process:

    ours          `gan_core.training.gan.train()`, i.e. its documented path: the images are
                  decoded once by `gan_core.data.image_set.load_images()` into a uint8 tensor
                  (the whole set moved to the GPU on CUDA), nets and batches in
                  channels_last, bf16 autocast on CUDA, and optionally torch.compile.
                  The number is the `img_per_s` the loop itself reports to
                  `progress_fn`, for the steps after the warm-up only.
    conventional  What most PyTorch GAN code does, after pytorch/examples' dcgan:
                  torchvision `ImageFolder` over the JPEG files (Resize, CenterCrop,
                  ToTensor, Normalize every time an image is used), a `DataLoader`
                  with worker processes (pinned memory on CUDA), fp32, NCHW, the
                  classic step with `.item()` metrics every step, and
                  cudnn.benchmark on as that example sets it. Same model and
                  optimisers (`spec.make_optimizers`) as ours, and the same data.

What is not measured
    Decoding and caching the data for our loop (reported on its own line: it is
    paid once, and not at all on a cached rerun), the warm-up steps (cuDNN
    autotuning, torch.compile, DataLoader worker start-up, allocator growth), and
    the checkpoint and sample grid train() writes when it ends.

Why
    The studio's claim is that its loop, not the model, makes training fast: on
    an NVIDIA H200, DCGAN-64 at batch 128 should run at >= 30,000 img/s and at
    >= 4x the conventional loop. On a CPU the table is reported as it comes.

    python bench/train_throughput.py --model dcgan64 --data ../shared/data/faces/utkface \\
        --batch-size 128 --steps 20 --warmup 3 --device auto --workers 2 [--compile] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

from gan_core.data.image_set import load_images  # noqa: E402
from gan_core.core.hardware import describe, pick_device  # noqa: E402
from gan_core.models import get_model, model_names  # noqa: E402
from gan_core.training.gan import MAX_STEPS, TrainConfig, train  # noqa: E402

DEFAULT_MODEL = "dcgan64"
DEFAULT_BATCH = 128
DEFAULT_STEPS = 50  # measured steps per loop; raise it on a GPU (a step there is a few ms)
DEFAULT_WARMUP = 5  # unmeasured steps first: autotuning, compilation, worker start-up
# As many loader workers as a tuned conventional setup would use: fewer would make
# its JPEG decoding the bottleneck and flatter our ratio.
DEFAULT_WORKERS = min(8, os.cpu_count() or 1)
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "faces" / "utkface"
SYNTHETIC_MIN_IMAGES = 512  # enough for several distinct batches of the default size
SYNTHETIC_SIDE = 96  # larger than the model size, so the conventional loop really resizes
# The aim on an NVIDIA H200 for DCGAN-64 at batch 128.
TARGET_IMG_PER_S = 30_000
TARGET_RATIO = 4.0


# ----------------------------------------------------------------------------- data


def synthetic_folder(root: Path, n: int, side: int = SYNTHETIC_SIDE) -> Path:
    """A folder of `n` random-blob JPEGs, so the benchmark runs where no data is.
    Smooth colour fields, not white noise: JPEG files of a realistic size."""
    folder = root / "synthetic"
    folder.mkdir(parents=True)
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(n):
        coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        img = Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC)
        img.save(folder / f"{i:05d}.jpg", quality=90)
    return folder


def image_folder_root(sources: list[Path], root: Path) -> Path:
    """ImageFolder wants root/<class>/<images...>: one symlinked "class" per source.
    torchvision walks class folders recursively and follows links, so nested
    layouts (CIFAR's train/frog/...) work too. Labels are ignored."""
    root.mkdir(parents=True)
    for i, src in enumerate(sources):
        if not src.is_dir():
            raise SystemExit(f"{src}: the conventional loop (torchvision ImageFolder) reads folders only, "
                             "not archives; give it an image folder")
        (root / f"{i:02d}_{src.name}").symlink_to(src.resolve(), target_is_directory=True)
    return root


# ----------------------------------------------------------------------------- ours


def bench_ours(model: str, dataset, batch: int, steps: int, warmup: int, device: str, use_compile: bool,
               out: Path, width: float = 1.0) -> float:
    """img/s of train() over the steps after `warmup`, from the loop's own log.

    log_every = warmup makes the first log land exactly at the end of the warm-up;
    the loop's img_per_s for each later log interval then covers only measured
    steps. Each log is a host sync that the default log_every (50) would make
    less often. It adds little, because the loop's blocking host-to-device copies
    already wait for the device once per step.
    Samples and checkpoints are pushed past the end; the final checkpoint and
    sample grid train() always write come after the last img_per_s is taken."""
    intervals: list[tuple[int, float]] = []  # (steps, img/s) per log after the warm-up
    last = {"step": 0}

    def progress(step: int, metrics: dict, samples) -> None:
        if "img_per_s" in metrics:
            if step > warmup:
                intervals.append((step - last["step"], metrics["img_per_s"]))
            last["step"] = step

    far = MAX_STEPS  # no sample grid or checkpoint inside the measured steps (the config's ceiling)
    cfg = TrainConfig(model=model, width=width, out=str(out), steps=warmup + steps, batch_size=batch, device=device,
                      compile=use_compile, log_every=warmup, sample_every=far, checkpoint_every=far,
                      divergence_patience=far, command="bench/train_throughput.py")
    train(cfg, progress_fn=progress, dataset=dataset)
    images = sum(n for n, _ in intervals) * batch
    seconds = sum(n * batch / ips for n, ips in intervals)
    return images / seconds


# ----------------------------------------------------------------------------- conventional


def endless(loader):
    """Batches forever, a new shuffled epoch (and new workers) after each, as a
    `for epoch in range(...): for data in loader:` loop gets them."""
    while True:
        yield from loader


def bench_conventional(model: str, folder_root: Path, batch: int, steps: int, warmup: int,
                       device: torch.device, workers: int) -> float:
    """img/s of the pytorch/examples dcgan loop over ImageFolder + DataLoader."""
    from torchvision import datasets, transforms

    spec = get_model(model)
    on_cuda = device.type == "cuda"
    size = spec.image_size
    data = datasets.ImageFolder(str(folder_root), transform=transforms.Compose([
        transforms.Resize(size),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ]))
    # drop_last keeps every batch full: BatchNorm and img/s both want equal batches.
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers,
                                         pin_memory=on_cuda, drop_last=True)

    torch.manual_seed(0)
    G = spec.build_generator().to(device)
    D = spec.build_discriminator().to(device)
    opt_g, opt_d = spec.make_optimizers(G, D, {**spec.defaults, "batch_size": batch})
    criterion = torch.nn.BCEWithLogitsLoss()  # our D returns logits: BCELoss after its Sigmoid, fused
    real_label, fake_label = 1.0, 0.0

    def step(real_cpu: torch.Tensor) -> None:
        # The classic step, line for line; the .item() metrics (a host sync each)
        # are what such a loop prints every step.
        D.zero_grad()
        real = real_cpu.to(device)
        b = real.size(0)
        label = torch.full((b,), real_label, dtype=real.dtype, device=device)
        output = D(real).view(-1)
        err_d_real = criterion(output, label)
        err_d_real.backward()
        _d_x = torch.sigmoid(output).mean().item()
        noise = torch.randn((b, *spec.noise_shape), device=device)
        fake = G(noise)
        label.fill_(fake_label)
        output = D(fake.detach()).view(-1)
        err_d_fake = criterion(output, label)
        err_d_fake.backward()
        _d_g_z1 = torch.sigmoid(output).mean().item()
        err_d = err_d_real + err_d_fake
        opt_d.step()
        G.zero_grad()
        label.fill_(real_label)  # fake labels are real for the generator cost
        output = D(fake).view(-1)
        err_g = criterion(output, label)
        err_g.backward()
        _d_g_z2 = torch.sigmoid(output).mean().item()
        opt_g.step()
        _losses = (err_d.item(), err_g.item())

    G.train()
    D.train()
    batches = endless(loader)
    benchmark_before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True  # pytorch/examples' dcgan sets it
    try:
        for _ in range(warmup):
            step(next(batches)[0])
        if on_cuda:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            step(next(batches)[0])  # loading the batch is part of the loop's cost
        if on_cuda:
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - t0
    finally:
        torch.backends.cudnn.benchmark = benchmark_before
        batches.close()  # shuts the workers down now, not at garbage collection
    return steps * batch / seconds


# ----------------------------------------------------------------------------- report


def table(rows: list[dict]) -> str:
    lines = ["| loop | device | batch | img/s | ratio vs conventional |",
             "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['loop']} | {r['device']} | {r['batch']} | {r['img_per_s']:,.1f} | {r['ratio']:.2f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, choices=model_names())
    p.add_argument("--data", action="append", type=Path, metavar="PATH",
                   help=f"image folder; repeat to join several (default {DEFAULT_DATA} if it exists, "
                        "else a synthetic JPEG folder)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="measured steps per loop")
    p.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="unmeasured steps before them (>= 1)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="DataLoader workers of the conventional loop")
    p.add_argument("--compile", action="store_true", help="also measure our loop under torch.compile")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = p.parse_args(argv)
    if args.warmup < 1 or args.steps < 1:
        p.error("--warmup and --steps must be at least 1")

    device = pick_device(args.device)
    spec = get_model(args.model)
    hardware = describe(device)
    with tempfile.TemporaryDirectory(prefix="train_throughput-") as tmp_name:
        tmp = Path(tmp_name)
        cache_dir = None  # the user's cache: a rerun on the same data skips the decode
        if args.data:
            sources = args.data
        elif DEFAULT_DATA.is_dir():
            sources = [DEFAULT_DATA]
        else:
            sources = [synthetic_folder(tmp, max(SYNTHETIC_MIN_IMAGES, 4 * args.batch_size))]
            cache_dir = tmp / "cache"  # no stale cache entries for a folder that is about to vanish
        print(f"data: {', '.join(map(str, sources))}", flush=True)

        t0 = time.perf_counter()
        dataset = load_images(sources, spec.image_size, cache_dir=cache_dir)
        load_s = time.perf_counter() - t0
        print(f"ours: load_images {len(dataset)} images at {spec.image_size} px in {load_s:.1f} s "
              "(not measured: paid once, cached for later runs)", flush=True)

        results = []
        variants = [("ours", False)] + ([("ours + compile", True)] if args.compile else [])
        for name, use_compile in variants:
            print(f"{name}: {args.warmup} + {args.steps} steps ...", flush=True)
            ips = bench_ours(args.model, dataset, args.batch_size, args.steps, args.warmup, args.device,
                             use_compile, tmp / name.replace(" ", "").replace("+", "_"))
            results.append({"loop": name, "img_per_s": ips})
        print(f"conventional: {args.warmup} + {args.steps} steps, {args.workers} workers ...", flush=True)
        conv = bench_conventional(args.model, image_folder_root(sources, tmp / "imagefolder"), args.batch_size,
                                  args.steps, args.warmup, device, args.workers)
        results.append({"loop": f"conventional (ImageFolder, num_workers={args.workers}, fp32)", "img_per_s": conv})

    for r in results:
        r.update(device=device.type, batch=args.batch_size, ratio=r["img_per_s"] / conv)
    print()
    print(table(results))
    print()
    print(f"hardware: {hardware}; torch {torch.__version__}; {args.model}; {len(dataset)} images; "
          f"{args.steps} measured steps after {args.warmup} warm-up steps")
    best = max(results[:-1], key=lambda r: r["img_per_s"])
    met = None
    if device.type == "cuda":  # the aim is set for a GPU; on a CPU the table is the result
        met = best["img_per_s"] >= TARGET_IMG_PER_S and best["ratio"] >= TARGET_RATIO
        print(f"target (>= {TARGET_IMG_PER_S:,} img/s and >= {TARGET_RATIO:g}x conventional): "
              f"{'met' if met else 'NOT met'} by {best['loop']}")

    if args.json:
        report = {
            "model": args.model, "batch_size": args.batch_size, "steps": args.steps, "warmup": args.warmup,
            "workers": args.workers, "device": str(device), "hardware": hardware,
            "torch": torch.__version__, "python": platform.python_version(),
            "data": [str(s) for s in sources], "images": len(dataset), "load_images_s": round(load_s, 2),
            "results": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in results],
            "target": {"img_per_s": TARGET_IMG_PER_S, "ratio": TARGET_RATIO, "met": met},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
