"""Models trained in the Train tab, handed to the other tabs.

"Use in Explore" copies a job's exported checkpoint here under a name no one can
guess (`trained-<job id>-<step>`), so it is a snapshot: the job may train on while
the copy is explored. Every page lists the snapshots the server keeps (`available`),
so a link or a reload naming one opens it, for a day after it was made (MAX_AGE_S,
like the app's other files and the Train tab's idle runs); after that it is deleted.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from gan_core.core.checkpoints import CARD_FILE

ROOT = Path(tempfile.gettempdir()) / "gan-studio-trained"
NAME = re.compile(r"^trained-[0-9a-f]{16}-\d{1,9}$")
MAX_AGE_S = 24 * 3600  # how long a snapshot is kept; the Train tab says so
LABEL_LIMIT = 60


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


def label(name: str) -> str:
    """What a model list shows for a trained model: its run's name (from its card) and step."""
    try:
        card = json.loads((ROOT / name / CARD_FILE).read_text())
    except (OSError, ValueError):
        card = {}
    run = card.get("name") if isinstance(card, dict) and isinstance(card.get("name"), str) else ""
    step = name.rsplit("-", 1)[-1]  # the name holds the step it was taken at
    run = " ".join(run.split())[:LABEL_LIMIT] or "a model"
    return f"Trained here: {run} (step {step})"


def available() -> list[tuple[str, str]]:
    """(label, name) of every trained model the server keeps, newest first: the choices a
    page adds to its model lists, so links and reloads naming one open it."""
    _prune()
    try:
        folders = [f for f in ROOT.iterdir() if NAME.match(f.name) and (f / CARD_FILE).is_file()]
    except OSError:
        return []
    def made(folder: Path) -> float:
        try:
            return folder.stat().st_mtime
        except OSError:
            return 0.0
    return [(label(f.name), f.name) for f in sorted(folders, key=made, reverse=True)]


def _prune() -> None:
    now = time.time()
    try:
        folders = list(ROOT.iterdir())
    except OSError:
        return
    for folder in folders:
        try:
            if now - folder.stat().st_mtime > MAX_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass
