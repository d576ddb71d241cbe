"""GPU day: prepared calls that measure and retrain the shipped models on one GPU.

A GPU is lent to some sessions by chance, for minutes: this script spends them without
improvising. Three steps, two of them here on the CPU:

    # 1. here, before the calls: pack what the jobs train on into data_pack/ (git-ignored),
    #    then split the jobs into calls whose packs travel (64 MiB with the tracked tree)
    python bench/gpu_day.py pack [--only faces64 cifar10-train ...]
    python bench/gpu_day.py plan               # each call: what to carry, the command

    # 2. the calls, on one device machine kept warm between them (an NVIDIA H200):
    bash bench/gpu_day.sh --only JOB ...       # = python bench/gpu_day.py run --out "$OUT" ...

    # 3. here, after: unpack what came back into runs/gpu-day/, then grade and ship
    python bench/gpu_day.py unpack <the files that came back> --to runs/gpu-day

`run` goes through its stages in order, each timed and logged, none stopping the rest
(`--no-checks` leaves out the first three, for the second and later calls):
    env         the GPU, driver and torch build
    cuda-tests  `pytest -m cuda` (autocast, channels_last, data on the device, resume, determinism)
    throughput  bench/train_throughput.py for DCGAN-64 at batch 128: ours, ours compiled, the
                conventional loop with DataLoader workers
    jobs        each of JOBS (a training command with --time-limit, at the papers' widths and
                batch sizes, with the recipes bench/recipe_ablation.py chose) whose data packs
                are here; a job whose packs are missing is skipped and said so
    pack        every job's export (weights and card, float16 where its card says) and all logs
                into at most MAX_FILES archives of at most MAX_FILE_MB each under --out

`run --dry-run` does every stage for a few steps on a CPU, on stand-in data it draws itself
(no ../shared, no data_pack): what CI runs (tests/test_gpu_day.py). bench/README.md says how
to grade and ship what comes back.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKS = REPO / "data_pack"
SHARED = REPO.parent / "shared" / "data"
CARRY_LIMIT_MB = 64 * 1.048576  # 64 MiB, in MB
MAX_FILES, MAX_FILE_MB = 8, 16 * 1.048576
# Device time, as `plan` counts it: the session's budget, a machine's start, each call's
# transfers and start-up, the checks of the first call (env, CUDA tests, throughput), and
# each job's (or probe's) start-up and export beyond its --time-limit.
DEVICE_BUDGET_S = 15 * 60
MACHINE_START_S, CALL_OVERHEAD_S, CHECKS_S, JOB_OVERHEAD_S = 90, 45, 150, 20
PY = [sys.executable]
GC = [*PY, "-m", "gan_core"]


# ----------------------------------------------------------------------------- data packs


@dataclass
class Pack:
    """One git-ignored file under data_pack/ that jobs train on, and how it is made here."""

    name: str
    make: list[str]  # the command (argv) that writes data_pack/<name>, run here before the call
    note: str = ""


DATA = {
    "faces64": Pack("faces64.zip", [*GC, "pack", "--size", "64", "--format", "webp", "--quality", "75",
                                    "--out", "data_pack/faces64.zip",
                                    "--data", str(SHARED / "faces/celeba/img_align_celeba"),
                                    "--data", str(SHARED / "faces/utkface")],
                    "CelebA + UTKFace framed as faces, 64 px WebP (half the bytes of JPEG at this size)"),
    "cifar10-train": Pack("cifar10-train.tar.gz", [*PY, "bench/gpu_day.py", "subset",
                                                   str(SHARED / "cifar10/cifar10.tar.gz"),
                                                   "data_pack/cifar10-train.tar.gz", "train/"],
                          "CIFAR-10's 50,000 training images, the shared files as they are (the probe's test "
                          "split stays here: the probe runs here, after the call)"),
    "facades64": Pack("facades64.zip", [*GC, "facades", "pack", "--data", str(SHARED / "facades"), "--size", "64",
                                        "--crops", "8", "--split", "all", "--out", "data_pack/facades64.zip"],
                      "CMP facades, 8 random 64 px crops of each of the 400 photos (what facades-dcgan64 trains on)"),
    "bsds": Pack("bsds500.zip", [*PY, "-c", "import shutil, sys; shutil.make_archive('data_pack/bsds500', 'zip', "
                                           f"{str(SHARED / 'sr')!r}, 'BSDS500_train')"],
                 "the 400 BSDS500 photos super-resolution trains on, as shared"),
    "cifar10-frogs": Pack("cifar10-frogs.tar.gz", [*PY, "bench/gpu_day.py", "subset",
                                                   str(SHARED / "cifar10/cifar10.tar.gz"),
                                                   "data_pack/cifar10-frogs.tar.gz", "train/frog/"],
                          "CIFAR-10's 5,000 training frogs, the shared files as they are"),
    "style-photos": Pack("style-photos.zip", [*PY, "bench/gpu_day.py", "shrink", str(SHARED / "style" / "photos"),
                                              "data_pack/style-photos.zip", "--max-side", "480"],
                         "the Sun-Hays scene photos the style model translates, at its working scale (480 px)"),
    "paintings": Pack("paintings.zip", [*PY, "-c", "import shutil; shutil.make_archive('data_pack/paintings', "
                                                   f"'zip', {str(SHARED / 'style')!r}, 'paintings')"],
                      "the paintings the style model learns to paint like"),
}


def tracked_mb() -> float:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return sum((REPO / f).stat().st_size for f in out.decode().split("\0") if f and (REPO / f).is_file()) / 1e6


def pack(only: list[str] | None) -> int:
    """Make the packs (those named, else all), then print the calls that carry them."""
    PACKS.mkdir(exist_ok=True)
    for key in only or DATA:
        p = DATA[key]
        print(f"packing {key}: {p.note}", flush=True)
        subprocess.run(p.make, cwd=REPO, check=True)
    print(f"\n{'tracked tree':30s} {tracked_mb():7.1f} MB")
    for p in DATA.values():
        if (PACKS / p.name).exists():
            print(f"{'data_pack/' + p.name:30s} {(PACKS / p.name).stat().st_size / 1e6:7.1f} MB")
    print()
    return plan()


def subset(src: Path, out: Path, prefix: str) -> None:
    """The members of a tar archive under `prefix`, copied as they are into a new .tar.gz."""
    import tarfile

    with tarfile.open(src) as tin, tarfile.open(out, "w:gz") as tout:
        for member in tin:
            if member.name.startswith(prefix):
                tout.addfile(member, tin.extractfile(member) if member.isfile() else None)


def shrink(src: Path, out: Path, max_side: int, quality: int = 92) -> None:
    """Photos of a folder at most `max_side` px a side (a model's working scale: it would
    shrink them to that anyway), as JPEGs in a zip."""
    import io
    import zipfile

    from PIL import Image

    sys.path.insert(0, str(REPO))
    from gan_core.core.images import fit_side

    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for f in sorted(src.iterdir()):
            if f.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                continue
            with Image.open(f) as img:
                img = fit_side(img.convert("RGB"), max_side)
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=quality)
            zf.writestr(f"{src.name}/{f.stem}.jpg", buf.getvalue())


def plan_calls(jobs: list["Job"], room_mb: float, pack_mb: dict[str, float]) -> tuple[list[list["Job"]], list]:
    """Jobs split into calls, in JOBS order (first fit): each call carries the union of its
    jobs' packs, at most `room_mb`. Returns (calls, [(job, MB) that fit no call])."""
    calls: list[list[Job]] = []
    alone_too_big = []
    for job in jobs:
        need = set(job.needs)
        if sum(pack_mb[k] for k in need) > room_mb:
            alone_too_big.append((job, sum(pack_mb[k] for k in need)))
            continue
        for call in calls:
            union = need | {k for j in call for k in j.needs}
            if sum(pack_mb[k] for k in union) <= room_mb:
                call.append(job)
                break
        else:
            calls.append([job])
    return calls, alone_too_big


