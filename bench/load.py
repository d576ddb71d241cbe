"""Load: N concurrent API clients against a running app, a fixed mix of requests.

What is measured
    `python app.py` is started on a free port (its own process, so its memory can be
    read), then N threads each open a gradio_client Client and send --requests requests,
    cycling through a fixed mix:

    sample    /generate, a grid of 16 images of the model (a seed per request)
    slider    /turn, the turn slider moved to a new t (the shipped picks, subject 42)
    walk      /walk, a walk row of 8 frames at a new t
    upscale   /upscale, a 256x256 photo made here upscaled x4 to 1024x1024 by --upscaler

    Reported per kind: requests, errors, p50 and p95 latency (client-side wall time from
    submitting to the result, so queueing is included); and the server's peak resident
    memory (VmHWM) and its memory when idle before the run.

    Upscales run one at a time (the event's concurrency limit): each is seconds of both
    cores, so they wait behind each other while the lighter requests go on beside them.

Why
    A link shared with a class means dozens of people at once on a 2-core Space: every
    request should succeed (the queue makes them wait, it does not drop them) with bounded
    memory. The aim: 32 clients, 0 errors.

    python bench/load.py [--clients 32] [--requests 6] [--model faces-dcgan64]
        [--upscaler photo-litesr-x4] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tools.browser import free_port  # noqa: E402


def _rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_now_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start_app(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("SPACE_ID", None)
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO, env=env,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("app.py did not start")


def _test_photo(path: Path, size: int = 256) -> None:
    """A 256x256 RGB picture with edges, gradients and fine texture, the same every run."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:size, 0:size] / size
    rng = np.random.default_rng(0)
    img = np.stack([x, y, 0.5 + 0.5 * np.sin(12 * (x + y))], -1)
    img[(x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.08] *= 0.4  # a dark disc: a sharp round edge
    img += rng.normal(0, 0.03, img.shape)
    Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(path)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Concurrent API clients against the running app.")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=6, help="requests per client")
    parser.add_argument("--model", default="faces-dcgan64")
    parser.add_argument("--upscaler", default="photo-litesr-x4",
                        help="model for the upscale requests ('' leaves them out of the mix)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from gradio_client import Client, handle_file

    from gan_core.explore.presets import load_presets

    presets = load_presets(args.model)
    left = ", ".join(map(str, presets.turn_left)) or "1, 2"
    right = ", ".join(map(str, presets.turn_right)) or "3, 4"
    kinds = {
        "sample": lambda c, i: c.predict(args.model, 1000 + i, 16, api_name="/generate"),
        "slider": lambda c, i: c.predict(args.model, "42", left, right, "picks", (i % 9) / 4 - 1, "",
                                         api_name="/turn"),
        "walk": lambda c, i: c.predict(args.model, "0, 1, 2", "slerp", (i % 11) / 10, 8, "", api_name="/walk"),
    }
    photo = Path(tempfile.mkdtemp(prefix="load-photo-")) / "photo256.png"
    if args.upscaler:
        _test_photo(photo)
        kinds["upscale"] = lambda c, i: c.predict(handle_file(str(photo)), args.upscaler, False,
                                                  api_name="/upscale")
    order = list(kinds)
    results: dict[str, list[float]] = {k: [] for k in kinds}
    errors: dict[str, list[str]] = {k: [] for k in kinds}
    lock = threading.Lock()

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start_app(Path(tmp) / "app.log")
        try:
            Client(url, verbose=False).predict(args.model, 0, 1, api_name="/generate")  # load the model once
            idle_mb = _rss_now_mb(proc.pid)

            def worker(k: int) -> None:
                try:
                    client = Client(url, verbose=False)
                except Exception as exc:  # noqa: BLE001 - a refused connection is a result here
                    with lock:
                        errors["sample"].append(f"connect: {exc}")
                    return
                for r in range(args.requests):
                    kind = order[(k + r) % len(order)]
                    start = time.perf_counter()
                    try:
                        kinds[kind](client, k * args.requests + r)
                        with lock:
                            results[kind].append(time.perf_counter() - start)
                    except Exception as exc:  # noqa: BLE001
                        with lock:
                            errors[kind].append(str(exc)[:200])

            wall = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - wall
            peak_mb = _rss_peak_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else float("nan"))

    print(f"\n{args.clients} concurrent clients x {args.requests} requests, model {args.model}, "
          f"{wall:.1f} s in all\n")
    print(f"{'kind':8} {'ok':>5} {'errors':>7} {'p50 s':>8} {'p95 s':>8}")
    rows = []
    for kind in kinds:
        ok = results[kind]
        rows.append({"kind": kind, "ok": len(ok), "errors": len(errors[kind]),
                     "p50_s": pct(ok, 50), "p95_s": pct(ok, 95)})
        print(f"{kind:8} {len(ok):>5} {len(errors[kind]):>7} {pct(ok, 50):>8.2f} {pct(ok, 95):>8.2f}")
    total_errors = sum(len(e) for e in errors.values())
    print(f"\nserver memory: {idle_mb:.0f} MB idle with the model loaded, {peak_mb:.0f} MB peak; "
          f"{os.cpu_count()} CPU cores")
    print(f"aim: 0 errors: {'met' if total_errors == 0 else 'NOT met'} ({total_errors})")
    for kind, errs in errors.items():
        for e in errs[:3]:
            print(f"  {kind}: {e}")
    out = {"clients": args.clients, "requests": args.requests, "rows": rows, "errors": total_errors,
           "idle_mb": idle_mb, "peak_mb": peak_mb, "wall_s": wall}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
