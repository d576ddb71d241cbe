"""The training-job line of a shared server (gan_core.training.jobs)."""
from __future__ import annotations

import threading
import time
import zipfile

import pytest

import gan_core
from gan_core.core.errors import DataError
from gan_core.training.jobs import FAILED, FINISHED, QUEUED, RUNNING, STOPPED, JobNotFound, JobRunner, QueueFull
from gan_core.training.gan import TrainConfig
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
    assert len(list(tmp_path.iterdir())) == 3  # the refused job left no folder
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
