"""The Train tab's handlers (demo/train.py), called as the app calls them."""
from __future__ import annotations

import io
import time
import zipfile
from types import SimpleNamespace

import gradio as gr
import pytest
from PIL import Image

from demo import common, generate, trained
from demo import train as tab
from gan_core.training.recipes import CLASSROOM
from gan_core.training.jobs import FINISHED, JobRunner


@pytest.fixture
def runner(tmp_path, monkeypatch):
    r = JobRunner(tmp_path / "jobs", one_per_owner=True)
    monkeypatch.setattr(tab, "RUNNER", r)
    monkeypatch.setattr(trained, "ROOT", tmp_path / "trained")
    monkeypatch.setattr(tab, "SERVER_DATA", {})
    monkeypatch.setattr(tab, "SHAPES_IMAGES", 200)  # the classroom's 20,000 take seconds to draw
    return r


def _args(**over):
    args = dict(model="dcgan32", width=0.125, source="shapes", upload=None, server_name=None,
                cifar_classes=["frog"], steps=6, batch_size=8, lr_g=2e-4, lr_d=2e-4, beta1=0.5, label_noise=0.0,
                sample_every=2, job_id="")
    args.update(over)
    return args


def _wait(job_id, timeout=120):
    deadline = time.time() + timeout
    while tab.job_view(job_id).active:
        assert time.time() < deadline, "training did not end"
        time.sleep(0.05)
    return tab.job_view(job_id)


def test_defaults_are_the_classroom_recipe_then_the_papers_at_cpu_widths():
    assert tab.MODELS[0] == CLASSROOM.model  # the tab opens on the classroom run
    width, steps, batch, lr_g, lr_d, beta1, beta2, noise, ema = tab.defaults_for(CLASSROOM.model, on_gpu=False)
    assert (width, steps, batch, lr_g, lr_d, beta1, beta2, ema) == (
        CLASSROOM.width, CLASSROOM.steps, CLASSROOM.batch_size, CLASSROOM.lr_g, CLASSROOM.lr_d, CLASSROOM.beta1,
        CLASSROOM.beta2, CLASSROOM.ema_images)
    width, steps, batch, lr_g, lr_d, beta1, beta2, noise, ema = tab.defaults_for("keras-gan32", on_gpu=False)
    assert (batch, lr_g, lr_d, noise, ema) == (20, 4e-4, 8e-4, 0.05, 0) and width == 0.25
    assert tab.defaults_for("keras-gan32", on_gpu=True)[0] == 1.0
    assert tab.defaults_for("dcgan64", on_gpu=True)[2:7] == (128, 2e-4, 2e-4, 0.5, 0.999)
    with pytest.raises(gr.Error, match="Unknown architecture 'stylegan9'; available: dcgan32, keras-gan32"):
        tab.defaults_for("stylegan9")
    with pytest.raises(gr.Error, match="Choose an architecture first"):
        tab.defaults_for(None)


@pytest.mark.parametrize("over, message", [
    (dict(model="nope"), "Unknown architecture 'nope'"),
    (dict(steps=0), "Steps must be a whole number from 1"),
    (dict(steps=2.5), "whole number"),
    (dict(batch_size=None), "Enter a value for The batch size"),
    (dict(lr_d=float("nan")), "learning rate must be a number from"),
    (dict(label_noise=0.9), "label noise must be a number from 0 to 0.5"),
    (dict(source="upload"), "Choose a .zip"),
    (dict(source="server", server_name="../etc"), "folders this server offers: none"),
    (dict(source="cifar10", cifar_classes=["dragon"]), "no class dragon"),
    (dict(source="?"), "where the training images come from"),
])
def test_bad_input_is_refused_with_a_message_and_queues_nothing(runner, over, message):
    with pytest.raises(gr.Error, match=message):
        tab.start_training(**_args(**over))
    assert not (runner.root.exists() and any(runner.root.iterdir()))