def plan() -> int:
    """Print the calls that carry every job's packs within the limit, with their device time."""
    tree = tracked_mb()
    room = CARRY_LIMIT_MB - tree - 0.2  # for a stray untracked file (a clean checkout has none)
    missing = sorted({k for j in JOBS for k in j.needs if not (PACKS / DATA[k].name).exists()})
    if missing:
        print(f"pack first: python bench/gpu_day.py pack --only {' '.join(missing)}")
        return 1
    pack_mb = {k: (PACKS / p.name).stat().st_size / 1e6 for k, p in DATA.items() if (PACKS / p.name).exists()}
    calls, too_big = plan_calls(JOBS, room, pack_mb)
    print(f"tracked tree {tree:.1f} MB: {room:.1f} MB of packs can travel with each call\n")
    device_s = MACHINE_START_S
    for i, call in enumerate(calls):
        carry = sorted({k for j in call for k in j.needs}, key=list(DATA).index)
        seconds = CALL_OVERHEAD_S + sum(j.seconds + JOB_OVERHEAD_S for j in call)
        seconds += CHECKS_S if i == 0 else 0
        device_s += seconds
        flags = ["--only", *(j.name for j in call)] + ([] if i == 0 else ["--no-checks"])
        print(f"call {i + 1}: about {seconds / 60:.1f} min, carry {', '.join(f'data_pack/{DATA[k].name}' for k in carry)}"
              f" ({sum(pack_mb[k] for k in carry):.1f} MB)")
        print(f"  bash bench/gpu_day.sh {' '.join(flags)}")
    for job, mb in too_big:
        print(f"does not travel: {job.name} needs {mb:.1f} MB of packs ({', '.join(job.needs)}), "
              f"{mb - room:.1f} MB more than the room left by the tree")
    fits = device_s <= DEVICE_BUDGET_S
    print(f"\ndevice time: about {device_s / 60:.1f} min with the machine's start, of {DEVICE_BUDGET_S / 60:.0f}: "
          + ("fits" if fits else "does NOT fit: run the first calls, the rest on the next GPU day"))
    return 0 if fits and not too_big else 1


