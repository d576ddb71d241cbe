import json
import shlex
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.core.checkpoints import STATE_FILE, read_tensors
from gan_core.data.image_set import load_images
from gan_core.core.errors import TrainingDiverged
from gan_core.training.gan import TrainConfig, initial_seed, train

from ..helpers import make_folder


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    make_folder(root, 24)
    return root


def cfg(images, out, **kw):
    base = dict(model="dcgan32", data=[str(images)], out=str(out), steps=4, batch_size=8, log_every=1,
                sample_every=2, checkpoint_every=2, n_samples=4, device="cpu", cache_dir=str(out.parent / "cache"))
    base.update(kw)
    return TrainConfig(**base)


def weights(path):
    tensors, _ = read_tensors(path)
    return {k: v for k, v in tensors.items() if k.startswith(("G.", "D."))}


def test_a_run_writes_log_samples_checkpoint_and_card(images, tmp_path):
    seen = []
    result = train(cfg(images, tmp_path / "run"), progress_fn=lambda s, m, g: seen.append((s, sorted(m), g)))
    out = tmp_path / "run"
    lines = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2, 3, 4]
    assert {"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"} <= set(lines[0])
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["real.png", "step_000002.png", "step_000004.png"]
    real = Image.open(out / "samples" / "real.png")  # the first 4 training images, laid out as the samples
    assert real.size == Image.open(out / "samples" / "step_000002.png").size
    first = load_images([str(images)], 32).images[0].permute(1, 2, 0).numpy()
    assert np.abs(np.asarray(real.convert("RGB"), np.int16)[2:34, 2:34] - first).max() <= 1
    assert [s for s, _, g in seen if g is not None] == [2, 4]
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["model"] == "dcgan32" and card["training"]["steps"] == 4 and card["data"]["images"] == 24
    assert card["data"]["content_hash"] and card["training"]["hardware"] and card["training"]["command"]
    assert result.step == 4 and not result.aborted
    # The exported generator reproduces the training sample grid from the card's seed.
    pipe = gan_core.load(out)
    grid = pipe.grid(4, seed=card["samples"]["seed"])
    saved = Image.open(out / "samples" / "step_000004.png")
    assert grid.size == saved.size
    assert np.abs(np.asarray(grid, np.int16) - np.asarray(saved.convert("RGB"), np.int16)).max() <= 1


@pytest.mark.parametrize("model", ["dcgan32", "keras-gan32"])
def test_resume_continues_exactly(images, tmp_path, model):
    straight = tmp_path / "straight"
    train(cfg(images, straight, model=model, steps=6, flip=True))
    split = tmp_path / "split"
    train(cfg(images, split, model=model, steps=3, flip=True))
    train(cfg(images, split, model=model, steps=6, flip=True, resume=True))
    a, b = weights(straight / STATE_FILE), weights(split / STATE_FILE)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed run differs from the uninterrupted one"
    log = [json.loads(x)["step"] for x in (split / "log.jsonl").read_text().splitlines()]
    assert log == [1, 2, 3, 4, 5, 6]


def test_existing_run_is_never_overwritten_without_resume(images, tmp_path):
    train(cfg(images, tmp_path / "run", steps=2))
    before = (tmp_path / "run" / STATE_FILE).read_bytes()
    with pytest.raises(FileExistsError, match="--resume"):
        train(cfg(images, tmp_path / "run", steps=2))
    assert (tmp_path / "run" / STATE_FILE).read_bytes() == before


