"""Training jobs for a shared server: one runs at a time, the others wait in line.

The Train tab of the app is a thin view over this module; anything else (a notebook,
another web front end) can drive it the same way.

>>> from gan_core.training.jobs import JobRunner
>>> from gan_core.training.gan import TrainConfig
>>> runner = JobRunner("/tmp/gan-jobs")                                   # doctest: +SKIP
>>> job = runner.submit(TrainConfig(model="dcgan32", data=["shapes"], steps=200))  # doctest: +SKIP
>>> runner.wait(job.id).state                                            # doctest: +SKIP
'finished'

Each job trains in its own folder under the runner's root (a `gan_core.training.loop` run
folder: config, log, samples, state, export/), named by an unguessable id, so one
user's job is reachable only by whoever holds its id. Stopping a job asks the loop
to save a checkpoint and return; `resume` puts it back in line to continue from that
checkpoint. A job folder left alone for `max_age_s` is deleted whole.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from PIL import Image

from gan_core.core.checkpoints import CARD_FILE, STATE_FILE
from gan_core.core.errors import DataError
from gan_core.data.image_set import ImageSet
from gan_core.core.errors import TrainingDiverged
from gan_core.training.gan import TrainConfig, train

log = logging.getLogger(__name__)

MAX_WAITING = 16  # jobs in line behind the running one; more are refused with a message
MAX_HISTORY = 2000  # metric points kept per job (older ones thinned): enough for any curve
MAX_AGE_S = 24 * 3600  # idle job folders are deleted after this long

# Job states. A job goes queued -> running -> finished | stopped | failed; stopped and
# finished jobs can be resumed (queued again); "stopping" is running with a stop asked.
QUEUED, RUNNING, STOPPING, STOPPED, FINISHED, FAILED = "queued", "running", "stopping", "stopped", "finished", "failed"
ACTIVE = (QUEUED, RUNNING, STOPPING)


class QueueFull(RuntimeError):
    """The line of waiting jobs is full; try again later."""


class JobNotFound(KeyError):
    """No job with that id (never made, or deleted after it sat idle)."""


@dataclass
class Job:
    """One training run and what the runner knows of it. Read it through
    `JobRunner.snapshot`, which copies it under the runner's lock."""

    id: str
    folder: Path
    config: TrainConfig
    state: str = QUEUED
    message: str = ""
    step: int = 0
    total: int = 0
    history: list[dict] = field(default_factory=list)  # the loop's metrics, one dict per log step
    sample: Image.Image | None = None  # the latest fixed-noise grid
    created: float = field(default_factory=time.time)
    started: float | None = None  # of the current run (a resume restarts the clock)
    start_step: int = 0  # the step the current run started from
    ended: float | None = None
    dataset: ImageSet | None = field(default=None, repr=False)  # a ready dataset for the first run
    stop_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def export(self) -> Path:
        """The exported checkpoint: generator, discriminator and model card."""
        return self.folder / "export"

    @property
    def has_checkpoint(self) -> bool:
        return (self.export / CARD_FILE).is_file()

    @property
    def can_resume(self) -> bool:
        return self.state in (STOPPED, FINISHED, FAILED) and (self.folder / STATE_FILE).is_file()

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds left at the current run's average pace; None until it has a pace."""
        if self.state not in (RUNNING, STOPPING) or self.started is None or self.step <= self.start_step:
            return None
        pace = (self.step - self.start_step) / max((now or time.time()) - self.started, 1e-9)
        return max(self.total - self.step, 0) / pace


