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

The registry survives a restart: every job (id, owner, config, state, times, step,
message) is a row of a SQLite database in the root (`jobs.sqlite3`, WAL mode). A new
runner on the same root reattaches them: a job that was waiting or training when the
server stopped is "stopped" at its last checkpoint, and its owner can resume it.

On a shared server a runner can bound what one request asks for (`max_work`: steps x
batch x the networks' multiply-adds, see `work_of` and `work_budget`), keep one active
job per owner, and stop jobs whose owner has not been seen (`touch`) for
`idle_timeout_s`, so a client that never looks at its job does not hold the line.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import secrets
import shutil
import sqlite3
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
from gan_core.models import get_model
from gan_core.training.gan import TrainConfig, train
from gan_core.training.loop import REAL_SAMPLE_FILE

log = logging.getLogger(__name__)

MAX_WAITING = 16  # jobs in line behind the running one; more are refused with a message
MAX_HISTORY = 2000  # metric points kept per job (older ones thinned): enough for any curve
MAX_AGE_S = 24 * 3600  # idle job folders are deleted after this long
DB_FILE = "jobs.sqlite3"  # the registry, in the runner's root
SAVE_STEP_EVERY_S = 5.0  # a training job's step reaches the database at most this often

# The work a request may ask for on a shared server, in multiply-adds (see `work_of`):
# about an hour of the machine. A training step costs a forward and a backward pass
# (about 3 forwards) of G on the batch and of D on the real and the generated batch.
TRAIN_PASSES = 3
BUDGET_HOURS = 1.0
# Sustained multiply-adds a second on the nets trained here. On a 2-thread x86 CPU, dcgan64
# at width 1/2 and batch 64 trained at about 3e10 a thread (measured with `work_of`); a
# data-centre GPU (bf16, these small convolutions) is taken at 1e13 (an estimate, not measured).
CPU_MACS_PER_S_PER_THREAD = 2.5e10
GPU_MACS_PER_S = 1e13

# Job states. A job goes queued -> running -> finished | stopped | failed; stopped and
# finished jobs can be resumed (queued again); "stopping" is running with a stop asked.
QUEUED, RUNNING, STOPPING, STOPPED, FINISHED, FAILED = "queued", "running", "stopping", "stopped", "finished", "failed"
ACTIVE = (QUEUED, RUNNING, STOPPING)


class QueueFull(RuntimeError):
    """The line of waiting jobs is full; try again later."""


class JobNotFound(KeyError):
    """No job with that id (never made, or deleted after it sat idle)."""


class TooMuchWork(ValueError):
    """A job asks for more computing than this server gives one request."""


@functools.lru_cache(maxsize=64)
def net_macs(model: str, width: float) -> tuple[int, int]:
    """Multiply-adds of one image through G and through D at `width`, counted by forward
    hooks on the nets built on the meta device (no memory, no arithmetic); once per
    architecture and width."""
    import torch
    from torch import nn

    layers = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.Linear)
    counts = [0]

    def count(module, inputs, output) -> None:
        k = module.weight[0, 0].numel() if module.weight.dim() > 2 else 1
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            counts[0] += inputs[0].numel() * module.out_channels // module.groups * k
        elif isinstance(module, (nn.Conv1d, nn.Conv2d)):
            counts[0] += output.numel() * module.in_channels // module.groups * k
        else:
            counts[0] += output.numel() * module.in_features

    spec = get_model(model).scaled(width)
    result = []
    with torch.device("meta"), torch.no_grad():
        x = torch.zeros(1, *spec.noise_shape)
        for net in (spec.build_generator(), spec.build_discriminator()):
            counts[0] = 0
            hooks = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, layers)]
            x = net(x)
            for h in hooks:
                h.remove()
            result.append(counts[0])
    return result[0], result[1]


def work_of(config: TrainConfig, steps: int | None = None) -> float:
    """The multiply-adds `steps` training steps (default: the config's) cost: steps x
    batch x TRAIN_PASSES x (G + 2 D), D seeing a real and a generated batch."""
    steps = (config.steps or 0) if steps is None else steps
    g, d = net_macs(config.model, config.width)
    return float(steps) * config.hyperparameters()["batch_size"] * TRAIN_PASSES * (g + 2 * d)