def test_resume_refuses_other_data(images, tmp_path):
    train(cfg(images, tmp_path / "run", steps=2))
    other = tmp_path / "other"
    make_folder(other, 24, start=500)
    with pytest.raises(ValueError, match="data differs"):
        train(cfg(other, tmp_path / "run", steps=4, resume=True))


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(images, tmp_path, monkeypatch):
    import torch.nn.functional as F

    real_bce = F.binary_cross_entropy_with_logits
    calls = {"n": 0}

    def poisoned(logits, target, *a, **k):
        calls["n"] += 1
        loss = real_bce(logits, target, *a, **k)
        return loss * float("nan") if calls["n"] > 3 * 3 else loss  # from step 4 on (3 losses a step)

    monkeypatch.setattr(F, "binary_cross_entropy_with_logits", poisoned)
    out = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="NaN"):
        train(cfg(images, out, steps=8, checkpoint_every=2))
    _, meta = read_tensors(out / STATE_FILE)
    assert json.loads(meta["state"])["info"]["step"] == 2
    assert all(torch.isfinite(v).all() for v in weights(out / STATE_FILE).values())
    monkeypatch.setattr(F, "binary_cross_entropy_with_logits", real_bce)
    result = train(cfg(images, out, steps=4, resume=True))  # and the run can go on
    assert result.step == 4


def test_abort_fn_stops_cleanly_with_a_resumable_checkpoint(images, tmp_path):
    result = train(cfg(images, tmp_path / "run", steps=50, checkpoint_every=100), abort_fn=lambda: True)
    assert result.aborted and result.step == 1
    result = train(cfg(images, tmp_path / "run", steps=3, resume=True))
    assert result.step == 3


def test_dataset_given_directly_is_used(images, tmp_path):
    ds = load_images(images, 32, use_cache=False)
    result = train(cfg("unused", tmp_path / "run", steps=1, data=[]), dataset=ds)
    assert result.step == 1


def test_init_from_an_exported_checkpoint(images, tmp_path):
    train(cfg(images, tmp_path / "first", steps=2))
    result = train(cfg(images, tmp_path / "second", steps=0, init_from=str(tmp_path / "first")))
    card = json.loads((tmp_path / "second" / "export" / "model_card.json").read_text())
    assert result.step == 0 and card["training"]["init_from"]["steps"] == 2
    a = weights(tmp_path / "first" / STATE_FILE)
    b = weights(tmp_path / "second" / STATE_FILE)
    assert all(torch.equal(a[k], b[k]) for k in a)  # the weights, not a fresh initialisation
    with pytest.raises(ValueError, match="not a keras-gan32"):
        train(cfg(images, tmp_path / "third", model="keras-gan32", steps=1, init_from=str(tmp_path / "first")))
    # A checkpoint shipped without its discriminator starts with its G and a fresh D.
    (tmp_path / "first" / "export" / "discriminator.safetensors").unlink()
    train(cfg(images, tmp_path / "fourth", steps=0, init_from=str(tmp_path / "first")))
    card = json.loads((tmp_path / "fourth" / "export" / "model_card.json").read_text())
    assert card["training"]["init_from"]["discriminator"].startswith("a fresh one")
    c = weights(tmp_path / "fourth" / STATE_FILE)
    assert all(torch.equal(a[k], c[k]) for k in a if k.startswith("G."))
    assert not all(torch.equal(a[k], c[k]) for k in a if k.startswith("D."))


def test_a_chain_of_init_from_runs_remembers_the_first_seed(images, tmp_path):
    """The untrained baseline of the probe must rebuild the weights the chain began
    with, not draw new ones from the last run's seed (which only orders the data)."""
    train(cfg(images, tmp_path / "a", steps=1, seed=3))
    train(cfg(images, tmp_path / "b", steps=1, seed=5, init_from=str(tmp_path / "a")))
    train(cfg(images, tmp_path / "c", steps=0, seed=7, init_from=str(tmp_path / "b" / "export")))
    cards = {k: json.loads((tmp_path / k / "export" / "model_card.json").read_text())["training"] for k in "abc"}
    assert [initial_seed(cards[k]) for k in "abc"] == [3, 3, 3]
    assert cards["c"]["seed"] == 7 and cards["c"]["init_from"]["initial_seed"] == 3


