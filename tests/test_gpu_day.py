"""The GPU day's script (bench/gpu_day.py) in its dry run: every stage for a few steps on
the CPU, on stand-in data, its results packed to come back and unpacked again."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import gpu_day  # noqa: E402


def test_the_dry_run_does_every_stage_and_packs_what_comes_back(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "bench/gpu_day.py", "run", "--dry-run", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    archives = sorted(out.glob("*"))
    assert 1 <= len(archives) <= gpu_day.MAX_FILES and all(a.name.endswith(".tar.gz") for a in archives)
    assert all(a.stat().st_size <= gpu_day.MAX_FILE_MB * 1e6 for a in archives)
    back = tmp_path / "back"
    assert gpu_day.unpack(archives, back) == 0
    stages = {row["stage"]: row["exit"] for row in json.loads((back / "logs" / "stages.json").read_text())}
    wanted = ["env", "cuda-tests", "throughput", *[job.name for job in gpu_day.JOBS]]
    assert all(stages.get(name) == 0 for name in wanted), stages
    for job in gpu_day.JOBS:
        card = json.loads((back / job.name / "export" / "model_card.json").read_text())
        assert card["training"]["steps"] == 2 and "storage" in card  # shipped in float16 to travel


def test_a_jobs_dry_arguments_replace_its_data_and_length():
    job = next(j for j in gpu_day.JOBS if j.name == "photo-litesr-x4")
    argv = gpu_day.job_argv(job, Path("/packs"), Path("/runs"), Path("/dry"))
    assert argv.count("--steps") == 1 and argv[argv.index("--steps") + 1] == "2"
    assert argv[argv.index("--data") + 1] == "/dry/photos" and "/packs/bsds500.zip" not in argv
    real = gpu_day.job_argv(job, Path("/packs"), Path("/runs"), None)
    assert real[real.index("--data") + 1] == "/packs/bsds500.zip" and real[real.index("--out") + 1] == "/runs/photo-litesr-x4"
    style = gpu_day.job_argv(next(j for j in gpu_day.JOBS if j.name == "photo2painting-siamese"), Path("/p"),
                             Path("/r"), Path("/d"))
    assert style[style.index("--photos") + 1:style.index("--photos") + 2] == ["/d/photos"]
    assert "/p/bsds500.zip" not in style  # both of the real --photos values went


def test_the_plan_splits_jobs_into_calls_whose_packs_fit():
    mb = {"faces64": 15.0, "cifar10-train": 19.8, "cifar10-frogs": 1.7, "facades64": 8.5, "bsds": 29.5,
          "style-photos": 4.0, "paintings": 9.0}
    calls, too_big = gpu_day.plan_calls(gpu_day.JOBS, 20.0, mb)
    for call in calls:  # each call carries the union of its jobs' packs, within the room
        assert sum(mb[k] for k in {k for job in call for k in job.needs}) <= 20.0
    planned = [job.name for call in calls for job in call]
    assert [job.name for job, _ in too_big] == ["photo-litesr-x4", "photo2painting-siamese"]
    assert [job.name for job in calls[0]] == ["faces-dcgan64", "cifar10-frogs-keras32"]  # first fit, in order
    assert sorted(planned + [job.name for job, _ in too_big]) == sorted(job.name for job in gpu_day.JOBS)
    assert [job.name for job in calls[1]] == ["cifar10-dcgan32"]  # 19.8 + 15 would not fit
    assert [job.name for job in calls[2]] == ["facades-dcgan64"]
    everything, none_left = gpu_day.plan_calls(gpu_day.JOBS, 200.0, mb)
    assert len(everything) == 1 and not none_left
