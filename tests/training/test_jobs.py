"""The training-job line of a shared server (gan_core.training.jobs)."""
from __future__ import annotations

import json
import threading
import time
import zipfile
from dataclasses import replace

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import STATE_FILE, read_tensors
from gan_core.core.errors import DataError
from gan_core.training.jobs import (
    FAILED, FINISHED, QUEUED, RUNNING, STOPPED, JobNotFound, JobRunner, QueueFull, TooMuchWork, net_macs, work_budget,
    work_of,
)
from gan_core.training.gan import TrainConfig, train
from gan_core.training.loop import TrainResult


class FakeTrain:
    """Stands in for gan_core.training.gan.train: steps until told to go on, obeys abort_fn."""

    def __init__(self, steps_per_call: int = 5):
        self.go = threading.Event()
        self.calls: list[TrainConfig] = []
        self.steps_per_call = steps_per_call

    def __call__(self, config, progress_fn=None, abort_fn=None, dataset=None):
        self.calls.append(config)
        start = 0 if not config.resume else self.last_step
        step = start
        while step < config.steps:
            if abort_fn():
                break
            if not self.go.wait(0.01):
                continue
            step += 1
            time.sleep(0.002)  # a step takes time, so a stop lands mid-run
            progress_fn(step, {"loss_d": 1.0, "loss_g": 2.0, "d_x": 0.6, "d_g_z1": 0.4, "total_steps": config.steps},
                        None)
        self.last_step = step
        return TrainResult(config.out, step, {}, aborted=step < config.steps)


def _until(pred, timeout=10.0):
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_one_job_at_a_time_the_rest_wait_with_their_place(tmp_path):
    fake = FakeTrain()
    runner = JobRunner(tmp_path, train_fn=fake)
    a = runner.submit(TrainConfig(model="dcgan32", steps=3))
    b = runner.submit(TrainConfig(model="dcgan32", steps=3))
    c = runner.submit(TrainConfig(model="dcgan32", steps=3))
    _until(lambda: runner.snapshot(a.id).state == RUNNING)
    assert [runner.position(j.id) for j in (a, b, c)] == [0, 1, 2]
    assert runner.snapshot(b.id).state == QUEUED
    # Each job has its own folder under the root.
    assert len({runner.snapshot(j.id).folder for j in (a, b, c)}) == 3
    fake.go.set()
    for j in (a, b, c):
        assert runner.wait(j.id, timeout=10).state == FINISHED
    assert [cfg.out for cfg in fake.calls] == [str(runner.snapshot(j.id).folder) for j in (a, b, c)]
    assert runner.position(a.id) is None


def test_stop_running_and_queued_jobs_and_resume(tmp_path):
    fake = FakeTrain()
    runner = JobRunner(tmp_path, train_fn=fake)
    a = runner.submit(TrainConfig(model="dcgan32", steps=1000))
    b = runner.submit(TrainConfig(model="dcgan32", steps=10))
    _until(lambda: runner.snapshot(a.id).state == RUNNING)
    runner.stop(b.id)  # a waiting job leaves the line at once and never trains
    assert runner.snapshot(b.id).state == STOPPED
    fake.go.set()
    _until(lambda: runner.snapshot(a.id).step >= 3)
    runner.stop(a.id)
    done = runner.wait(a.id, timeout=10)
    assert done.state == STOPPED and 3 <= done.step < 1000
    assert len(fake.calls) == 1  # b was never trained
    assert done.history and done.history[-1]["loss_g"] == 2.0


def test_resume_needs_a_checkpoint_and_more_steps(tmp_path):
    fake = FakeTrain()
    fake.go.set()
    runner = JobRunner(tmp_path, train_fn=fake)
    job = runner.submit(TrainConfig(model="dcgan32", steps=4))
    assert runner.wait(job.id, timeout=10).state == FINISHED
    with pytest.raises(ValueError, match="no checkpoint"):
        runner.resume(job.id, steps=8)  # the fake wrote no training state
    folder = runner.snapshot(job.id).folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state.safetensors").write_bytes(b"x")
    with pytest.raises(ValueError, match="more steps"):
        runner.resume(job.id, steps=4)
    runner.resume(job.id, steps=8)
    done = runner.wait(job.id, timeout=10)
    assert done.state == FINISHED and done.step == 8
    assert fake.calls[-1].resume and fake.calls[-1].steps == 8


def test_a_failing_job_reports_and_the_next_one_still_runs(tmp_path):
    def train_fn(config, progress_fn=None, abort_fn=None, dataset=None):
        if config.name == "bad":
            raise DataError("no images found in the upload")
        if config.name == "bug":
            raise ZeroDivisionError("oops")
        return TrainResult(config.out, config.steps, {})

    runner = JobRunner(tmp_path, train_fn=train_fn)
    bad = runner.submit(TrainConfig(model="dcgan32", steps=2, name="bad"))
    bug = runner.submit(TrainConfig(model="dcgan32", steps=2, name="bug"))
    good = runner.submit(TrainConfig(model="dcgan32", steps=2, name="good"))
    assert runner.wait(good.id, timeout=10).state == FINISHED
    assert runner.snapshot(bad.id).state == FAILED and "no images" in runner.snapshot(bad.id).message
    assert runner.snapshot(bug.id).state == FAILED and "unexpected error" in runner.snapshot(bug.id).message