def test_refused_upload_says_why(runner, tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../outside.png", b"x")
        zf.writestr("run.sh", b"echo")
    with pytest.raises(gr.Error, match="upload was refused.*climbing out.*run.sh"):
        tab.start_training(**_args(source="upload", upload=str(z)))
    assert not (runner.root.exists() and any(runner.root.iterdir()))


def test_a_run_on_an_upload_trains_from_its_own_copy(runner, tmp_path):
    z = tmp_path / "mine.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(24):
            buf = io.BytesIO()
            Image.new("RGB", (40, 40), (10 * i, 200 - 5 * i, 90)).save(buf, "PNG")
            zf.writestr(f"pics/{i}.png", buf.getvalue())
    job_id = tab.start_training(**_args(source="upload", upload=str(z), steps=3))
    z.unlink()  # Gradio's upload cache may be cleared: the job kept its own copy
    view = _wait(job_id)
    assert runner.snapshot(job_id).state == FINISHED, view.status
    assert (runner.snapshot(job_id).folder.parent / "data.zip").is_file()
    assert "24img" in runner.snapshot(job_id).config.name
    assert not view.on_shapes and view.shapes is None  # no shape curve for images of one's own


def test_train_watch_stop_resume_and_hand_over(runner):
    request = SimpleNamespace(session_hash="s1")
    job_id = tab.start_training(**_args(steps=400), request=request)
    with pytest.raises(gr.Error, match="stop it before starting another"):
        tab.start_training(**_args(job_id=job_id))
    deadline = time.time() + 120
    while tab.job_view(job_id).sample is None or tab.job_view(job_id).losses is None:
        assert time.time() < deadline
        time.sleep(0.05)
    view = tab.job_view(job_id)
    assert view.active and "Training" in view.status
    assert set(view.losses["curve"]) == {"D loss", "G loss"}
    assert set(view.outputs["curve"]) == {"D(x): real images", "D(G(z)): generated"}
    assert "steps" in view.progress and "<progress" in view.progress
    assert view.real is not None and view.real.size == view.sample.size  # the real images beside the samples
    assert view.on_shapes

    tab.end_session(request)  # closing the page stops the run, after a checkpoint
    view = _wait(job_id)
    assert "Stopped at step" in view.status and view.has_checkpoint and view.can_resume
    step = runner.snapshot(job_id).step

    tab.resume_training(job_id, step + 4)
    view = _wait(job_id)
    assert runner.snapshot(job_id).step == step + 4 and "Finished" in view.status
    with pytest.raises(gr.Error, match="raise Steps"):
        tab.resume_training(job_id, step + 4)

    name, label = tab.use_in_explore(job_id)
    assert trained.is_trained(name) and f"step {step + 4}" in label
    pipe = common.check_generator(name)  # the other tabs accept it by name
    assert pipe.card["training"]["steps"] == step + 4
    # The card says how to train the same run from the command line, at its final length.
    command = pipe.card["training"]["command"]
    assert command.startswith("python -m gan_core train --model dcgan32 --width 0.125") and "app.py" not in command
    assert f"--data shapes:{tab.SHAPES_IMAGES}" in command and f"--steps {step + 4}" in command and "/tmp" not in command
    assert generate.generate(name, 3, 4)[0].size[0] > 32
    zipped = tab.download_checkpoint(job_id)
    assert zipped.endswith(".zip") and zipfile.is_zipfile(zipped)


def test_guessed_or_foreign_model_names_are_refused(runner):
    for name in ("trained-0123456789abcdef-10", "trained-../../etc-1", "../checkpoints/faces-dcgan64"):
        with pytest.raises(gr.Error):
            common.check_generator_name(name)
    for handler in (tab.stop_training, tab.use_in_explore, tab.download_checkpoint):
        with pytest.raises(gr.Error, match="gone|first"):
            handler("feedfacefeedface")
    assert "gone" in tab.job_view("feedfacefeedface").status


def test_server_data_comes_only_from_the_operator(tmp_path, monkeypatch):
    monkeypatch.setattr(tab, "SERVER_DATA", {})
    monkeypatch.setenv("GAN_STUDIO_TRAIN_DATA", f"class={tmp_path}")
    assert tab.configure_server_data([]) == {"class": str(tmp_path)}
    with pytest.raises(ValueError, match="NAME=PATH"):
        tab.configure_server_data(["justapath"])
    with pytest.raises(ValueError, match="does not exist"):
        tab.configure_server_data([f"x={tmp_path / 'missing'}"])


def _zip_of(path, n):
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            buf = io.BytesIO()
            Image.new("RGB", (40, 40), (10 * i, 200 - 5 * i, 90)).save(buf, "PNG")
            zf.writestr(f"pics/{i}.png", buf.getvalue())
    return str(path)


def test_a_failed_run_speaks_of_the_tabs_fields_without_server_paths(runner, tmp_path):
    job_id = tab.start_training(**_args(source="upload", upload=_zip_of(tmp_path / "few.zip", 5), batch_size=8))
    view = _wait(job_id)
    assert "Stopped with a problem" in view.status and "lower the batch size" in view.status
    assert "--" not in view.status and str(tmp_path) not in view.status and "/tmp" not in view.status


def test_a_failed_run_on_an_unreadable_upload_names_the_archive_not_its_path(runner, tmp_path):
    z = tmp_path / "damaged.zip"
    with zipfile.ZipFile(z, "w") as zf:  # passes the upload's checks; no picture decodes
        for i in range(24):
            buf = io.BytesIO()
            Image.new("RGB", (40, 40), (i, 3, 4)).save(buf, "PNG")
            zf.writestr(f"pics/{i}.png", buf.getvalue()[:60])
    view = _wait(tab.start_training(**_args(source="upload", upload=str(z))))
    assert "no readable images in the uploaded archive" in view.status, view.status
    assert str(runner.root) not in view.status and "data.zip" not in view.status


def test_a_failed_runs_message_names_its_files_not_their_paths(runner):
    folder = runner.root / "0123456789abcdef"
    message = (f"{folder}/data.zip holds no images; {folder}/cifar10.zip could not be read; "
               f"{folder}/run already holds a training run")
    shown = tab.without_paths(message, folder)
    assert shown == ("the uploaded archive holds no images; the downloaded CIFAR-10 images could not be read; "
                     "the run's folder already holds a training run")


def test_a_run_asking_for_too_much_computing_is_refused(runner, monkeypatch):
    monkeypatch.setattr(runner, "max_work", 1e9)
    with pytest.raises(gr.Error, match="lower the steps, the batch size or the network width") as refused:
        tab.start_training(**_args(steps=5000, batch_size=64))
    assert "--" not in str(refused.value)
    assert not (runner.root.exists() and any(p.is_dir() for p in runner.root.iterdir()))
    monkeypatch.setenv("GAN_STUDIO_TRAIN_HOURS", "3")
    assert tab.train_hours() == 3
    for bad in ("-1", "nan", "lots"):
        monkeypatch.setenv("GAN_STUDIO_TRAIN_HOURS", bad)
        assert tab.train_hours() == 1


def test_a_reload_or_a_restart_finds_the_browsers_run_to_resume(runner, tmp_path, monkeypatch):
    owner, job = tab.restore(None)
    assert len(owner) == 32 and job == ""  # a first visit: a new key, no run
    assert tab.restore(owner) == (owner, "")
    job_id = tab.start_training(**_args(steps=400), owner=owner)
    with pytest.raises(gr.Error, match="already have a run"):  # another page of the same browser
        tab.start_training(**_args(steps=400), owner=owner)
    deadline = time.time() + 120
    while runner.snapshot(job_id).step < 6:  # past its first curve point
        assert time.time() < deadline
        time.sleep(0.05)
    tab.stop_training(job_id)
    _wait(job_id)
    step = runner.snapshot(job_id).step
    runner.close()

    monkeypatch.setattr(tab, "RUNNER", JobRunner(runner.root, one_per_owner=True))  # the server restarted
    assert tab.restore(owner) == (owner, job_id)
    assert tab.restore("f" * 32)[1] == ""  # another browser's key finds nothing
    view = tab.job_view(job_id)
    assert f"Stopped at step {step}" in view.status and view.can_resume and view.losses is not None
    tab.resume_training(job_id, step + 4)
    view = _wait(job_id)
    assert "Finished" in view.status and tab.RUNNER.snapshot(job_id).step == step + 4


class SlowFake:
    """Stands in for gan_core.training.gan.train: a step every few milliseconds, obeying abort_fn."""

    def __call__(self, config, progress_fn=None, abort_fn=None, dataset=None):
        from gan_core.training.loop import TrainResult
        step = 0
        while step < config.steps and not abort_fn():
            step += 1
            time.sleep(0.005)
            progress_fn(step, {"loss_d": 1.0, "total_steps": config.steps}, None)
        return TrainResult(config.out, step, {}, aborted=step < config.steps)


def test_a_run_whose_page_stops_looking_is_stopped(tmp_path, monkeypatch):
    now = [1_000_000.0]
    runner = JobRunner(tmp_path / "jobs", train_fn=SlowFake(), idle_timeout_s=tab.IDLE_TIMEOUT_S,
                       clock=lambda: now[0])
    monkeypatch.setattr(tab, "RUNNER", runner)
    job_id = tab.start_training(**_args(steps=100_000))
    for _ in range(4):
        now[0] += 5 * 60
        assert tab.job_view(job_id).active  # the page's timer: seen every five minutes
    now[0] += tab.IDLE_TIMEOUT_S + 1  # the page went away without closing (a script, a sleeping laptop)
    done = runner.wait(job_id, timeout=10)
    assert done.state == "stopped" and done.step < 100_000
    assert "not open for 10 minutes" in tab.job_view(job_id).status


def test_the_progress_line_without_a_run_counts_no_steps():
    view = tab.job_view("")
    assert "0 / 0" not in view.progress and "no run yet" in view.progress
    assert "0 / 0" not in tab.job_view("feedfacefeedface").progress
