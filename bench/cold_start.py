"""Cold start: from `python app.py` to the first page served.

What is measured
    app.py to first page   wall time from starting `python app.py` (a fresh process) until
                           GET / answers 200, median of --runs starts
    its parts              in one fresh process each: `import torch`, `import gradio`,
                           `import demo` (the UI and gan_core), and `demo.build_app()`

The parts run in separate fresh processes, so they overlap (importing demo imports torch and
gradio) and are there to show where the time goes, not to add up. The operating system's file
cache is warm after the first start; the first start after boot is slower.

Why
    Spaces restart apps when idle; the aim is 10 s or less on 2 CPU cores, which is why models
    load lazily, on the first request that needs them, and not when the app starts.

    python bench/cold_start.py [--runs 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tools.browser import free_port  # noqa: E402

TARGET_S = 10.0

PARTS = {
    "import torch": "import torch",
    "import gradio": "import gradio",
    "import demo (UI + gan_core)": "import demo",
    "import demo + build_app()": "import demo; demo.build_app()",
}


def time_app_start(timeout_s: float = 120.0) -> float:
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("SPACE_ID", None)
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout_s:
            if server.poll() is not None:
                raise RuntimeError(f"app.py exited with code {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"no page within {timeout_s} s")
    finally:
        server.terminate()
        server.wait(timeout=10)


def time_code(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Cold start of the app: python app.py to the first page.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    rows = [("python app.py to first page", statistics.median(time_app_start() for _ in range(args.runs)))]
    for label, code in PARTS.items():
        rows.append((label, statistics.median(time_code(code) for _ in range(args.runs))))
    total = rows[0][1]
    print(f"\nCold start, median of {args.runs} fresh processes each\n")
    print(f"{'':32} {'s':>7} {'vs app start':>13}")
    for label, seconds in rows:
        print(f"{label:32} {seconds:>7.2f} {seconds / total:>12.2f}x")
    print(f"\nhardware: {os.cpu_count()} CPU cores; aim: first page <= {TARGET_S:.0f} s: "
          f"{'met' if total <= TARGET_S else 'NOT met'} ({total:.1f} s)")
    out = {"rows": [{"row": r, "s": s} for r, s in rows], "target_s": TARGET_S, "met": total <= TARGET_S,
           "cpu_count": os.cpu_count()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