def test_the_line_is_bounded_and_unknown_ids_are_refused(tmp_path):
    fake = FakeTrain()
    runner = JobRunner(tmp_path, max_waiting=2, train_fn=fake)
    jobs = [runner.submit(TrainConfig(model="dcgan32", steps=5))]
    _until(lambda: runner.position(jobs[0].id) == 0)
    jobs += [runner.submit(TrainConfig(model="dcgan32", steps=5)) for _ in range(2)]  # one runs, two wait
    with pytest.raises(QueueFull, match="already waiting"):
        runner.submit(TrainConfig(model="dcgan32", steps=5))
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 3  # the refused job left no folder
    for bad in ("nope", "", None, "../etc"):
        with pytest.raises(JobNotFound):
            runner.snapshot(bad)
    for j in jobs:
        runner.stop(j.id)
    fake.go.set()


def test_prepare_failure_leaves_nothing_behind(tmp_path):
    runner = JobRunner(tmp_path, train_fn=FakeTrain())

    def prepare(folder):
        (folder / "half-copied.zip").write_bytes(b"...")
        raise DataError("the upload could not be read")

    with pytest.raises(DataError):
        runner.submit(TrainConfig(model="dcgan32", steps=5), prepare=prepare)
    assert list(tmp_path.iterdir()) == []


def test_real_training_job_on_built_in_shapes(tmp_path):
    """The real loop through the runner: samples arrive, Stop keeps a loadable checkpoint."""
    runner = JobRunner(tmp_path)
    config = TrainConfig(model="dcgan32", data=["shapes:64"], steps=400, batch_size=16, width=0.25,
                         log_every=1, sample_every=2, checkpoint_every=1000, n_samples=4)
    job = runner.submit(config)
    _until(lambda: runner.snapshot(job.id).sample is not None, timeout=60)
    runner.stop(job.id)
    done = runner.wait(job.id, timeout=60)
    assert done.state == STOPPED and 2 <= done.step < 400
    assert {"loss_d", "loss_g", "d_x", "d_g_z1"} <= set(done.history[-1])
    pipe = gan_core.load(done.export)  # the checkpoint written on Stop
    assert pipe.card["training"]["steps"] == done.step
    assert pipe(2, seed=0)[0].size == (32, 32)
    zipped = runner.checkpoint_zip(job.id)
    with zipfile.ZipFile(zipped) as zf:
        names = {n.split("/", 1)[1] for n in zf.namelist()}
    assert {"generator.safetensors", "discriminator.safetensors", "model_card.json", "run/log.jsonl"} <= names


class Killed(BaseException):
    """The server process dying mid-run: nothing after it runs in that job."""


def _tiny(steps=10, **over):
    return TrainConfig(model="dcgan32", data=["shapes:64"], steps=steps, batch_size=8, width=0.125, log_every=2,
                       sample_every=3, checkpoint_every=4, n_samples=4, **over)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_restarted_server_reattaches_its_jobs_and_the_owner_resumes_them(tmp_path):
    """The registry is a database in the root: a new runner there (the server restarted)
    finds the job that was training as stopped at its checkpoint, for its owner, and
    resumes it to the end, its log and weights those of an uninterrupted run."""
    def dies_at_step_6(config, progress_fn=None, abort_fn=None, dataset=None):
        def progress(step, metrics, grid):
            progress_fn(step, metrics, grid)
            if step >= 6:
                raise Killed  # after the checkpoint at 4 and the log line at 6
        return train(config, progress_fn=progress, abort_fn=abort_fn, dataset=dataset)

    first = JobRunner(tmp_path / "jobs", train_fn=dies_at_step_6)
    job = first.submit(_tiny(), owner="browser-1")
    other = first.submit(_tiny(), owner="browser-2")  # waiting in line when the server stops
    _until(lambda: first.snapshot(job.id).step >= 6 and not first._worker.is_alive(), timeout=60)
    assert first.snapshot(job.id).state == RUNNING  # as far as the old server knew
    first.close()

    runner = JobRunner(tmp_path / "jobs")
    assert runner.jobs_of("browser-1") == [job.id] and runner.jobs_of("browser-2") == [other.id]
    assert runner.jobs_of("someone-else") == [] and runner.jobs_of("") == []
    again = runner.snapshot(job.id)
    assert again.state == STOPPED and again.step == 4 and again.can_resume and "restarted" in again.message
    assert [h["step"] for h in again.history] == [2, 4] and again.sample is not None
    assert runner.snapshot(other.id).state == STOPPED and not runner.snapshot(other.id).can_resume
    runner.resume(job.id)
    done = runner.wait(job.id, timeout=60)
    assert done.state == FINISHED and done.step == 10

    straight = tmp_path / "straight"
    train(replace(_tiny(), out=str(straight)))
    logged = [json.loads(x)["step"] for x in (done.folder / "log.jsonl").read_text().splitlines()]
    assert logged == [json.loads(x)["step"] for x in (straight / "log.jsonl").read_text().splitlines()]
    a, b = read_tensors(straight / STATE_FILE)[0], read_tensors(done.folder / STATE_FILE)[0]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # And a third start still knows the finished job.
    runner.close()
    assert JobRunner(tmp_path / "jobs").snapshot(job.id).state == FINISHED


