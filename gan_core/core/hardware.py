"""Which device to run on, how many CPU threads to use, and how to name it in a model card."""
from __future__ import annotations

import math
import os
import platform
from pathlib import Path

import torch


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but PyTorch sees no CUDA GPU")
    return device


def _v2_quota(cpu_max: Path) -> float | None:
    """CPUs' worth of time from a cgroup v2 `cpu.max` ("200000 100000"); None for "max" or no file."""
    try:
        quota, period = (cpu_max.read_text().split() + ["100000"])[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def _v1_quota(group: Path) -> float | None:
    """The same from cgroup v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us`; -1 means no limit."""
    try:
        quota = int((group / "cpu.cfs_quota_us").read_text())
        return None if quota <= 0 else quota / int((group / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError, ZeroDivisionError):
        return None


def usable_cpus(cgroup_root: str | Path = "/sys/fs/cgroup", proc_cgroup: str | Path = "/proc/self/cgroup") -> int:
    """How many CPUs this process can really keep busy: the smaller of its affinity mask and its
    container's CPU quota, rounded down, at least 1.

    A container's quota (Docker's `--cpus`, a Hugging Face Space's 2 vCPUs on a bigger host) limits
    time, not visible cores, so `os.cpu_count()` and PyTorch's default thread count see the whole
    host; one thread per host core then fights over two cores' worth of time and runs slower than
    two threads would."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    root = Path(cgroup_root)
    limits = []
    # cgroup v2: the process's own group and every ancestor up to the root can each set cpu.max;
    # cgroup v1 (a line "N:cpu,cpuacct:/path") keeps them under the cpu controller's own mount.
    groups = {"v2": "", "v1": ""}
    try:
        for line in Path(proc_cgroup).read_text().splitlines():
            _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
            if controllers == "":
                groups["v2"] = path.strip()
            elif "cpu" in controllers.split(","):
                groups["v1"] = path.strip()
    except OSError:
        pass
    for version, group in groups.items():
        parts = [p for p in group.split("/") if p]
        for depth in range(len(parts), -1, -1):
            if version == "v2":
                limits.append(_v2_quota(root.joinpath(*parts[:depth], "cpu.max")))
            else:
                limits += [_v1_quota(root.joinpath(mount, *parts[:depth])) for mount in ("cpu", "cpu,cpuacct")]
    quota = min((q for q in limits if q is not None), default=None)
    if quota is not None:
        # Rounded down: one thread more than the quota gets the whole lockstep group throttled.
        cores = min(cores, max(1, math.floor(quota)))
    return max(1, cores)


def limit_torch_threads() -> int:
    """Give PyTorch as many intra-op threads as `usable_cpus()`, unless OMP_NUM_THREADS or
    MKL_NUM_THREADS already says; returns the thread count in force."""
    if not (os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS")):
        n = usable_cpus()
        if torch.get_num_threads() > n:
            torch.set_num_threads(n)
    return torch.get_num_threads()


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(device: torch.device | str, note: str | None = None) -> str:
    """E.g. 'NVIDIA H200' or '2-core CPU (AMD EPYC)'; a `note` follows after a comma
    ('NVIDIA H200, shared with other training')."""
    device = torch.device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        world = int(os.environ.get("WORLD_SIZE", "1"))
        line = f"{world} x {name}" if world > 1 else name
    elif device.type == "mps":
        line = "Apple GPU (MPS)"
    else:
        line = f"{usable_cpus()}-core CPU ({cpu_name()})"
    return f"{line}, {note}" if note else line