# ----------------------------------------------------------------------------- jobs


@dataclass
class Job:
    """One training run of the call: `argv` after `python -m gan_core`, with {data} for the
    data_pack folder and {runs} for the runs folder; `seconds` of training (--time-limit);
    `needs`: the DATA it trains on."""

    name: str
    argv: list[str]
    seconds: float
    needs: list[str]
    dry: list[str]  # what replaces the data and length arguments in a dry run


JOBS = [
    Job("faces-dcgan64", ["train", "--model", "dcgan64", "--data", "{data}/faces64.zip", "--flip",
                          "--ema-images", "10000", "--steps", "200000", "--checkpoint-every", "2000",
                          "--sample-every", "2000", "--out", "{runs}/faces-dcgan64", "--name", "faces-dcgan64"],
        60, ["faces64"], ["--data", "{dry}/faces", "--steps", "2", "--batch-size", "8", "--width", "0.25"]),
    Job("cifar10-frogs-keras32", ["train", "--model", "keras-gan32", "--data", "{data}/cifar10-frogs.tar.gz",
                                  "--split", "train", "--classes", "frog", "--lr-g", "0.0001", "--ema-images", "10000",
                                  "--steps", "200000", "--checkpoint-every", "2000", "--sample-every", "2000",
                                  "--out", "{runs}/cifar10-frogs-keras32", "--name", "cifar10-frogs-keras32"],
        40, ["cifar10-frogs"], ["--data", "{dry}/cifar10", "--steps", "2", "--batch-size", "8", "--width", "0.25"]),
    Job("cifar10-dcgan32", ["train", "--model", "dcgan32", "--width", "2", "--data", "{data}/cifar10-train.tar.gz",
                            "--rotation", "1", "--ema-images", "10000", "--steps", "200000",
                            "--checkpoint-every", "2000", "--sample-every", "2000", "--out", "{runs}/cifar10-dcgan32",
                            "--name", "cifar10-dcgan32"],
        60, ["cifar10-train"], ["--data", "{dry}/cifar10", "--steps", "2", "--batch-size", "8", "--width", "0.25"]),
    Job("facades-dcgan64", ["train", "--model", "dcgan64", "--data", "{data}/facades64.zip", "--flip",
                            "--ema-images", "10000", "--steps", "200000", "--checkpoint-every", "2000",
                            "--sample-every", "2000", "--out", "{runs}/facades-dcgan64", "--name", "facades-dcgan64"],
        25, ["facades64"], ["--data", "{dry}/faces", "--steps", "2", "--batch-size", "8", "--width", "0.25"]),
    Job("photo-litesr-x4", ["train-sr", "--arch", "litesr", "--pixel-loss", "l1", "--lr", "5e-4", "--hr-size", "192",
                            "--batch-size", "32", "--data", "{data}/bsds500.zip", "--steps", "200000",
                            "--checkpoint-every", "2000", "--sample-every", "2000", "--device", "auto",
                            "--out", "{runs}/photo-litesr-x4", "--name", "photo-litesr-x4"],
        45, ["bsds"], ["--data", "{dry}/photos", "--steps", "2", "--batch-size", "2", "--hr-size", "64"]),
    Job("photo2painting-siamese", ["style", "train", "--photos", "{data}/style-photos.zip", "{data}/bsds500.zip",
                                   "--paintings", "{data}/paintings.zip",
                                   "--tile", "64", "--steps", "200000", "--checkpoint-every", "2000",
                                   "--sample-every", "2000", "--device", "auto",
                                   "--out", "{runs}/photo2painting-siamese", "--name", "photo2painting-siamese"],
        40, ["style-photos", "bsds", "paintings"], ["--photos", "{dry}/photos", "--paintings", "{dry}/paintings",
                                                    "--steps", "2",
                        "--batch-size", "2", "--tile", "16"]),
]