def test_a_quarter_width_run_exports_a_checkpoint_that_loads_at_its_width(tmp_path):
    out = tmp_path / "run"
    train(cfg("unused", out, model="keras-gan32", width=0.25, data=["shapes:40"], steps=2, sample_every=2))
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["config"]["width"] == 0.25 and card["data"]["sources"] == ["shapes:40"]
    assert json.loads((out / "config.json").read_text())["width"] == 0.25
    pipe = gan_core.load(out)
    assert pipe.spec.width == 0.25 and pipe.generator.main[0].out_channels == 64  # 256 x 0.25
    a, b = pipe(3, seed=5), pipe(3, seed=5)
    assert all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b))
    from PIL import Image
    saved = np.asarray(Image.open(out / "samples" / "step_000002.png").convert("RGB"), np.int16)
    assert np.abs(np.asarray(pipe.grid(4, seed=card["samples"]["seed"]), np.int16) - saved).max() <= 1
    assert gan_core.load_discriminator(out)(pipe.decode(pipe.latents(2))).shape == (2,)


def test_cards_without_a_width_are_the_paper_network_and_a_bad_width_is_refused(images, tmp_path):
    from gan_core.core.errors import CheckpointError

    out = tmp_path / "run"
    train(cfg(images, out, steps=1))
    card_path = out / "export" / "model_card.json"
    card = json.loads(card_path.read_text())
    assert card["config"]["width"] == 1.0
    del card["config"]["width"]  # as written before the width setting
    card_path.write_text(json.dumps(card))
    assert gan_core.load(out).spec.width == 1.0
    for bad in (0, "wide", 9):
        card["config"]["width"] = bad
        card_path.write_text(json.dumps(card))
        with pytest.raises(CheckpointError, match="config.width: width must be a number above 0 and at most 4"):
            gan_core.load(out)
    card["config"]["width"] = 0.5  # weights of another width: refused by their shapes
    card_path.write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="wrong shape"):
        gan_core.load(out)


def test_a_run_resumes_only_at_its_own_width(images, tmp_path):
    out = tmp_path / "run"
    train(cfg(images, out, steps=2, width=0.5))
    with pytest.raises(ValueError, match="trained at width 0.5, not 1"):
        train(cfg(images, out, steps=4, resume=True))
    assert train(cfg(images, out, steps=3, width=0.5, resume=True)).step == 3


def test_init_from_checks_the_width(images, tmp_path):
    train(cfg(images, tmp_path / "first", steps=1, width=0.5))
    with pytest.raises(ValueError, match="--width 0.5"):
        train(cfg(images, tmp_path / "second", steps=1, init_from=str(tmp_path / "first")))
    assert train(cfg(images, tmp_path / "third", steps=1, width=0.5, init_from=str(tmp_path / "first"))).step == 1


def test_a_bad_width_is_refused_before_anything_is_written(images, tmp_path):
    with pytest.raises(ValueError, match="above 0 and at most 4"):
        train(cfg(images, tmp_path / "run", width=0))
    assert not (tmp_path / "run").exists()


def test_the_default_config_passes_its_check():
    TrainConfig().check()
    TrainConfig(model="keras-gan32", width=0.25, steps=0, batch_size=2, lr_g=0.1, label_noise=0.5).check()


