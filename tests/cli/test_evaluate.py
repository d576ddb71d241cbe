import json

import pytest

from gan_core.cli import main
from gan_core.training.gan import TrainConfig, train

from ..helpers import TINY_CHECKPOINT, make_folder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_evaluate_grades_a_generator_beside_real_images_and_an_untrained_one(tiny_checkpoint_dir, tmp_path, capsys):
    data = tmp_path / "real"
    make_folder(data, 60)
    assert main(["evaluate", TINY_CHECKPOINT, "--data", str(data), "--features", "cifar10", "-n", "20",
                 "--write-card"]) == 0
    out = capsys.readouterr().out
    assert "| generated |" in out and "| real training images (a disjoint half) |" in out
    assert "| untrained generator |" in out and "not comparable to published FID" in out
    card = json.loads((tiny_checkpoint_dir / TINY_CHECKPOINT / "model_card.json").read_text())
    rows = card["metrics"]["evaluation"]["rows"]
    # The real halves are far closer to each other than the untrained generator's grey blur is to either.
    assert rows["real training images (a disjoint half)"]["fd"] * 5 < rows["generated"]["fd"]
    assert card["metrics"]["evaluation"]["n"] == 20 and card["metrics"]["evaluation"]["features"] == "cifar10"
    assert 0 <= card["metrics"]["evaluation"]["nn_ratio"]


def test_evaluate_refuses_bad_requests_and_changes_nothing(tiny_checkpoint_dir, tmp_path, capsys):
    card_file = tiny_checkpoint_dir / TINY_CHECKPOINT / "model_card.json"
    before = card_file.read_text()
    assert main(["evaluate", TINY_CHECKPOINT, "-n", "5"]) == 2
    assert "-n must be from 10" in capsys.readouterr().err
    assert main(["evaluate", TINY_CHECKPOINT]) == 2
    assert "--data is required" in capsys.readouterr().err
    assert main(["evaluate", TINY_CHECKPOINT, "--data", str(tmp_path), "--last-step"]) == 2
    assert "needs a run folder" in capsys.readouterr().err
    assert card_file.read_text() == before


def _report(out: str) -> dict:
    return json.loads(out[out.index("\n{") + 1:])


def test_last_step_grades_the_runs_own_generator_not_its_average(tmp_path, capsys):
    data = tmp_path / "real"
    make_folder(data, 40)
    run = tmp_path / "run"
    train(TrainConfig(model="dcgan32", width=0.25, data=[str(data)], out=str(run), steps=6, batch_size=8,
                      ema_images=1000, device="cpu", cache_dir=str(tmp_path / "cache")))
    assert main(["evaluate", str(run), "--features", "cifar10", "-n", "10"]) == 0
    average = _report(capsys.readouterr().out)
    assert main(["evaluate", str(run), "--features", "cifar10", "-n", "10", "--last-step"]) == 0
    last = _report(capsys.readouterr().out)
    assert (average["generator"], last["generator"]) == ("exported", "last step")
    assert average["rows"]["generated"] != last["rows"]["generated"]
    # The real rows are the same images either way.
    real = "real training images (a disjoint half)"
    assert average["rows"][real] == last["rows"][real]
    assert main(["evaluate", str(run), "--last-step", "--write-card"]) == 2
    assert "leave out --write-card" in capsys.readouterr().err


def test_ship_stores_a_run_as_float16_without_its_discriminator_and_keeps_other_files(tmp_path, capsys):
    import numpy as np

    import gan_core

    data = tmp_path / "real"
    make_folder(data, 20)
    run = tmp_path / "run"
    train(TrainConfig(model="dcgan32", width=0.25, data=[str(data)], out=str(run), steps=2, batch_size=8,
                      device="cpu", cache_dir=str(tmp_path / "cache")))
    out = tmp_path / "checkpoints" / "shipped"
    out.mkdir(parents=True)
    (out / "explore.json").write_text("{}")
    (out / "discriminator.safetensors").write_text("an old D")
    assert main(["ship", str(run), "--out", str(out), "--half", "--no-discriminator", "--name", "shipped"]) == 0
    assert "of 255 levels" in capsys.readouterr().out
    card = json.loads((out / "model_card.json").read_text())
    assert card["name"] == "shipped" and "discriminator" not in card["files"] and "float16" in card["storage"]
    assert (out / "explore.json").exists() and not (out / "discriminator.safetensors").exists()
    a = np.asarray(gan_core.load(run).grid(16, seed=0), np.int16)
    b = np.asarray(gan_core.load(out).grid(16, seed=0), np.int16)
    assert np.abs(a - b).max() <= 3
    assert (out / "generator.safetensors").stat().st_size < 0.6 * (run / "export" / "generator.safetensors").stat().st_size
    assert main(["ship", str(out), "--out", str(out)]) == 2  # onto itself: refused


def test_ship_blends_two_generators_of_the_same_network_weight_by_weight(tmp_path, capsys):
    """ESRGAN's network interpolation: alpha x the run + (1 - alpha) x the other, and the
    blend is refused between different networks or with alpha outside [0, 1]."""
    from gan_core.core.checkpoints import read_tensors

    data = tmp_path / "real"
    make_folder(data, 20)
    runs = {}
    for seed in (1, 2):
        runs[seed] = tmp_path / f"run{seed}"
        train(TrainConfig(model="dcgan32", width=0.25, data=[str(data)], out=str(runs[seed]), steps=1, batch_size=8,
                          device="cpu", seed=seed, cache_dir=str(tmp_path / "cache")))
    out = tmp_path / "blend"
    assert main(["ship", str(runs[1]), "--out", str(out), "--blend-with", str(runs[2]), "--alpha", "0.25"]) == 0
    blended = read_tensors(out / "generator.safetensors")[0]
    a = read_tensors(runs[1] / "export" / "generator.safetensors")[0]
    b = read_tensors(runs[2] / "export" / "generator.safetensors")[0]
    for k, v in blended.items():
        if v.is_floating_point():
            assert (v - (0.25 * a[k] + 0.75 * b[k])).abs().max() < 1e-6, k
    card = json.loads((out / "model_card.json").read_text())
    assert card["interpolation"]["alpha"] == 0.25 and "discriminator" not in card["files"]
    assert not (out / "discriminator.safetensors").exists()
    capsys.readouterr()
    assert main(["ship", str(runs[1]), "--out", str(tmp_path / "x"), "--blend-with", str(runs[2]), "--alpha", "1.5"]) == 2
    assert "alpha must be between 0 and 1" in capsys.readouterr().err
    assert main(["ship", str(runs[1]), "--out", str(tmp_path / "y"), "--alpha", "0.5"]) == 2
    assert "--alpha needs --blend-with" in capsys.readouterr().err
    other = tmp_path / "wide"
    train(TrainConfig(model="dcgan32", width=0.5, data=[str(data)], out=str(other), steps=1, batch_size=8,
                      device="cpu", cache_dir=str(tmp_path / "cache")))
    assert main(["ship", str(runs[1]), "--out", str(tmp_path / "z"), "--blend-with", str(other)]) == 2
    assert "only the same network can be blended" in capsys.readouterr().err
