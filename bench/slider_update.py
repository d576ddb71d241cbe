"""Server time of one slider update in the Explore tab, on the CPU.

What is measured
    Moving the turn slider (or an attribute slider) calls `demo.explore.render_turn`:
    latents for the subject and the picks, seven images of the row (t from -1 to +1)
    and the image at the slider's t, decoded by the 64x64 generator and laid out as a
    row; then both are written as PNG files (`serve_files`) and Gradio copies them into
    its cache, which is what the server does before answering. Rows:

    handler          render_turn alone (decode + layout); the row does not depend on t, so
                     while the slider moves it comes from a small cache and only the
                     image at t is decoded
    ... not cached   the first draw after the subject or the picks change: all 8 decoded
    handler + PNG    the same plus Gradio's postprocessing of both images: the server time
    decode only      the generator's forward pass on the 8 latents, for scale
    ... 1 thread     the server time with torch limited to one thread (a busy Space)

    Each figure is the median over --repeats calls after --warmup calls, in this one
    process, one row after the other.

What is not measured
    The browser's round trip: the websocket/SSE message, the queue, and fetching the
    PNG files (a few ms on localhost; on Spaces the network dominates).

Why
    The aim is 50 ms or less on 2 CPU cores so the slider feels live.

    python bench/slider_update.py [--model faces-dcgan64] [--repeats 30] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

import torch  # noqa: E402

TARGET_MS = 50.0


def _median_ms(fn, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _model_name(asked: str | None) -> tuple[str, str]:
    """A shipped 64x64 model, or random dcgan64 weights (the same arithmetic) in a temp folder."""
    import gan_core
    from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json

    if asked:
        return asked, asked
    if "faces-dcgan64" in gan_core.list_checkpoints():
        return "faces-dcgan64", "faces-dcgan64"
    root = Path(tempfile.mkdtemp()) / "random-dcgan64"
    save_weights(root / GENERATOR_FILE, gan_core.get_model("dcgan64").build_generator())
    write_json(root / CARD_FILE, {"name": root.name, "model": "dcgan64", "files": {"generator": GENERATOR_FILE}})
    os.environ["GAN_CORE_CHECKPOINTS"] = str(root.parent)
    return root.name, "random dcgan64 weights (no shipped checkpoint)"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="checkpoint name (default: faces-dcgan64, else random dcgan64 weights)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    from demo import explore
    from demo.common import load_pipeline
    from demo.files import serve_files

    name, described = _model_name(args.model)
    pipe = load_pipeline(name)
    subject, left, right = "11", "1, 2, 3, 4", "5, 6, 7, 8"
    from gradio.processing_utils import save_file_to_cache

    cache_dir = tempfile.mkdtemp()
    served = serve_files(explore.render_turn)

    def handler():
        return explore.render_turn(name, subject, left, right, "picks", 0.4)

    def server():  # what the app runs: PNG files of our own, then Gradio's copy into its cache
        for path in served(name, subject, left, right, "picks", 0.4):
            save_file_to_cache(path, cache_dir)

    latents = torch.randn(len(explore.ROW_TS) + 1, pipe.spec.nz)

    def server_uncached():  # the first draw after the picks or the subject change
        explore._ROW_CACHE.clear()
        server()

    def decode():
        pipe.decode(latents)

    threads = torch.get_num_threads()
    rows = [("handler + PNG (server time)", threads, server), ("handler", threads, handler),
            ("server time, row not cached", threads, server_uncached),
            ("decode only", threads, decode), ("handler + PNG, 1 thread", 1, server)]
    results = []
    for label, n_threads, fn in rows:
        torch.set_num_threads(n_threads)
        results.append({"row": label, "threads": n_threads, "ms": _median_ms(fn, args.warmup, args.repeats)})
    torch.set_num_threads(threads)

    server_ms = results[0]["ms"]
    print(f"\nOne turn-slider update: {len(explore.ROW_TS)} + 1 images of {pipe.spec.image_size}x"
          f"{pipe.spec.image_size}, model {described}; median of {args.repeats} after {args.warmup} warm-up\n")
    print(f"{'':28} {'threads':>7} {'ms':>8} {'vs server time':>15}")
    for r in results:
        print(f"{r['row']:28} {r['threads']:>7} {r['ms']:>8.1f} {r['ms'] / server_ms:>14.2f}x")
    cpu = platform.processor() or platform.machine()
    print(f"\nhardware: {os.cpu_count()} CPU cores ({cpu}), torch {torch.__version__}, {threads} torch threads")
    verdict = "met" if server_ms <= TARGET_MS else "NOT met"
    print(f"aim: server time <= {TARGET_MS:.0f} ms: {verdict} ({server_ms:.1f} ms)")
    out = {"model": described, "images": len(explore.ROW_TS) + 1, "results": results, "target_ms": TARGET_MS,
           "met": server_ms <= TARGET_MS, "cpu_count": os.cpu_count(), "torch": torch.__version__}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