@pytest.mark.parametrize("over, message", [
    (dict(model="nope"), "unknown model 'nope'"),
    (dict(width=5), "above 0 and at most 4"),
    (dict(steps=-1), "steps must be a whole number from 0"),
    (dict(steps=2.5), "steps must be a whole number"),
    (dict(batch_size=1), "the batch size must be a whole number from 2"),
    (dict(lr_g=0.5), "the generator's learning rate must be a number from 1e-06 to 0.1, not 0.5"),
    (dict(lr_d=float("nan")), "the discriminator's learning rate must be a number"),
    (dict(beta1=1.0), "Adam's beta1 must be a number from 0 to 0.999"),
    (dict(label_noise=0.9), "the label noise must be a number from 0 to 0.5"),
    (dict(log_every=0), "log_every must be a whole number from 1"),
])
def test_config_check_names_the_setting_out_of_bounds(tmp_path, over, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**over).check()
    with pytest.raises(ValueError, match=message):  # before anything is read or written
        train(TrainConfig(data=["nowhere"], out=str(tmp_path / "run"), **over))
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("config", [
    TrainConfig(model="dcgan32", width=0.5, data=["shapes:2000"], steps=900, batch_size=32, lr_g=1e-3, lr_d=4e-4,
                beta1=0.0, beta2=0.99, ema_images=2000, augment=["translation", "cutout"], sample_every=100, log_every=5, checkpoint_every=300, out="runs/shapes", name="shapes"),
    TrainConfig(model="keras-gan32", data=["frogs.zip", "more frogs"], classes=["frog"], split="train", epochs=2.5,
                label_noise=0.05, clip_grad=1.0, flip=True, framing="center", max_images=500, seed=3,
                out="runs/x"),
    TrainConfig(model="dcgan64", data=["faces"], steps=100, loss="hinge", spectral_norm=True, r1=0.5, rotation=1.0,
                recipe="modern",
                ema_images=10_000.0, augment=["color", "translation", "cutout"], out="runs/y"),
])
def test_a_configs_command_line_trains_the_same_config(config):
    """The command a run started in the app records in its card parses back into its config."""
    from gan_core.cli import build_parser
    from gan_core.cli.train import new_config

    argv = shlex.split(config.command_line())[3:]
    assert argv[0] == "train"
    parsed = new_config(build_parser().parse_args(argv), argv)
    assert asdict(replace(parsed, command=None)) == asdict(config)
    # Data kept under a server path is named as the caller says.
    assert "--data images.zip" in config.command_line(data=["images.zip"])


def test_lengthening_a_run_rewrites_its_recorded_steps():
    config = TrainConfig(model="dcgan32", data=["shapes"], steps=600, out="runs/a")
    config = replace(config, command=config.command_line())
    longer = config.lengthened(1000)
    assert (longer.steps, longer.resume) == (1000, True)
    assert "--steps 1000" in longer.command and "--steps 600" not in longer.command


def test_the_weight_average_is_what_samples_and_is_exported(images, tmp_path):
    out = tmp_path / "run"
    train(cfg(images, out, steps=4, ema_images=40))
    state = read_tensors(out / STATE_FILE)[0]
    exported = read_tensors(out / "export" / "generator.safetensors")[0]
    key = next(k for k in exported if k.endswith("weight") and exported[k].dim() == 4)
    assert torch.equal(exported[key].float(), state[f"G_ema.{key}"].float())
    assert not torch.equal(state[f"G_ema.{key}"], state[f"G.{key}"])  # an average, not the last step's G
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["config"]["ema_images"] == 40
    # The exported generator draws the run's last sample grid.
    grid = np.asarray(gan_core.load(out).grid(4, seed=card["samples"]["seed"]), np.int16)
    saved = np.asarray(Image.open(out / "samples" / "step_000004.png").convert("RGB"), np.int16)
    assert np.abs(grid - saved).max() <= 1
    # A half-life far under one batch follows G step for step.
    train(cfg(images, tmp_path / "short", steps=2, ema_images=1e-6))
    state = read_tensors(tmp_path / "short" / STATE_FILE)[0]
    assert torch.equal(state[f"G_ema.{key}"], state[f"G.{key}"])


def test_a_run_with_a_weight_average_and_augmentation_resumes_exactly(images, tmp_path):
    recipe = dict(ema_images=40, augment=["color", "translation", "cutout"])
    train(cfg(images, tmp_path / "straight", steps=6, **recipe))
    train(cfg(images, tmp_path / "split", steps=3, **recipe))
    train(cfg(images, tmp_path / "split", steps=6, resume=True, **recipe))
    plain = tmp_path / "plain"
    train(cfg(images, plain, steps=6, ema_images=40))
    assert not torch.equal(read_tensors(plain / STATE_FILE)[0]["D.blocks.0.0.weight"],
                           read_tensors(tmp_path / "straight" / STATE_FILE)[0]["D.blocks.0.0.weight"])
    card = json.loads((tmp_path / "split" / "export" / "model_card.json").read_text())
    assert card["config"]["augment"] == ["color", "translation", "cutout"]
    a, b = read_tensors(tmp_path / "straight" / STATE_FILE)[0], read_tensors(tmp_path / "split" / STATE_FILE)[0]
    assert any(k.startswith("G_ema.") for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith(("G.", "G_ema.", "D.")))


