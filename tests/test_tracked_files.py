"""Every tracked file stays under 10 MB: a Hugging Face Space refuses larger ones pushed
without LFS (the shipped weights are stored as float16 where that keeps them under)."""
from __future__ import annotations

import subprocess

import pytest

from tools.browser import REPO

LIMIT_BYTES = 10 * 10**6


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode().split("\0") if name]


def test_no_tracked_file_is_10_mb_or_more():
    sizes = {name: (REPO / name).stat().st_size for name in tracked_files() if (REPO / name).is_file()}
    assert sizes, "git lists no file"
    too_big = {name: size for name, size in sizes.items() if size >= LIMIT_BYTES}
    assert not too_big, f"files of 10 MB or more (a Space refuses them): {too_big}"
