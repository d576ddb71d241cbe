"""Super-resolution training (gan_core.training.sr): runs, resume, init-from, VGG weights, losses.

Small nets (2 blocks of 16 channels) on a handful of synthetic photos: seconds on a CPU.
"""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

import gan_core
from gan_core.core.checkpoints import CARD_FILE, STATE_FILE, read_tensors
from gan_core.core.errors import CheckpointError
from gan_core.pipelines.upscaler import Upscaler
from gan_core.training.sr import SRTrainConfig, load_vgg19, train_sr, vgg19_features

from ..helpers import edged_picture, sr_config, write_tiny_checkpoint


def state(path):
    tensors, _ = read_tensors(path)
    return {k: v for k, v in tensors.items() if not k.startswith("rng.")}


def test_mse_run_writes_a_loadable_upscaler(sr_photos, tmp_path):
    out = tmp_path / "run"
    result = train_sr(sr_config(sr_photos, out, name="tiny-sr"))
    assert result.step == 3 and not result.aborted
    for name in ("config.json", "log.jsonl", STATE_FILE, "export/generator.safetensors", "export/" + CARD_FILE):
        assert (out / name).is_file(), name
    assert not (out / "export" / "discriminator.safetensors").exists()  # no D in the mse phase
    row = Image.open(out / "samples" / "step_000002.png")
    assert row.size == (4 * 32 + 6, 4 * 32 + 3 * 2)  # LR | bicubic | SR | HR, four validation crops
    card = json.loads((out / "export" / CARD_FILE).read_text())
    assert card["task"] == "super-resolution" and card["loss"]["content"] == "pixel"
    assert card["data"]["images"] == 6 and card["data"]["skipped"] == 1
    assert card["training"]["steps"] == 3 and card["training"]["hardware"]
    assert "psnr_val" in card["metrics"]["validation_crops"]
    up = gan_core.load(out)  # a run folder: its export/
    assert isinstance(up, Upscaler) and up.name == "tiny-sr"
    big = up(Image.fromarray(edged_picture(9, (20, 12))))
    assert big.size == (80, 48) and big.mode == "RGB"