def test_adam_betas_are_refused_for_an_rmsprop_model():
    with pytest.raises(ValueError, match="RMSprop"):
        TrainConfig(model="keras-gan32", beta2=0.99).check()
    TrainConfig(model="dcgan32", beta1=0.0, beta2=0.99, ema_images=1000).check()
    with pytest.raises(ValueError, match="half-life"):
        TrainConfig(ema_images=-1).check()
    with pytest.raises(ValueError, match="unknown augmentation 'flip'"):
        TrainConfig(augment=["flip"]).check()


def test_hinge_spectral_norm_and_r1_train_resume_exactly_and_export_a_plain_discriminator(images, tmp_path):
    from gan_core.pipelines.generator import load_discriminator

    recipe = dict(loss="hinge", spectral_norm=True, r1=0.1)
    train(cfg(images, tmp_path / "straight", steps=18, **recipe))  # R1 at steps 0 and 16
    train(cfg(images, tmp_path / "split", steps=9, **recipe))
    train(cfg(images, tmp_path / "split", steps=18, resume=True, **recipe))
    a, b = read_tensors(tmp_path / "straight" / STATE_FILE)[0], read_tensors(tmp_path / "split" / STATE_FILE)[0]
    assert any("parametrizations" in k for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith(("G.", "D.")))
    # Each option changes the training: none of them is silently dropped.
    finals = {}
    for name, options in {"plain": {}, "hinge": dict(loss="hinge"), "sn": dict(spectral_norm=True),
                          "r1": dict(r1=10.0)}.items():
        train(cfg(images, tmp_path / name, steps=2, **options))
        finals[name] = read_tensors(tmp_path / name / STATE_FILE)[0]["G.main.0.weight"]
    assert all(not torch.equal(finals["plain"], finals[k]) for k in ("hinge", "sn", "r1"))
    # The exported D has plain weights (W / sigma), so the loaders and the probe read it as the paper's.
    card = json.loads((tmp_path / "straight" / "export" / "model_card.json").read_text())
    assert (card["config"]["loss"], card["config"]["spectral_norm"], card["config"]["r1"]) == ("hinge", True, 0.1)
    D = load_discriminator(tmp_path / "straight")
    w = D.blocks[0][0].weight.detach().flatten(1)
    assert torch.linalg.matrix_norm(w, ord=2) == pytest.approx(1.0, abs=0.05)
    # A run starts from an SN checkpoint, with or without spectral norm.
    train(cfg(images, tmp_path / "again", steps=2, init_from=str(tmp_path / "straight"), spectral_norm=True))


def test_the_rotation_loss_trains_d_resumes_exactly_and_exports_the_plain_discriminator(images, tmp_path):
    from gan_core.pipelines.generator import load_discriminator
    from gan_core.training.gan import ROTATIONS

    train(cfg(images, tmp_path / "straight", steps=6, rotation=1.0))
    train(cfg(images, tmp_path / "split", steps=3, rotation=1.0))
    train(cfg(images, tmp_path / "split", steps=6, resume=True, rotation=1.0))
    a, b = read_tensors(tmp_path / "straight" / STATE_FILE)[0], read_tensors(tmp_path / "split" / STATE_FILE)[0]
    assert a["D_rotation.weight"].shape[0] == ROTATIONS
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith(("G.", "D.", "D_rotation.")))
    train(cfg(images, tmp_path / "plain", steps=6))
    plain = read_tensors(tmp_path / "plain" / STATE_FILE)[0]
    assert not torch.equal(plain["D.blocks.0.0.weight"], a["D.blocks.0.0.weight"])
    assert not torch.equal(plain["G.main.0.weight"], a["G.main.0.weight"])  # G is asked for turns D can tell
    card = json.loads((tmp_path / "straight" / "export" / "model_card.json").read_text())
    assert card["config"]["rotation"] == 1.0
    load_discriminator(tmp_path / "straight")  # the paper's D: the head is the training's, not exported
    with pytest.raises(ValueError, match="rotation loss weight"):
        TrainConfig(rotation=-1).check()