class JobRunner:
    """A line of training jobs served by one worker thread.

    `train_fn` is `gan_core.training.gan.train` (tests pass a stand-in). Jobs run with the
    callbacks of `train`: progress lands in the Job, and a stop request is the
    loop's `abort_fn`."""

    def __init__(self, root: str | Path, max_waiting: int = MAX_WAITING, max_age_s: float = MAX_AGE_S,
                 train_fn: Callable = train):
        self.root = Path(root)
        self.max_waiting = max_waiting
        self.max_age_s = max_age_s
        self._train = train_fn
        self._jobs: dict[str, Job] = {}
        self._line: deque[str] = deque()
        self._running: str | None = None
        self._lock = threading.Condition()
        self._worker: threading.Thread | None = None

    # ------------------------------------------------------------------ asking

    def submit(self, config: TrainConfig, dataset: ImageSet | None = None,
               prepare: Callable[[Path], TrainConfig] | None = None) -> Job:
        """Put a new job in line; its run folder is made here and `config.out` set to it.

        `prepare(folder)`, if given, runs first and returns the config to use: the
        place to copy an uploaded archive into the job's folder. Raises QueueFull."""
        with self._lock:
            self._check_room()
        self._prune()
        job_id = secrets.token_hex(8)
        folder = self.root / job_id
        folder.mkdir(parents=True)
        try:
            if prepare is not None:
                config = prepare(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        config = replace(config, out=str(folder / "run"), resume=False)
        job = Job(job_id, folder / "run", config, total=config.steps or 0, dataset=dataset)
        with self._lock:
            self._check_room()
            self._jobs[job_id] = job
            self._line.append(job_id)
            self._start_worker()
            self._lock.notify_all()
        return job

    def resume(self, job_id: str, steps: int | None = None) -> Job:
        """Queue a stopped, finished or failed job again, to continue from its last
        checkpoint up to `steps` in all (default: the steps it was planned for)."""
        with self._lock:
            job = self._get(job_id)
            if job.state in ACTIVE:
                raise ValueError("this job is already training or waiting to")
            if not job.can_resume:
                raise ValueError("this job has no checkpoint to continue from: start a new one")
            total = steps if steps is not None else job.total
            if total <= job.step:
                raise ValueError(f"the job is at step {job.step}: give more steps than that to continue")
            self._check_room()
            job.config = replace(job.config, steps=total, resume=True)
            job.total, job.state, job.message, job.ended = total, QUEUED, "", None
            job.stop_event.clear()
            self._line.append(job_id)
            self._start_worker()
            self._lock.notify_all()
            return job

    def stop(self, job_id: str) -> Job:
        """Stop a job: a waiting one leaves the line, a running one saves a checkpoint
        and returns at its next step. Stopping an ended job does nothing."""
        with self._lock:
            job = self._get(job_id)
            if job.state == QUEUED:
                self._line.remove(job_id)
                job.state = STOPPED
                job.message = "stopped before it started"
                job.ended = time.time()
            elif job.state == RUNNING:
                job.state = STOPPING
                job.stop_event.set()
            return job

    def snapshot(self, job_id: str) -> Job:
        """A copy of the job, consistent, safe to read while it trains."""
        with self._lock:
            job = self._get(job_id)
            return replace(job, history=list(job.history), dataset=None)

    def position(self, job_id: str) -> int | None:
        """0 while the job trains, k when it is k-th in line (k - 1 jobs wait before it,
        besides the running one); None once it has ended."""
        with self._lock:
            if self._running == job_id:
                return 0
            try:
                return self._line.index(job_id) + 1
            except ValueError:
                return None

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has ended (or `timeout` seconds pass); its snapshot."""
        deadline = None if timeout is None else time.time() + timeout
        with self._lock:
            while self._get(job_id).state in ACTIVE:
                left = None if deadline is None else deadline - time.time()
                if left is not None and left <= 0:
                    break
                self._lock.wait(left)
        return self.snapshot(job_id)

    def checkpoint_zip(self, job_id: str) -> Path:
        """The job's exported checkpoint (weights, model card) and its sample grids,
        zipped for download."""
        job = self.snapshot(job_id)
        if not job.has_checkpoint:
            raise ValueError("no checkpoint yet: one is written every few hundred steps and when a run stops")
        out = job.folder.parent / f"{job.config.name or 'gan'}-step{job.step}.zip"
        if out.is_file() and job.state not in ACTIVE:
            return out  # the same step's checkpoint, zipped already
        tmp = out.with_suffix(".zip.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(job.export.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    zf.write(path, f"{out.stem}/{path.name}")
            for name in ("config.json", "log.jsonl"):
                if (job.folder / name).is_file():
                    zf.write(job.folder / name, f"{out.stem}/run/{name}")
        tmp.replace(out)
        return out

    # ------------------------------------------------------------------ the worker

    def _get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise JobNotFound(job_id)
        return job

    def _check_room(self) -> None:
        if len(self._line) >= self.max_waiting:
            raise QueueFull(f"{len(self._line)} training jobs are already waiting on this server; "
                            "try again in a few minutes")

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._serve, name="gan-jobs", daemon=True)
            self._worker.start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._line:
                    self._lock.wait()
                job_id = self._line.popleft()
                job = self._jobs[job_id]
                self._running = job_id
                job.state, job.started, job.start_step = RUNNING, time.time(), job.step
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running = None
                    job.ended = time.time()
                    self._lock.notify_all()

    def _run(self, job: Job) -> None:
        def progress(step: int, metrics: dict, grid) -> None:
            with self._lock:
                job.step = step
                if metrics:
                    job.total = int(metrics.get("total_steps", job.total))
                    job.history.append({"step": step, **{k: v for k, v in metrics.items() if k != "step"}})
                    if len(job.history) > MAX_HISTORY:
                        job.history = job.history[::2]
                if grid is not None:
                    job.sample = grid

        try:
            result = self._train(job.config, progress_fn=progress, abort_fn=job.stop_event.is_set,
                                 dataset=job.dataset)
        except (TrainingDiverged, DataError, ValueError, FileExistsError, OSError) as exc:
            self._end(job, FAILED, str(exc))
        except Exception as exc:  # a bug, not the user's input: keep serving the others
            log.exception("training job %s failed", job.id)
            self._end(job, FAILED, f"training stopped on an unexpected error: {exc}")
        else:
            state = STOPPED if result.aborted else FINISHED
            with self._lock:
                job.step = result.step
            self._end(job, state, f"stopped at step {result.step}" if result.aborted else
                      f"finished {result.step} steps")
        finally:
            job.dataset = None  # the archive in the job folder rebuilds it for a resume

    def _end(self, job: Job, state: str, message: str) -> None:
        with self._lock:
            job.state, job.message = state, message

    def _prune(self) -> None:
        """Delete job folders idle for longer than max_age_s (never an active job's)."""
        now = time.time()
        with self._lock:
            active = {j.id for j in self._jobs.values() if j.state in ACTIVE}
            for job_id, job in list(self._jobs.items()):
                if job_id not in active and now - (job.ended or job.created) > self.max_age_s:
                    del self._jobs[job_id]
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            try:
                if folder.is_dir() and folder.name not in active and now - folder.stat().st_mtime > self.max_age_s \
                        and folder.name not in self._jobs:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass
