"""Models trained in the Train tab, handed to the other tabs.

"Use in Explore" copies a job's exported checkpoint here under a name no one can
guess (`trained-<job id>-<step>`), so it is a snapshot: the job may train on while
the copy is explored. Only the session that trained it gets the name in its model
lists; anyone holding a link with the name can open it while the server keeps it
(a day, like the app's other files).
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

from gan_core.core.checkpoints import CARD_FILE

ROOT = Path(tempfile.gettempdir()) / "gan-studio-trained"
NAME = re.compile(r"^trained-[0-9a-f]{16}-\d{1,9}$")
MAX_AGE_S = 24 * 3600


def is_trained(name: object) -> bool:
    return isinstance(name, str) and bool(NAME.match(name)) and (ROOT / name / CARD_FILE).is_file()


def path(name: str) -> Path:
    """The checkpoint folder of a trained model's name (check is_trained first)."""
    if not NAME.match(name):
        raise ValueError(f"not a trained model's name: {name!r}")
    return ROOT / name


def publish(export: Path, job_id: str, step: int) -> str:
    """Copy a job's export folder (weights + card) here; its model name."""
    name = f"trained-{job_id}-{step}"
    dest = ROOT / name
    if not (dest / CARD_FILE).is_file():
        tmp = ROOT / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(export, tmp, ignore=shutil.ignore_patterns(".*"))
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    _prune()
    return name


def _prune() -> None:
    now = time.time()
    for folder in ROOT.iterdir():
        try:
            if now - folder.stat().st_mtime > MAX_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass
