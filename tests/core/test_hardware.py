"""How many CPU threads the app and the command line give PyTorch, read from cgroup files made here."""
import os

import pytest
import torch

from gan_core.core import hardware
from gan_core.core.hardware import limit_torch_threads, usable_cpus


@pytest.fixture
def many_cores(monkeypatch):
    # As in a container on a big host: the affinity mask shows all 16 host cores.
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)


def _cgroup(tmp_path, lines):
    proc = tmp_path / "proc_cgroup"
    proc.write_text("".join(line + "\n" for line in lines))
    return tmp_path / "cg", proc


def test_a_v2_quota_of_two_cpus_gives_two_threads_on_a_16_core_host(tmp_path, many_cores):
    root, proc = _cgroup(tmp_path, ["0::/"])
    root.mkdir()
    (root / "cpu.max").write_text("200000 100000\n")
    assert usable_cpus(root, proc) == 2


def test_no_quota_leaves_the_affinity_mask(tmp_path, many_cores):
    root, proc = _cgroup(tmp_path, ["0::/"])
    root.mkdir()
    (root / "cpu.max").write_text("max 100000\n")
    assert usable_cpus(root, proc) == 16
    assert usable_cpus(tmp_path / "no-cgroups", tmp_path / "no-proc-file") == 16


def test_a_fractional_quota_rounds_down_but_never_to_zero(tmp_path, many_cores):
    root, proc = _cgroup(tmp_path, ["0::/"])
    root.mkdir()
    (root / "cpu.max").write_text("250000 100000\n")
    assert usable_cpus(root, proc) == 2
    (root / "cpu.max").write_text("50000 100000\n")
    assert usable_cpus(root, proc) == 1


def test_the_tightest_quota_on_the_way_up_a_nested_v2_group_wins(tmp_path, many_cores):
    root, proc = _cgroup(tmp_path, ["0::/kubepods/pod1/app"])
    (root / "kubepods" / "pod1" / "app").mkdir(parents=True)
    (root / "cpu.max").write_text("max 100000\n")
    (root / "kubepods" / "pod1" / "cpu.max").write_text("300000 100000\n")
    (root / "kubepods" / "pod1" / "app" / "cpu.max").write_text("max 100000\n")
    assert usable_cpus(root, proc) == 3


def test_a_v1_cfs_quota_is_read_and_minus_one_means_none(tmp_path, many_cores):
    root, proc = _cgroup(tmp_path, ["2:cpu,cpuacct:/", "0::/"])
    v1 = root / "cpu,cpuacct"
    v1.mkdir(parents=True)
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    (v1 / "cpu.cfs_quota_us").write_text("400000\n")
    assert usable_cpus(root, proc) == 4
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")
    assert usable_cpus(root, proc) == 16


def test_an_affinity_mask_smaller_than_the_quota_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    root, proc = _cgroup(tmp_path, ["0::/"])
    root.mkdir()
    (root / "cpu.max").write_text("800000 100000\n")
    assert usable_cpus(root, proc) == 1


@pytest.fixture
def one_usable_cpu(monkeypatch):
    """usable_cpus() says 1, no thread variable is set, and torch's own count comes back after."""
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setattr(hardware, "usable_cpus", lambda: 1)
    yield
    torch.set_num_threads(before)


def test_torch_gets_the_usable_count_unless_the_environment_says(one_usable_cpu, monkeypatch):
    torch.set_num_threads(3)
    assert limit_torch_threads() == 1 and torch.get_num_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    torch.set_num_threads(3)
    assert limit_torch_threads() == 3  # the operator's own setting stands


def test_every_command_line_caps_torch_threads_before_it_runs(one_usable_cpu, capsys):
    from gan_core.cli import main

    torch.set_num_threads(2)
    assert main(["info"]) == 0
    assert torch.get_num_threads() == 1


def test_the_hardware_line_of_a_model_card_counts_usable_cores(monkeypatch):
    monkeypatch.setattr(hardware, "usable_cpus", lambda: 2)
    assert hardware.describe("cpu").startswith("2-core CPU (")


def test_a_hardware_note_follows_the_hardware_after_a_comma(monkeypatch):
    monkeypatch.setattr(hardware, "usable_cpus", lambda: 2)
    monkeypatch.setattr(hardware, "cpu_name", lambda: "Test CPU")
    assert hardware.describe("cpu", "shared with other training") == "2-core CPU (Test CPU), shared with other training"
    assert hardware.describe("cpu", None) == hardware.describe("cpu", "") == "2-core CPU (Test CPU)"