def work_budget(on_gpu: bool | None = None, hours: float = BUDGET_HOURS) -> float:
    """What one request may ask for on this machine: `hours` of its multiply-adds
    (GPU_MACS_PER_S with CUDA, else CPU_MACS_PER_S_PER_THREAD x torch's threads)."""
    import torch

    if on_gpu is None:
        on_gpu = torch.cuda.is_available()
    rate = GPU_MACS_PER_S if on_gpu else CPU_MACS_PER_S_PER_THREAD * torch.get_num_threads()
    return rate * hours * 3600


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
    owner: str = ""  # who may see and resume it (the app: a key its browser keeps)
    last_seen: float = field(default_factory=time.time)  # the owner's last look (`JobRunner.touch`)
    dataset: ImageSet | None = field(default=None, repr=False)  # a ready dataset for the first run
    stop_event: threading.Event = field(default_factory=threading.Event, repr=False)
    unseen: bool = field(default=False, repr=False)  # stopped because its owner was gone
    saved_at: float = field(default=0.0, repr=False)  # when its step last reached the database

    @property
    def export(self) -> Path:
        """The exported checkpoint: generator, discriminator and model card."""
        return self.folder / "export"

    @property
    def real_sample(self) -> Path | None:
        """The grid of training images the run set beside its samples, once it has one."""
        path = self.folder / "samples" / REAL_SAMPLE_FILE
        return path if path.is_file() else None

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
    """A line of training jobs served by one worker thread, its registry kept in
    `root/jobs.sqlite3`.

    `train_fn` is `gan_core.training.gan.train` (tests pass a stand-in). Jobs run with the
    callbacks of `train`: progress lands in the Job, and a stop request is the
    loop's `abort_fn`. For a shared server: `max_work` bounds the multiply-adds one
    submit or resume asks for (a number, or a function giving it; None: unbounded; see
    `work_budget`), `one_per_owner`
    refuses a second active job of the same owner, and `idle_timeout_s` stops a job
    (after a checkpoint) whose owner has not called `touch` for that long (None: never).
    `clock` is time.time (tests pass a fake one)."""

    def __init__(self, root: str | Path, max_waiting: int = MAX_WAITING, max_age_s: float = MAX_AGE_S,
                 train_fn: Callable = train, *, max_work: float | Callable[[], float] | None = None, one_per_owner: bool = False,
                 idle_timeout_s: float | None = None, clock: Callable[[], float] = time.time):
        self.root = Path(root)
        self.max_waiting = max_waiting
        self.max_age_s = max_age_s
        self.max_work = max_work
        self.one_per_owner = one_per_owner
        self.idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._train = train_fn
        self._jobs: dict[str, Job] = {}
        self._line: deque[str] = deque()
        self._running: str | None = None
        self._lock = threading.Condition()
        self._worker: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        if (self.root / DB_FILE).is_file():
            self._reattach()

    # ------------------------------------------------------------------ asking

    def submit(self, config: TrainConfig, dataset: ImageSet | None = None,
               prepare: Callable[[Path], TrainConfig] | None = None, owner: str = "") -> Job:
        """Put a new job in line; its run folder is made here and `config.out` set to it.

        `prepare(folder)`, if given, runs first and returns the config to use: the
        place to copy an uploaded archive into the job's folder. Raises QueueFull
        (the line is full, or `owner` has a job training or waiting) or TooMuchWork."""
        self._check_work(config, config.steps or 0)
        with self._lock:
            self._expire_unseen()
            self._check_room(owner)
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
        now = self._clock()
        job = Job(job_id, folder / "run", config, total=config.steps or 0, dataset=dataset, owner=owner,
                  created=now, last_seen=now)
        with self._lock:
            try:
                self._check_room(owner)
            except QueueFull:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._jobs[job_id] = job
            self._line.append(job_id)
            self._save(job)
            self._start_worker()
            self._lock.notify_all()
        return job

    def resume(self, job_id: str, steps: int | None = None) -> Job:
        """Queue a stopped, finished or failed job again, to continue from its last
        checkpoint up to `steps` in all (default: the steps it was planned for)."""
        with self._lock:
            self._expire_unseen()
            job = self._get(job_id)
            if job.state in ACTIVE:
                raise ValueError("this job is already training or waiting to")
            if not job.can_resume:
                raise ValueError("this job has no checkpoint to continue from: start a new one")
            total = steps if steps is not None else job.total
            if total <= job.step:
                raise ValueError(f"the job is at step {job.step}: give more steps than that to continue")
            self._check_work(job.config, total - job.step)
            self._check_room(job.owner)
            job.config = job.config.lengthened(total)
            job.total, job.state, job.message, job.ended = total, QUEUED, "", None
            job.last_seen, job.unseen = self._clock(), False
            job.stop_event.clear()
            self._line.append(job_id)
            self._save(job)
            self._start_worker()
            self._lock.notify_all()
            return job

    def stop(self, job_id: str) -> Job:
        """Stop a job: a waiting one leaves the line, a running one saves a checkpoint
        and returns at its next step. Stopping an ended job does nothing."""
        with self._lock:
            job = self._get(job_id)
            self._stop(job, "stopped before it started")
            return job

    def touch(self, job_id: str) -> None:
        """The owner looked at the job (the app: its page's timer): it is not abandoned."""
        with self._lock:
            self._get(job_id).last_seen = self._clock()
            self._expire_unseen()

    def jobs_of(self, owner: str) -> list[str]:
        """The ids of `owner`'s jobs, the newest first (none for an empty owner)."""
        with self._lock:
            mine = [j for j in self._jobs.values() if owner and j.owner == owner]
            return [j.id for j in sorted(mine, key=lambda j: j.created, reverse=True)]

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

    def close(self) -> None:
        """Close the database (a later write opens it again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ------------------------------------------------------------------ limits

    def _check_work(self, config: TrainConfig, steps: int) -> None:
        limit = self.max_work() if callable(self.max_work) else self.max_work
        if limit is None:
            return
        config.check()  # a ValueError naming a bad setting, before it is costed
        work = work_of(config, steps)
        if work > limit:
            raise TooMuchWork(
                f"{steps:,} steps of {config.model} at batch size {config.hyperparameters()['batch_size']} and "
                f"width {config.width:g} are {work / limit:.1f} times the computing one run may use on this "
                f"server: lower the steps, the batch size or the network width "
                f"(to {max(int(steps * limit / work), 1):,} steps, say)")

    def _check_room(self, owner: str = "") -> None:
        if len(self._line) >= self.max_waiting:
            raise QueueFull(f"{len(self._line)} training jobs are already waiting on this server; "
                            "try again in a few minutes")
        if self.one_per_owner and owner and any(
                j.owner == owner and j.state in ACTIVE for j in self._jobs.values()):
            raise QueueFull("you already have a run training or waiting: stop it before starting another")

    def _stop(self, job: Job, queued_message: str) -> None:
        if job.state == QUEUED:
            self._line.remove(job.id)
            job.state, job.message, job.ended = STOPPED, queued_message, self._clock()
            self._save(job)
            self._lock.notify_all()
        elif job.state == RUNNING:
            job.state = STOPPING
            job.stop_event.set()
            self._save(job)

    def _expire_unseen(self) -> None:
        """Stop the active jobs whose owner has not looked for idle_timeout_s (a running
        one after its checkpoint). Called with the lock held."""
        if self.idle_timeout_s is None:
            return
        now = self._clock()
        for job in list(self._jobs.values()):
            if job.state in (QUEUED, RUNNING) and now - job.last_seen > self.idle_timeout_s:
                job.unseen = True
                self._stop(job, self._unseen_message(job.step))

    def _unseen_message(self, step: int) -> str:
        minutes = self.idle_timeout_s / 60
        return (f"stopped at step {step}: its page was not open for {minutes:g} minute{'s' if minutes != 1 else ''} "
                "(a run trains while its page is open)")

    # ------------------------------------------------------------------ the registry

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.root.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.root / DB_FILE, check_same_thread=False, isolation_level=None, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, config TEXT NOT NULL, "
                         "state TEXT NOT NULL, message TEXT NOT NULL, step INTEGER NOT NULL, total INTEGER NOT NULL, "
                         "created REAL NOT NULL, updated REAL NOT NULL, ended REAL, last_seen REAL NOT NULL)")
            self._conn = conn
        return self._conn

    def _save(self, job: Job) -> None:
        """Write the job's row (called with the lock held)."""
        now = self._clock()
        job.saved_at = now
        self._db().execute(
            "INSERT OR REPLACE INTO jobs (id, owner, config, state, message, step, total, created, updated, ended, "
            "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job.id, job.owner, json.dumps(dataclasses.asdict(job.config)), job.state, job.message, job.step,
             job.total, job.created, now, job.ended, job.last_seen))

    def _reattach(self) -> None:
        """Load the registry: jobs that were waiting or training when the last server
        stopped are stopped at their last checkpoint (resumable when they have one)."""
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        rows = self._db().execute("SELECT id, owner, config, state, message, step, total, created, ended, last_seen "
                                  "FROM jobs").fetchall()
        now = self._clock()
        for job_id, owner, config, state, message, step, total, created, ended, last_seen in rows:
            folder = self.root / job_id / "run"
            try:
                config = TrainConfig(**{k: v for k, v in json.loads(config).items() if k in known})
            except (TypeError, ValueError):
                config = None
            if config is None or not folder.parent.is_dir():
                self._db().execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                continue
            job = Job(job_id, folder, config, state=state, message=message, step=step, total=total, created=created,
                      ended=ended, owner=owner, last_seen=last_seen)
            checkpoint = _checkpoint_step(folder)
            if state in ACTIVE:
                job.step = checkpoint if checkpoint is not None else 0
                job.state, job.ended = STOPPED, now
                job.message = f"stopped at step {job.step} when the server restarted"
            elif checkpoint is not None and state != FINISHED:
                job.step = checkpoint
            job.history = _read_history(folder, job.step)
            job.sample = _latest_sample(folder, job.step)
            self._jobs[job_id] = job
            self._save(job)

    # ------------------------------------------------------------------ the worker

    def _get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise JobNotFound(job_id)
        return job

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._serve, name="gan-jobs", daemon=True)
            self._worker.start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._expire_unseen()
                while not self._line:
                    self._lock.wait()
                    self._expire_unseen()
                job_id = self._line.popleft()
                job = self._jobs[job_id]
                self._running = job_id
                job.state, job.started, job.start_step = RUNNING, time.time(), job.step
                self._save(job)
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running = None
                    job.ended = self._clock()
                    self._save(job)
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
                self._expire_unseen()
                if self._clock() - job.saved_at > SAVE_STEP_EVERY_S:
                    self._save(job)

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
            message = f"finished {result.step} steps"
            if result.aborted:
                message = self._unseen_message(result.step) if job.unseen else f"stopped at step {result.step}"
            self._end(job, state, message)
        finally:
            job.dataset = None  # the archive in the job folder rebuilds it for a resume

    def _end(self, job: Job, state: str, message: str) -> None:
        with self._lock:
            job.state, job.message = state, message
            self._save(job)

    def _prune(self) -> None:
        """Delete jobs (folder and row) left alone for longer than max_age_s (never an
        active one's), and folders of jobs this registry does not know."""
        now = self._clock()
        with self._lock:
            active = {j.id for j in self._jobs.values() if j.state in ACTIVE}
            for job_id, job in list(self._jobs.items()):
                if job_id not in active and now - max(job.ended or job.created, job.last_seen) > self.max_age_s:
                    del self._jobs[job_id]
                    if self._conn is not None:
                        self._conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                    shutil.rmtree(self.root / job_id, ignore_errors=True)
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            try:
                if folder.is_dir() and folder.name not in active and now - folder.stat().st_mtime > self.max_age_s \
                        and folder.name not in self._jobs:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass


def _checkpoint_step(run: Path) -> int | None:
    """The step of the run folder's training state (read from its header), or None."""
    from safetensors import safe_open

    try:
        with safe_open(str(run / STATE_FILE), "pt") as f:
            return int(json.loads(f.metadata()["state"])["info"]["step"])
    except Exception:  # no state, or not a readable one: nothing to resume
        return None


def _read_history(run: Path, step: int) -> list[dict]:
    """The curve points of log.jsonl up to `step` (a reattached job's curves)."""
    history = []
    try:
        lines = (run / "log.jsonl").read_text().splitlines()
    except OSError:
        return history
    for line in lines:
        try:
            point = json.loads(line)
        except ValueError:
            continue
        if isinstance(point, dict) and isinstance(point.get("step"), int) and point["step"] <= step:
            history.append(point)
    return history[-MAX_HISTORY:]


def _latest_sample(run: Path, step: int) -> Image.Image | None:
    grids = sorted(p for p in (run / "samples").glob("step_*.png") if p.stem[5:].isdigit() and int(p.stem[5:]) <= step)
    if not grids:
        return None
    try:
        with Image.open(grids[-1]) as im:
            return im.convert("RGB")
    except OSError:
        return None
