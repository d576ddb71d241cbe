"""The training-job line of a shared server (gan_core.training.jobs) and upload checks (gan_core.data.uploads)."""
from __future__ import annotations

import io
import tarfile
import threading
import time
import zipfile

import pytest
from PIL import Image

import gan_core
from gan_core.core.errors import DataError
from gan_core.data.uploads import check_training_archive
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


# ----------------------------------------------------------------------------- uploads


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def _zip(path, members: dict[str, bytes], links: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return path


def test_upload_of_images_is_accepted_and_clutter_ignored(tmp_path):
    z = _zip(tmp_path / "ok.zip", {"faces/a.png": _png(), "faces/b.PNG": _png(), "__MACOSX/faces/._a.png": b"x",
                                    "faces/.DS_Store": b"x"})
    report = check_training_archive(z)
    assert report.images == 2


@pytest.mark.parametrize("members, links, message", [
    ({"../evil.png": b"x", "ok.png": b"y"}, (), "climbing out"),
    ({"/abs/evil.png": b"x"}, (), "absolute path"),
    ({"ok.png": b"y"}, ("link.png",), "links"),
    ({"a.png": b"y", "run.sh": b"rm -rf /", "notes.txt": b"hi"}, (), "not images: run.sh, notes.txt"),
    ({"readme.md": b"y"}, (), "not images"),
    ({}, (), "no images"),
])
def test_upload_refusals_name_the_problem(tmp_path, members, links, message):
    z = _zip(tmp_path / "bad.zip", members, links)
    with pytest.raises(DataError, match=message):
        check_training_archive(z)


def test_upload_limits_size_count_and_bombs(tmp_path):
    z = _zip(tmp_path / "many.zip", {f"{i}.png": b"" for i in range(30)})
    with pytest.raises(DataError, match="more than 20 files"):
        check_training_archive(z, max_files=20)
    with pytest.raises(DataError, match="at most"):
        check_training_archive(z, max_bytes=100)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.png", b"\0" * (64 * 2**20))  # 64 MB of zeros packs to ~64 KB
    with pytest.raises(DataError, match="zip bomb"):
        check_training_archive(bomb)
    (tmp_path / "text.zip").write_text("not an archive")
    with pytest.raises(DataError, match="not a .zip or .tar"):
        check_training_archive(tmp_path / "text.zip")


def test_upload_tar_with_link_and_escape_is_refused(tmp_path):
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        data = _png()
        info = tarfile.TarInfo("imgs/a.png")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("imgs/b.png")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tf.addfile(link)
        up = tarfile.TarInfo("../../c.png")
        up.size = len(data)
        tf.addfile(up, io.BytesIO(data))
    with pytest.raises(DataError) as exc:
        check_training_archive(path)
    assert "links" in str(exc.value) and "climbing out" in str(exc.value)


# ----------------------------------------------------------------------------- CIFAR-10 download


def test_cifar10_download_writes_class_folders_that_load(tmp_path):
    import numpy as np

    from gan_core.data.image_set import load_images
    from gan_core.data.downloads import fetch_cifar10

    class FakeCIFAR10:  # torchvision's CIFAR10, offline: the same attributes
        def __init__(self, root, train, download):
            rng = np.random.default_rng(0)
            self.data = rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8)
            self.targets = [i % 10 for i in range(30)]

    dest = fetch_cifar10(tmp_path / "frogs.zip", classes=["frog", "cat"], cache=tmp_path, dataset_cls=FakeCIFAR10)
    ds = load_images([str(dest)], 32, classes=["frog"])
    assert len(ds) == 3 and ds.class_names == ["frog"]
    assert (ds.images[0].permute(1, 2, 0).numpy() == FakeCIFAR10(None, True, True).data[6]).all()  # lossless


def test_cifar10_download_offline_says_so(tmp_path):
    from gan_core.data.downloads import fetch_cifar10

    class Offline:
        def __init__(self, root, train, download):
            raise OSError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(DataError, match="could not be downloaded.*offline.*Upload a .zip"):
        fetch_cifar10(tmp_path / "c.zip", cache=tmp_path, dataset_cls=Offline)
    with pytest.raises(DataError, match="no class dragon"):
        fetch_cifar10(tmp_path / "c.zip", classes=["dragon"], dataset_cls=Offline)
    assert not (tmp_path / "c.zip").exists()