def test_the_rotation_head_learns_which_quarter_turn_an_image_got(images, tmp_path):
    """Its labels match the turns: on a fixed set, D and the head alone learn them well
    above chance (a label mix-up would leave the loss at log 4)."""
    import math

    from gan_core.training.gan import GANTask

    config = cfg(images, tmp_path / "r", steps=1, rotation=1.0)
    spec, hp = config.spec(), config.hyperparameters()
    task = GANTask(config, spec, hp, load_images(images, spec.image_size), torch.device("cpu"), 0, 1, 1)
    real = task.dataset.batch(torch.arange(16), None)
    opt = torch.optim.Adam([*task.D.parameters(), *task.rotation_head.parameters()], lr=2e-3)
    for _ in range(60):
        opt.zero_grad()
        loss = task.rotation_loss(real)
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * math.log(4)


def test_the_hinge_loss_has_no_label_noise_and_a_bad_loss_is_refused():
    assert TrainConfig(model="keras-gan32", loss="hinge").hyperparameters()["label_noise"] == 0.0
    with pytest.raises(ValueError, match="hinge loss has none"):
        TrainConfig(model="keras-gan32", loss="hinge", label_noise=0.05).check()
    with pytest.raises(ValueError, match="the loss must be one of bce, hinge"):
        TrainConfig(loss="wasserstein").check()
    with pytest.raises(ValueError, match="R1 weight"):
        TrainConfig(r1=-1).check()


def test_a_recipe_fills_the_options_not_given_and_the_paper_is_the_default():
    from gan_core.cli import build_parser
    from gan_core.cli.train import new_config
    from gan_core.training.recipes import RECIPES

    def parsed(*extra):
        argv = ["train", "--data", "shapes", "--out", "runs/r", *extra]
        return new_config(build_parser().parse_args(argv), argv)

    plain = parsed()
    assert (plain.ema_images, plain.augment, plain.loss, plain.spectral_norm, plain.r1, plain.recipe) == \
        (0.0, None, "bce", False, 0.0, None)
    modern = parsed("--recipe", "modern")
    assert modern.recipe == "modern"
    assert all(getattr(modern, k) == v for k, v in RECIPES["modern"].items())
    assert modern.ema_images > 0 and modern.augment
    mixed = parsed("--recipe", "modern", "--ema-images", "0", "--loss", "hinge")
    assert (mixed.ema_images, mixed.loss, mixed.augment) == (0.0, "hinge", RECIPES["modern"]["augment"])
    assert parsed("--recipe", "paper").augment is None


def test_the_average_samples_with_batchnorm_statistics_of_its_own(images, tmp_path):
    from gan_core.training.gan import recalibrate_batchnorm

    out = tmp_path / "run"
    train(cfg(images, out, steps=4, ema_images=40))
    state = read_tensors(out / STATE_FILE)[0]
    exported = read_tensors(out / "export" / "generator.safetensors")[0]
    key = next(k for k in exported if k.endswith("running_mean"))
    # Not the last step's G's statistics, which the averaged weights do not fit ...
    assert not torch.equal(exported[key], state[f"G.{key}"])
    # ... but the average's own, measured on its samples: measuring again changes nothing.
    pipe = gan_core.load(out)
    before = {k: v.clone() for k, v in pipe.generator.state_dict().items() if "running" in k}
    recalibrate_batchnorm(pipe.generator, pipe.spec)
    after = {k: v for k, v in pipe.generator.state_dict().items() if "running" in k}
    assert all(torch.allclose(before[k], after[k], atol=1e-5) for k in before)
    momenta = {m.momentum for m in pipe.generator.modules() if isinstance(m, torch.nn.BatchNorm2d)}
    assert momenta == {0.1}  # the layers' own momentum is back
