"""The one training loop (gan_core.training.loop) and the training-state format
(gan_core.core.checkpoints.save_training_state): cadence, callbacks, exact resume for
every trainer, the divergence guards, and partial writes left by a killed process."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file
from torch import nn

from gan_core.core.checkpoints import STATE_FILE, CheckpointError, load_training_state, read_tensors, save_training_state
from gan_core.core.errors import TrainingDiverged
from gan_core.training.attributes import train_attribute_classifier
from gan_core.training.detector import train_window_detector
from gan_core.training.gan import GANTask, TrainConfig, train
from gan_core.training.loop import RunFolder, Task, train_loop
from gan_core.training.sr import SRTrainConfig, train_sr
from gan_core.training.style import StyleTrainConfig, train_style

from ..helpers import drawn_facades, synthetic_faces


class Line(Task):
    """A toy task: fit y = 2x with one linear layer on x drawn from its own generator;
    from step `nan_from` on the loss is NaN."""

    metric_names = ("loss",)
    batch_size = 4

    def __init__(self, nan_from: int | None = None):
        torch.manual_seed(0)
        self.net = nn.Linear(1, 1)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.1, momentum=0.9)
        self.gen = torch.Generator().manual_seed(1)
        self.nets, self.optimizers, self.generators = {"net": self.net}, {"opt": self.opt}, {"x": self.gen}
        self.exports = {"net.safetensors": self.net}
        self.nan_from, self.sampled = nan_from, []

    def step(self, step: int) -> torch.Tensor:
        x = torch.rand(4, 1, generator=self.gen)
        loss = (self.net(x) - 2 * x).pow(2).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        if self.nan_from is not None and step + 1 >= self.nan_from:
            loss = loss * float("nan")
        return loss.detach().reshape(1)

    def samples(self):
        self.sampled.append(True)
        return Image.new("RGB", (4, 4)), {"weight": self.net.weight.item()}

    def card(self, step, wall, metrics):
        return {"name": "line", "steps": step, "metrics": metrics}


def run_line(out, total=7, resume=False, **kw):
    task = kw.pop("task", None) or Line()
    result = train_loop(task, RunFolder(out, resume), {"total": total}, total=total,
                        **{"log_every": 2, "sample_every": 3, "checkpoint_every": 4, **kw})
    return task, result


def state_tensors(path):
    return read_tensors(path)[0]


def assert_same_state(a_path, b_path):
    a, b = state_tensors(a_path), state_tensors(b_path)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"the resumed run differs from the uninterrupted one in {different[:5]}"


def abort_after(k: int):
    calls = {"n": 0}

    def abort() -> bool:
        calls["n"] += 1
        return calls["n"] >= k
    return abort


# ----------------------------------------------------------------------------- the loop itself


def test_the_loop_logs_samples_checkpoints_and_calls_back_on_its_cadence(tmp_path):
    seen = []
    task, result = run_line(tmp_path / "run", progress_fn=lambda step, m, pic: seen.append((step, pic is not None)))
    out = tmp_path / "run"
    assert result.step == 7 and not result.aborted
    assert json.loads((out / "config.json").read_text()) == {"total": 7}
    lines = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [2, 4, 6, 7]
    assert "weight" in lines[-1] and "weight" not in lines[0]  # sample measures join the log on sample steps
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_000003.png", "step_000006.png",
                                                                 "step_000007.png"]
    assert seen == [(2, False), (3, True), (4, False), (6, True), (7, True)]
    assert read_tensors(out / STATE_FILE)[1]["state"] and (out / "export" / "net.safetensors").is_file()
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["steps"] == 7 and card["metrics"]["step"] == 7


def test_a_resumed_toy_run_ends_where_a_straight_one_does(tmp_path):
    run_line(tmp_path / "straight")
    _, first = run_line(tmp_path / "split", abort_fn=abort_after(3))
    assert first.aborted and first.step == 3
    _, second = run_line(tmp_path / "split", resume=True)
    assert second.step == 7
    assert_same_state(tmp_path / "straight" / STATE_FILE, tmp_path / "split" / STATE_FILE)


class Killed(BaseException):
    """The process dying mid-run (SIGKILL, power loss): nothing after it runs."""


class DiesAt(Line):
    def __init__(self, die_at: int):
        super().__init__()
        self.die_at = die_at

    def step(self, step: int) -> torch.Tensor:
        if step + 1 == self.die_at:
            raise Killed
        return super().step(step)


def test_a_resume_cuts_the_log_and_samples_back_to_its_checkpoint(tmp_path):
    """Killed at step 7 and again at step 11 (checkpoints at 4 and 8; logged up to 6 and
    10; samples up to 6 and 9), resumed to 12: the log and the samples are those of an
    uninterrupted run, each step once and in order."""
    def steps_logged(out):
        return [json.loads(x)["step"] for x in (out / "log.jsonl").read_text().splitlines()]

    run_line(tmp_path / "straight", total=12)
    out = tmp_path / "killed"
    for die_at, resume in ((7, False), (11, True)):
        with pytest.raises(Killed):
            run_line(out, total=12, resume=resume, task=DiesAt(die_at))
    with open(out / "log.jsonl", "a") as f:
        f.write('{"loss": 0.1, "st')  # the kill cut a line short
    run_line(out, total=12, resume=True)
    assert steps_logged(out) == steps_logged(tmp_path / "straight") == [2, 4, 6, 8, 10, 12]
    assert sorted(p.name for p in (out / "samples").iterdir()) == \
        sorted(p.name for p in (tmp_path / "straight" / "samples").iterdir())
    assert_same_state(tmp_path / "straight" / STATE_FILE, out / STATE_FILE)


def test_a_run_is_never_overwritten_and_resume_removes_partial_writes(tmp_path):
    out = tmp_path / "run"
    run_line(out, total=2)
    with pytest.raises(FileExistsError, match="--resume"):
        run_line(out, total=2)
    leftovers = [out / ".state.safetensors.abc.tmp", out / "export" / ".net.safetensors.x.tmp"]
    for path in leftovers:
        path.write_bytes(b"half")
    run_line(out, total=3, resume=True)
    assert not any(path.exists() for path in leftovers)


def test_nan_stops_the_loop_and_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="step 6: a loss became NaN/inf"):
        run_line(out, total=10, task=Line(nan_from=5))
    assert json.loads(read_tensors(out / STATE_FILE)[1]["state"])["info"]["step"] == 4
    assert [json.loads(x)["step"] for x in (out / "log.jsonl").read_text().splitlines()] == [2, 4]


def test_nan_weights_are_never_checkpointed(tmp_path):
    task = Line()
    out = tmp_path / "run"
    run_line(out, total=4, task=task)
    with torch.no_grad():
        task.net.weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="weights became NaN"):
        RunFolder(out, resume=True).checkpoint(task, 5, 0.0, {})
    assert json.loads(read_tensors(out / STATE_FILE)[1]["state"])["info"]["step"] == 4


def test_a_run_without_a_folder_writes_nothing_and_still_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    result = train_loop(Line(), None, {}, total=4, log_every=2, sample_every=2, checkpoint_every=1,
                        progress_fn=lambda step, m, pic: seen.append(step))
    assert result.step == 4 and result.out is None and seen == [2, 4]
    assert not list(tmp_path.iterdir())


def test_the_gan_stops_when_the_discriminator_wins_outright():
    task = SimpleNamespace(config=SimpleNamespace(divergence_patience=100, out="runs/x"), collapse_steps=0)
    won, fair = {"d_x": 0.9999, "d_g_z1": 1e-4}, {"d_x": 0.7, "d_g_z1": 0.3}
    GANTask.check(task, 50, won, 50)
    GANTask.check(task, 60, fair, 10)  # a fair fight starts the count again
    GANTask.check(task, 110, won, 50)
    with pytest.raises(TrainingDiverged, match="won outright for 100 steps"):
        GANTask.check(task, 160, won, 50)


# ----------------------------------------------------------------------------- the state format


def test_the_state_keeps_every_generator_and_refuses_other_nets(tmp_path):
    net, gen = nn.Linear(2, 2), torch.Generator().manual_seed(5)
    opt = torch.optim.Adam(net.parameters())
    path = tmp_path / STATE_FILE
    save_training_state(path, nets={"net": net}, optimizers={"opt": opt}, generators={"noise": gen},
                        tensors={"perm": torch.arange(3)}, info={"step": 1})
    expected = torch.rand(3, generator=gen)
    gen.manual_seed(99)
    info, tensors = load_training_state(path, nets={"net": net}, optimizers={"opt": opt}, generators={"noise": gen})
    assert info == {"step": 1} and torch.equal(tensors["perm"], torch.arange(3))
    assert torch.equal(torch.rand(3, generator=gen), expected)
    with pytest.raises(CheckpointError, match="holds the nets"):
        load_training_state(path, nets={"other": net}, optimizers={})


def test_a_state_written_before_generators_had_entries_still_resumes(tmp_path):
    """Runs saved by earlier versions kept their generators among the other tensors."""
    net, gen = nn.Linear(2, 2), torch.Generator().manual_seed(5)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    tensors = {f"G.{k}": v.clone() for k, v in net.state_dict().items()}
    tensors.update({"rng.torch": torch.get_rng_state(), "x.noise_rng": gen.get_state(), "x.perm": torch.arange(4)})
    meta = {"info": {"step": 3}, "optG": {"param_groups": opt.state_dict()["param_groups"], "scalars": {}}}
    save_file(tensors, tmp_path / STATE_FILE, metadata={"state": json.dumps(meta)})
    expected = torch.rand(2, generator=gen)
    gen.manual_seed(0)
    info, extra = load_training_state(tmp_path / STATE_FILE, nets={"G": net}, optimizers={"optG": opt},
                                      generators={"noise_rng": gen})
    assert info["step"] == 3 and list(extra) == ["perm"]
    assert torch.equal(torch.rand(2, generator=gen), expected)


# ----------------------------------------------------------------------------- exact resume, every trainer


def test_gan_resume_is_exact(tmp_path):
    def cfg(out, **kw):
        return TrainConfig(model="dcgan32", width=0.25, data=["shapes:64"], out=str(out), steps=5, batch_size=16,
                           log_every=2, sample_every=3, checkpoint_every=10, n_samples=4, flip=True,
                           label_noise=0.1, clip_grad=0.5, device="cpu", **kw)

    train(cfg(tmp_path / "straight"))
    assert train(cfg(tmp_path / "split"), abort_fn=abort_after(3)).step == 3
    assert train(cfg(tmp_path / "split", resume=True)).step == 5
    assert_same_state(tmp_path / "straight" / STATE_FILE, tmp_path / "split" / STATE_FILE)


@pytest.mark.parametrize("phase", ["mse", "gan"])
def test_sr_resume_is_exact(domains, tmp_path, phase):
    def cfg(out, **kw):
        return SRTrainConfig(phase=phase, content_loss="discriminator", data=[str(domains[0])], out=str(out),
                             steps=5, blocks=2, channels=16, hr_size=32, batch_size=4, log_every=2, sample_every=3,
                             checkpoint_every=10, device="cpu", lr_drop_at=4, **kw)

    train_sr(cfg(tmp_path / "straight"))
    assert train_sr(cfg(tmp_path / "split"), abort_fn=abort_after(3)).step == 3
    assert train_sr(cfg(tmp_path / "split", resume=True)).step == 5
    assert_same_state(tmp_path / "straight" / STATE_FILE, tmp_path / "split" / STATE_FILE)


def test_style_resume_is_exact(domains, tmp_path):
    def cfg(out, **kw):
        return StyleTrainConfig(photos=[str(domains[0])], paintings=[str(domains[1])], out=str(out), steps=5,
                                tile=16, batch_size=3, g_width=4, g_blocks=1, d_width=4, lenvec=8, log_every=2,
                                sample_every=3, checkpoint_every=10, device="cpu", max_side=None, **kw)

    train_style(cfg(tmp_path / "straight"))
    assert train_style(cfg(tmp_path / "split"), abort_fn=abort_after(3)).step == 3
    assert train_style(cfg(tmp_path / "split", resume=True)).step == 5
    assert_same_state(tmp_path / "straight" / STATE_FILE, tmp_path / "split" / STATE_FILE)


def test_window_detector_resume_is_exact(tmp_path):
    data, held = drawn_facades(12, size=64, seed=0), drawn_facades(3, size=64, seed=1)
    kw = dict(held_out=held, steps=7, batch_size=4, lr=1e-2, width=4, size=32, eval_every=3)
    straight, report = train_window_detector(data, out=tmp_path / "straight", **kw)
    train_window_detector(data, out=tmp_path / "split", abort_fn=abort_after(4), **kw)
    resumed, resumed_report = train_window_detector(data, out=tmp_path / "split", resume=True, **kw)
    assert_same_state(tmp_path / "straight" / STATE_FILE, tmp_path / "split" / STATE_FILE)
    assert [h["step"] for h in resumed_report.history] == [h["step"] for h in report.history] == [3, 6, 7]
    assert resumed_report.metrics["held_out_iou"] == report.metrics["held_out_iou"]
    card = json.loads((tmp_path / "split" / "export" / "model_card.json").read_text())
    assert card["task"] == "window-detection" and card["metrics"]["held_out_iou"] == report.metrics["held_out_iou"]
    unwritten, _ = train_window_detector(data, **kw)  # no folder: the same detector, nothing written
    assert all(torch.equal(a, b) for a, b in zip(unwritten.state_dict().values(), straight.state_dict().values()))


def test_attribute_classifier_resume_is_exact(tmp_path):
    ds = synthetic_faces()
    kw = dict(epochs=2, batch_size=16, seed=0, width=8)
    _, report = train_attribute_classifier(ds, ["square", "age"], out=tmp_path / "straight", **kw)
    steps_per_epoch = report["steps"] // 2
    train_attribute_classifier(ds, ["square", "age"], out=tmp_path / "split",
                               abort_fn=abort_after(steps_per_epoch + 2), **kw)  # stopped inside the second epoch
    _, resumed = train_attribute_classifier(ds, ["square", "age"], out=tmp_path / "split", resume=True, **kw)
    assert_same_state(tmp_path / "straight" / STATE_FILE, tmp_path / "split" / STATE_FILE)
    assert resumed["history"] == report["history"] and resumed["validation"] == report["validation"]
    with pytest.raises(ValueError, match="trained with lr"):
        train_attribute_classifier(ds, ["square", "age"], out=tmp_path / "split", resume=True, lr=1e-3, **kw)


def test_a_crop_trainers_card_records_its_run_in_a_fixed_order(monkeypatch):
    import os
    import sys

    from gan_core.core import hardware
    from gan_core.training.loop import crop_training_record

    monkeypatch.setattr(hardware, "usable_cpus", lambda: 2)
    monkeypatch.setattr(hardware, "cpu_name", lambda: "Test CPU")
    config = SimpleNamespace(command="python -m gan_core train-sr", steps=10, batch_size=4, seed=3,
                             hardware_note="shared with other training")
    record = crop_training_record(config, 5, 12.345, torch.device("cpu"), init_from={"checkpoint": "x"})
    assert list(record) == ["command", "steps", "planned_steps", "crops_seen", "wall_time_s", "hardware", "seed",
                            "init_from", "torch", "gan_core"]
    assert (record["command"], record["crops_seen"], record["wall_time_s"]) == ("python -m gan_core train-sr", 20, 12.3)
    assert record["hardware"] == "2-core CPU (Test CPU), shared with other training"
    config.command = None  # no command given: this process's own command line
    assert crop_training_record(config, 5, 1.0, torch.device("cpu"))["command"].startswith(os.path.basename(sys.executable))