def job_argv(job: Job, data: Path, runs: Path, dry: Path | None) -> list[str]:
    """The job's command, with its data and length swapped for the stand-ins in a dry run."""
    argv = list(job.argv)
    if dry is not None:
        for flag in {a for a in job.dry if a.startswith("--")}:
            while flag in argv:  # drop the real value(s) of each replaced flag
                i = argv.index(flag)
                j = i + 1
                while j < len(argv) and not argv[j].startswith("--"):
                    j += 1
                del argv[i:j]
        argv += job.dry
    return [a.format(data=data, runs=runs, dry=dry) for a in argv]


# ----------------------------------------------------------------------------- the call


class Stages:
    """Runs commands with a log per stage and a timing table; a failed stage is recorded, not fatal."""

    def __init__(self, out: Path):
        self.out, self.logs = out, out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict] = []

    def run(self, stage: str, argv: list[str], timeout: float | None = None) -> bool:
        start = time.monotonic()
        log = self.logs / f"{len(self.rows):02d}-{stage}.log"
        with open(log, "w") as f:
            f.write("$ " + " ".join(argv) + "\n")
            f.flush()
            try:
                code = subprocess.run(argv, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
        seconds = time.monotonic() - start
        self.rows.append({"stage": stage, "seconds": round(seconds, 1), "exit": code, "log": log.name})
        print(f"{stage:40s} {seconds:7.1f} s  exit {code}", flush=True)
        return code == 0


def stand_in_data(root: Path) -> Path:
    """Small pictures for a dry run: faces-like 64 px squares, CIFAR-like class folders of
    32 px, and photos and paintings of 160x128: no ../shared needed."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)

    def picture(size, path):
        y, x = np.mgrid[0:size[1], 0:size[0]] / max(size)
        base = np.stack([x, y, 1 - x], -1) * 180 + rng.normal(0, 25, (size[1], size[0], 3)) + 30
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(base.clip(0, 255).astype(np.uint8)).save(path)

    for i in range(80):
        picture((64, 64), root / "faces" / f"face{i:03d}.png")
    for split, n in (("train", 12), ("test", 6)):
        for cls in ("frog", "ship"):
            for i in range(n):
                picture((32, 32), root / "cifar10" / split / cls / f"{i:03d}.png")
    for kind in ("photos", "paintings"):
        for i in range(8):
            picture((160, 128), root / kind / f"{i}.png")
    return root


def measure_machine(stages: "Stages", out: Path, scratch: Path, dry: Path | None, dry_run: bool, device: str) -> None:
    """The first call's checks: the machine, the CUDA tests and the throughput table."""
    # env: what the numbers were measured on
    stages.run("env", [*PY, "-c", "import torch, json; from gan_core.core.hardware import describe; "
                       "d = 'cuda' if torch.cuda.is_available() else 'cpu'; print(json.dumps({'device': describe(d), "
                       "'torch': torch.__version__, 'cuda': torch.version.cuda, 'cudnn': torch.backends.cudnn.version(), "
                       "'bf16': torch.cuda.is_available() and torch.cuda.is_bf16_supported()}))"])
    if shutil.which("nvidia-smi"):
        stages.run("nvidia-smi", ["nvidia-smi"])
    stages.run("cuda-tests", [*PY, "-m", "pytest", "-q", "-m", "cuda", "tests/test_cuda.py"], timeout=240)

    # throughput: ours (plain, compiled) against the conventional loop, which reads folders of JPEGs
    faces = dry / "faces" if dry_run else scratch / "faces64"
    if not dry_run and (PACKS / "faces64.zip").exists():
        import io
        import zipfile

        from PIL import Image

        # As JPEG files, the conventional loop's usual input (the pack holds WebP, slower to decode).
        faces.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(PACKS / "faces64.zip") as zf:
            for i, n in enumerate(n for n in zf.namelist() if n.lower().endswith((".jpg", ".webp"))):
                Image.open(io.BytesIO(zf.read(n))).convert("RGB").save(faces / f"{i:05d}.jpg", quality=90)
    bench = [*PY, "bench/train_throughput.py", "--model", "dcgan64", "--data", str(faces), "--batch-size",
             "8" if dry_run else "128", "--steps", "2" if dry_run else "100", "--warmup", "1" if dry_run else "10",
             "--device", device, "--workers", "0" if dry_run else "12", "--json", str(out / "throughput.json")]
    if not dry_run:
        bench.append("--compile")
    stages.run("throughput", bench, timeout=60 if dry_run else 180)


def run(out: Path, dry_run: bool, only: list[str] | None, checks: bool = True) -> int:
    out.mkdir(parents=True, exist_ok=True)
    stages = Stages(out)
    runs = out / "runs"
    scratch = Path(tempfile.mkdtemp(prefix="gpu-day-"))
    dry = stand_in_data(scratch / "data") if dry_run else None
    device = "cpu" if dry_run else "auto"
    print(f"GPU day{' (dry run, on the CPU)' if dry_run else ''}: {platform.node()}, python {platform.python_version()}",
          flush=True)

    if checks:
        measure_machine(stages, out, scratch, dry, dry_run, device)
    # the jobs
    for job in JOBS:
        if only and job.name not in only:
            continue
        missing = [DATA[k].name for k in job.needs if not dry_run and not (PACKS / DATA[k].name).exists()]
        if missing:
            print(f"{job.name:40s} skipped: data_pack/{', data_pack/'.join(missing)} not carried", flush=True)
            stages.rows.append({"stage": job.name, "seconds": 0, "exit": "skipped: no " + ", ".join(missing)})
            continue
        argv = job_argv(job, PACKS, runs, dry)
        if not dry_run:
            argv += ["--time-limit", str(job.seconds)]
        stages.run(job.name, [*GC, *argv])

    # pack what came out: exports and logs, in archives small enough to come back
    (out / "stages.json").write_text(json.dumps(stages.rows, indent=2))
    files = pack_results(out, runs)
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(runs, ignore_errors=True)
    print(f"\n{len(files)} archives under {out}: " + ", ".join(f"{f.name} ({f.stat().st_size / 1e6:.1f} MB)"
                                                          for f in files))
    return 0


def pack_results(out: Path, runs: Path) -> list[Path]:
    """Each run's export/ (its card and weights in float16: `ship --half`, so a run at the
    papers' widths comes back; the card's "storage" says what float16 changed), its log.jsonl
    and last sample grid, and the call's logs, in tar.gz archives of at most MAX_FILE_MB, at
    most MAX_FILES of them."""
    sys.path.insert(0, str(REPO))
    from gan_core.pipelines.shipping import ship_checkpoint

    items: list[tuple[Path, str]] = []
    for run_dir in sorted(p for p in runs.glob("*") if p.is_dir()):
        if not (run_dir / "export").is_dir():
            continue
        half = run_dir / "export-half"
        ship_checkpoint(run_dir / "export", half, half=True)
        for f in sorted(half.glob("*")):
            items.append((f, f"{run_dir.name}/export/{f.name}"))
        for name in ("log.jsonl", "config.json"):
            if (run_dir / name).exists():
                items.append((run_dir / name, f"{run_dir.name}/{name}"))
        grids = sorted((run_dir / "samples").glob("step_*.png"))
        if grids:
            items.append((grids[-1], f"{run_dir.name}/samples/{grids[-1].name}"))
    for f in sorted((out / "logs").glob("*")) + [out / "stages.json", out / "throughput.json"]:
        if f.exists():
            items.append((f, f"logs/{f.name}"))
    archives, current, size = [], None, 0.0
    for path, arcname in items:
        mb = path.stat().st_size / 1e6
        if current is None or size + mb > 0.95 * MAX_FILE_MB:
            if current is not None:
                current.close()
            if len(archives) == MAX_FILES:
                raise RuntimeError(f"more than {MAX_FILES} archives of {MAX_FILE_MB:.0f} MB would be needed")
            archives.append(out / f"gpu-day-{len(archives) + 1}.tar.gz")
            current, size = tarfile.open(archives[-1], "w:gz"), 0.0
        current.add(path, arcname)
        size += mb
    if current is not None:
        current.close()
    for f in (out / "logs").glob("*"):
        f.unlink()
    (out / "logs").rmdir()
    for f in (out / "stages.json", out / "throughput.json"):
        f.unlink(missing_ok=True)
    return archives


def unpack(files: list[Path], to: Path) -> int:
    """Unpack what a call brought back; print each model's card line to grade next."""
    to.mkdir(parents=True, exist_ok=True)
    for f in files:
        with tarfile.open(f) as tar:
            tar.extractall(to, filter="data")
    for card in sorted(to.glob("*/export/model_card.json")):
        c = json.loads(card.read_text())
        t = c.get("training", {})
        print(f"{card.parent.parent.name}: {t.get('steps')} steps in {t.get('wall_time_s')} s on {t.get('hardware')}")
    if (to / "cifar10-dcgan32" / "export").is_dir():
        print(f"probe here (CIFAR-10's test split does not travel): python -m gan_core probe {to}/cifar10-dcgan32 "
              "--data ../shared/data/cifar10/cifar10.tar.gz --write-card")
    print(f"\nnext: python -m gan_core evaluate {to}/<model> (GANs), evaluate-sr (upscalers), then ship what "
          "beats the shipped model (bench/README.md)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="make the data packs here, and check that they travel")
    p.add_argument("--only", nargs="+", choices=list(DATA))
    r = sub.add_parser("run", help="the call: every stage, results packed under --out")
    r.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-day-out")))
    r.add_argument("--dry-run", action="store_true", help="every stage for a few steps on a CPU, stand-in data")
    r.add_argument("--only", nargs="+", choices=[j.name for j in JOBS], help="only these jobs")
    r.add_argument("--no-checks", action="store_true",
                   help="leave out env, the CUDA tests and the throughput table (a second or later call)")
    k = sub.add_parser("shrink", help="(for pack) a folder of photos at a model's working scale, as a zip")
    k.add_argument("src", type=Path)
    k.add_argument("out", type=Path)
    k.add_argument("--max-side", type=int, required=True)
    k = sub.add_parser("subset", help="(for pack) the members of a tar under a prefix, as a .tar.gz")
    k.add_argument("src", type=Path)
    k.add_argument("out", type=Path)
    k.add_argument("prefix")
    sub.add_parser("plan", help="split the jobs into calls whose packs travel, with their device time")
    u = sub.add_parser("unpack", help="unpack what a call brought back")
    u.add_argument("files", nargs="+", type=Path)
    u.add_argument("--to", type=Path, default=REPO / "runs" / "gpu-day")
    args = parser.parse_args(argv)
    if args.command == "pack":
        return pack(args.only)
    if args.command == "run":
        return run(args.out, args.dry_run, args.only, checks=not args.no_checks)
    if args.command == "plan":
        return plan()
    if args.command == "subset":
        subset(args.src, args.out, args.prefix)
        return 0
    if args.command == "shrink":
        shrink(args.src, args.out, args.max_side)
        return 0
    return unpack(args.files, args.to)


if __name__ == "__main__":
    sys.exit(main())
