"""What every command of `python -m gan_core` shares: the command line for a card, and
the run-folder plumbing of the training commands (resume, dry run, progress bars)."""
from __future__ import annotations

import json
import shlex
import tempfile
from pathlib import Path
from typing import Callable

PROG = "python -m gan_core"


def command_line(argv: list[str]) -> str:
    """The command as typed, `python -m gan_core COMMAND ...`, for a model card or a report;
    `argv` is everything after `python -m gan_core`."""
    return " ".join([PROG, *(shlex.quote(a) for a in argv)])


def resumed_config(args, config_class):
    """The run's own configuration when --resume finds one in --out (marked resume=True),
    else None: the command builds a fresh one. Refuses a run without --out (but a dry run)."""
    if not args.out and not args.dry_run:
        raise ValueError("--out is required: the run folder to write (or resume)")
    cfg_file = Path(args.out or ".") / "config.json"
    if not (args.resume and cfg_file.exists()):
        return None
    cfg = config_class.from_dict(json.loads(cfg_file.read_text()))
    cfg.resume = True
    return cfg


def add_time_limit(parser) -> None:
    """`--time-limit SECONDS` on a training command (see time_limit)."""
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="stop after this many seconds of training, with a checkpoint and the export written "
                             "(--resume goes on); the steps planned stay the run's length")


def time_limit(seconds: float | None) -> Callable[[], bool] | None:
    """An abort_fn for the training loop that says stop once `seconds` have passed since
    it was made (None: no limit). The loop then saves a checkpoint and the export."""
    import time

    if seconds is None:
        return None
    if not 0 < seconds <= 7 * 86400:
        raise ValueError(f"--time-limit must be a number of seconds from 0 to a week, not {seconds:g}")
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline


def dry_run_folder(cfg) -> tempfile.TemporaryDirectory:
    """Point `cfg` at a fresh temporary folder for a 2-step run that logs, samples and
    checkpoints every step; the caller cleans the folder up."""
    tmp = tempfile.TemporaryDirectory(prefix="gan_core-dry-run-")
    cfg.out, cfg.steps, cfg.resume = tmp.name, 2, False
    cfg.log_every = cfg.sample_every = cfg.checkpoint_every = 1
    return tmp


def data_progress_bar(desc: str) -> Callable[[int, int], None]:
    """A `data_progress(done, total)` callback drawing a tqdm bar of images, which goes
    away when the data is ready."""
    from tqdm import tqdm

    bar = None

    def data_progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit="img", leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return data_progress


def finish_run(result, dry_run: tempfile.TemporaryDirectory | None, what: str) -> None:
    """Print how a training command ended: a dry run's metrics (its folder is removed), or
    a run's steps, time, run folder and model. `what` is what trained ("dcgan64")."""
    if dry_run is not None:
        print(f"dry run ok: 2 steps of {what}, metrics {json.dumps(result.metrics)}")
        dry_run.cleanup()
    else:
        print(f"{result.step} steps in {result.wall_time_s / 60:.1f} min; run folder {result.out}; "
              f"model: {result.out / 'export'}")