@pytest.mark.parametrize("phase", ["mse", "gan"])
def test_resume_continues_exactly(sr_photos, tmp_path, phase):
    extra = dict(phase=phase, content_loss="discriminator") if phase == "gan" else {}
    straight, split = tmp_path / "straight", tmp_path / "split"
    train_sr(sr_config(sr_photos, straight, **extra))
    train_sr(sr_config(sr_photos, split, steps=2, **extra))
    assert train_sr(sr_config(sr_photos, split, resume=True, **extra)).step == 3
    a, b = state(straight / STATE_FILE), state(split / STATE_FILE)
    assert a.keys() == b.keys() and any(k.startswith("D.") for k in a) == (phase == "gan")
    assert all(torch.equal(a[k], b[k]) for k in a), "the resumed run differs from the uninterrupted one"
    steps = [json.loads(x)["step"] for x in (split / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


def test_gan_phase_from_an_mse_run_falls_back_without_vgg_weights(sr_photos, tmp_path, monkeypatch):
    import gan_core.training.sr as sr_train

    def offline(weights=None):
        raise OSError("no network: cannot download the VGG19 weights")

    monkeypatch.setattr(sr_train, "load_vgg19", offline)
    train_sr(sr_config(sr_photos, tmp_path / "mse", steps=2))
    out = tmp_path / "gan"
    train_sr(sr_config(sr_photos, out, phase="gan", init_from=str(tmp_path / "mse"), steps=2))
    card = json.loads((out / "export" / CARD_FILE).read_text())
    assert card["loss"]["content"] == "discriminator features"
    assert "could not be loaded" in card["loss"]["note"] and "no network" in card["loss"]["note"]
    assert card["loss"]["adversarial_weight"] == 1e-3
    assert card["training"]["init_from"]["steps"] == 2
    assert card["files"] == {"generator": "generator.safetensors", "discriminator": "discriminator.safetensors"}
    gan_core.load(out, task="super-resolution")

    pixel = tmp_path / "pixel"
    train_sr(sr_config(sr_photos, pixel, phase="gan", content_loss="pixel", steps=1))
    assert json.loads((pixel / "export" / CARD_FILE).read_text())["loss"]["content"] == "pixel"
    with pytest.raises(ValueError, match="--vgg-weights"):  # asked for VGG explicitly: no silent fallback
        train_sr(sr_config(sr_photos, tmp_path / "vgg", phase="gan", content_loss="vgg", steps=1))


def test_init_from_the_mse_run_starts_the_generator_there(sr_photos, tmp_path):
    train_sr(sr_config(sr_photos, tmp_path / "mse", steps=1))
    out = tmp_path / "gan"
    train_sr(sr_config(sr_photos, out, phase="gan", content_loss="pixel", init_from=str(tmp_path / "mse"), steps=1,
                 lr=0.0))  # lr 0: the weights stay those loaded (BatchNorm running stats move, not weights)
    a, b = state(tmp_path / "mse" / STATE_FILE), state(out / STATE_FILE)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("G.") and "running" not in k
               and "num_batches" not in k)


def test_vgg_weights_load_from_a_local_file_without_unpickling(tmp_path):
    net = vgg19_features()
    sd = {f"features.{k}": v for k, v in net.state_dict().items()}
    sd["classifier.0.weight"] = torch.zeros(2, 2)  # a whole torchvision state dict: the classifier is ignored
    torch.save(sd, tmp_path / "vgg19.pth")
    loaded, source = load_vgg19(str(tmp_path / "vgg19.pth"))
    assert source.endswith("vgg19.pth") and not any(p.requires_grad for p in loaded.parameters())
    assert torch.equal(loaded[34].weight, net[34].weight)

    class Evil:
        def __reduce__(self):
            return (print, ("unpickled!",))

    torch.save({"x": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(ValueError, match="plain state dict"):
        load_vgg19(str(tmp_path / "evil.pth"))


def test_sr_checkpoints_are_not_offered_as_generators(sr_photos, tmp_path, monkeypatch):
    root = tmp_path / "checkpoints"
    write_tiny_checkpoint(root / "tiny-gan")
    train_sr(sr_config(sr_photos, tmp_path / "run", steps=1))
    (root / "tiny-sr").mkdir()
    for f in (tmp_path / "run" / "export").iterdir():
        (root / "tiny-sr" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(root))
    assert "tiny-gan" in gan_core.list_checkpoints() and "tiny-sr" not in gan_core.list_checkpoints()
    sr = gan_core.list_checkpoints(task="super-resolution")
    assert "tiny-sr" in sr and "tiny-gan" not in sr
    assert {"tiny-gan", "tiny-sr"} <= set(gan_core.list_checkpoints(task=None))
    with pytest.raises(CheckpointError, match="tiny-sr is a super-resolution checkpoint, not a GAN generator"):
        gan_core.load("tiny-sr", task="gan")
    with pytest.raises(CheckpointError, match="tiny-gan is a gan checkpoint, not a super-resolution network"):
        gan_core.load("tiny-gan", task="super-resolution")
    with pytest.raises(CheckpointError, match="no super-resolution checkpoint 'nope': .*tiny-sr"):
        gan_core.load("nope", task="super-resolution")


def test_pixel_weight_adds_pixel_mse_to_the_discriminator_content_loss():
    import copy

    from gan_core.models.srgan import SRDiscriminator, SRResNet
    from gan_core.training.sr import _gan_step

    torch.manual_seed(0)
    G0, D0 = SRResNet(blocks=1, channels=8), SRDiscriminator()
    lr = torch.rand(2, 3, 8, 8) * 2 - 1
    hr = torch.rand(2, 3, 32, 32) * 2 - 1
    logged = {}
    for w in (0.0, 5.0):
        G, D = copy.deepcopy(G0), copy.deepcopy(D0)
        opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
        sr = G(lr)
        config = SRTrainConfig(phase="gan", content_loss="discriminator", pixel_weight=w)
        logged[w] = _gan_step(config, G, D, opt_g, opt_d, sr, hr, "discriminator", None)[0].item()
        pixel = torch.nn.functional.mse_loss(sr, hr).item()
    assert logged[5.0] - logged[0.0] == pytest.approx(5.0 * pixel, rel=1e-4)
    with pytest.raises(ValueError, match="pixel weight"):
        SRTrainConfig(pixel_weight=-1.0).check()


def test_a_litesr_l1_cosine_run_resumes_exactly_and_loads_as_its_network(sr_photos, tmp_path):
    from gan_core.models.srgan import LiteSR
    from gan_core.training.sr import learning_rate

    recipe = dict(arch="litesr", pixel_loss="l1", lr_schedule="cosine", lr=1e-3)
    straight, split = tmp_path / "straight", tmp_path / "split"
    train_sr(sr_config(sr_photos, straight, **recipe))
    # Stopped after 2 of its 3 steps (the cosine follows the planned length), then resumed.
    polls = iter(range(100))
    assert train_sr(sr_config(sr_photos, split, **recipe), abort_fn=lambda: next(polls) >= 2).aborted
    train_sr(sr_config(sr_photos, split, resume=True, **recipe))
    a, b = state(straight / STATE_FILE), state(split / STATE_FILE)
    assert all(torch.equal(a[k], b[k]) for k in a)
    card = json.loads((straight / "export" / CARD_FILE).read_text())
    assert card["model"] == "litesr" and (card["config"]["blocks"], card["config"]["channels"]) == (2, 16)
    assert card["config"]["pixel_loss"] == "l1" and "L1" in card["loss"]["content_detail"]
    assert "LiteSR" in card["description"] and "loss_l1" in card["metrics"]["training"]
    assert isinstance(gan_core.load(straight).model, LiteSR)
    # The cosine schedule falls from the rate to 0; the step schedule cuts it by 10.
    config = SRTrainConfig(lr=1e-3, lr_schedule="cosine", steps=10)
    assert learning_rate(config, 0) == 1e-3 and learning_rate(config, 10) == 0.0
    assert learning_rate(SRTrainConfig(lr=1e-3, lr_drop_at=5), 5) == pytest.approx(1e-4)
    # A run's resume checks its network; --init-from refuses another network's weights.
    with pytest.raises(ValueError, match="arch"):
        train_sr(sr_config(sr_photos, split, resume=True, steps=4))
    with pytest.raises(ValueError, match="is a litesr, not a srresnet: pass --arch litesr"):
        train_sr(sr_config(sr_photos, tmp_path / "gan", phase="gan", content_loss="pixel", init_from=str(straight)))


@pytest.mark.parametrize("over, message", [
    (dict(arch="edsr"), "the network must be one of"), (dict(pixel_loss="l2"), "the pixel loss must be one of"),
    (dict(lr_schedule="cosine", lr_drop_at=5), "belongs to the step schedule"), (dict(blocks=0), "blocks must be"),
])
def test_a_bad_sr_setting_is_refused(over, message):
    with pytest.raises(ValueError, match=message):
        SRTrainConfig(**over).check()


def test_train_sr_from_a_checkpoint_builds_its_network(sr_photos, tmp_path):
    from gan_core.cli import main

    source = tmp_path / "lite"
    train_sr(sr_config(sr_photos, source, arch="litesr", steps=2))
    out = tmp_path / "gan"
    assert main(["train-sr", "--phase", "gan", "--data", str(sr_photos), "--init-from", str(source), "--steps", "1",
                 "--hr-size", "32", "--batch-size", "2", "--content-loss", "pixel", "--pixel-loss", "l1",
                 "--d-channels", "16", "--out", str(out)]) == 0
    card = json.loads((out / "export" / CARD_FILE).read_text())
    assert (card["model"], card["config"]["blocks"], card["config"]["channels"]) == ("litesr", 2, 16)
    # A lighter discriminator, and L1 as the gan phase's pixel content.
    assert card["config"]["d_channels"] == 16 and "(L1)" in card["loss"]["content_detail"]
    assert read_tensors(out / "export" / "discriminator.safetensors")[0]["blocks.0.0.weight"].shape[0] == 16