def test_jobs_left_alone_for_a_day_go_with_their_row(tmp_path):
    clock = FakeClock()
    fake = FakeTrain()
    fake.go.set()
    runner = JobRunner(tmp_path, train_fn=fake, clock=clock)
    old = runner.submit(TrainConfig(model="dcgan32", steps=2))
    runner.wait(old.id, timeout=10)
    clock.t += 25 * 3600
    new = runner.submit(TrainConfig(model="dcgan32", steps=2))
    runner.wait(new.id, timeout=10)
    with pytest.raises(JobNotFound):
        runner.snapshot(old.id)
    assert not (tmp_path / old.id).exists()
    runner.close()
    again = JobRunner(tmp_path, train_fn=fake, clock=clock)
    assert again.snapshot(new.id).state == FINISHED
    with pytest.raises(JobNotFound):
        again.snapshot(old.id)


class FakeClock:
    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self):
        return self.t


def test_the_work_one_request_asks_for_is_bounded(tmp_path):
    budget = work_budget(on_gpu=False)
    assert work_budget(on_gpu=True) > budget
    g, d = net_macs("dcgan64", 1.0)
    assert 0.9e8 < g < 1.2e8 and 0.9e8 < d < 1.2e8  # the DCGAN paper's 64x64 nets
    assert net_macs("dcgan64", 0.5)[0] < g / 3  # about a quarter at half the width
    big = TrainConfig(model="dcgan64", steps=100_000, batch_size=512)
    assert work_of(big) == 100_000 * 512 * 3 * (g + 2 * d)
    runner = JobRunner(tmp_path, train_fn=FakeTrain(), max_work=work_budget(on_gpu=True))
    with pytest.raises(TooMuchWork, match="lower the steps, the batch size or the network width") as refused:
        runner.submit(big)
    assert "--" not in str(refused.value)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    fake = FakeTrain()
    fake.go.set()
    runner = JobRunner(tmp_path, train_fn=fake, max_work=work_of(TrainConfig(model="dcgan32", steps=10)))
    job = runner.submit(TrainConfig(model="dcgan32", steps=10))
    runner.wait(job.id, timeout=10)
    runner.snapshot(job.id).folder.mkdir(parents=True)
    (runner.snapshot(job.id).folder / "state.safetensors").write_bytes(b"x")
    with pytest.raises(TooMuchWork):
        runner.resume(job.id, steps=21)  # 11 more steps: past the budget
    runner.resume(job.id, steps=20)
    assert runner.wait(job.id, timeout=10).step == 20


def test_one_job_per_owner_is_training_or_waiting(tmp_path):
    fake = FakeTrain()
    runner = JobRunner(tmp_path, train_fn=fake, one_per_owner=True)
    a = runner.submit(TrainConfig(model="dcgan32", steps=5), owner="script")
    with pytest.raises(QueueFull, match="already have a run"):
        runner.submit(TrainConfig(model="dcgan32", steps=5), owner="script")
    b = runner.submit(TrainConfig(model="dcgan32", steps=5), owner="another")
    runner.stop(b.id)
    runner.stop(a.id)
    fake.go.set()
    runner.wait(a.id, timeout=10)
    c = runner.submit(TrainConfig(model="dcgan32", steps=5), owner="script")  # the first one has ended
    assert runner.wait(c.id, timeout=10).state == FINISHED


def test_a_job_whose_owner_is_not_seen_is_stopped(tmp_path):
    """The page's timer touches its job; a job nobody looks at for idle_timeout_s is
    stopped (a running one after its checkpoint, a waiting one leaves the line), so a
    script that never polls cannot hold the line."""
    clock = FakeClock()
    fake = FakeTrain()
    runner = JobRunner(tmp_path, train_fn=fake, idle_timeout_s=600, clock=clock)
    watched = runner.submit(TrainConfig(model="dcgan32", steps=10_000), owner="page")
    waiting = runner.submit(TrainConfig(model="dcgan32", steps=10), owner="script")
    _until(lambda: runner.snapshot(watched.id).state == RUNNING)
    fake.go.set()
    for _ in range(3):
        clock.t += 300
        runner.touch(watched.id)  # five minutes apart: seen
    assert runner.snapshot(watched.id).state == RUNNING
    assert runner.snapshot(waiting.id).state == STOPPED  # 15 minutes unseen
    assert "not open for 10 minutes" in runner.snapshot(waiting.id).message
    clock.t += 601
    done = runner.wait(watched.id, timeout=10)  # unseen now: its next step stops it
    assert done.state == STOPPED and "not open for 10 minutes" in done.message and done.step < 10_000
    assert len(fake.calls) == 1  # the unseen waiting job never trained
