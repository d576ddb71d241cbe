"""Style training (gan_core.training.style): runs, resume, refusals, the ablation, clipping.

Tiny nets on a handful of synthetic pictures: seconds on a CPU.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.core.checkpoints import CARD_FILE, STATE_FILE, read_tensors
from gan_core.core.errors import CheckpointError
from gan_core.pipelines.style import StyleTransfer
from gan_core.training.style import StyleTrainConfig, train_style

from ..helpers import pixel_difference as _differ, smooth_picture, tiles_by_hand as _tiles_by_hand


def cfg(domains, out, **kw) -> StyleTrainConfig:
    base = dict(photos=[str(domains[0])], paintings=[str(domains[1])], out=str(out), steps=4, tile=16,
                batch_size=3, g_width=4, g_blocks=1, d_width=4, lenvec=8, log_every=1, sample_every=2,
                checkpoint_every=2, device="cpu", max_side=None)
    return StyleTrainConfig(**{**base, **kw})


def _assert_resumes_exactly(domains, tmp_path, recipe: dict) -> None:
    """A run with `recipe` stopped after two steps and resumed ends where one unbroken run
    does (tmp_path / "whole" holds the unbroken one afterwards)."""
    train_style(cfg(domains, tmp_path / "whole", **recipe))
    polls = iter(range(100))
    assert train_style(cfg(domains, tmp_path / "split", **recipe), abort_fn=lambda: next(polls) >= 2).aborted
    train_style(cfg(domains, tmp_path / "split", resume=True, **recipe))
    a, b = _weights(tmp_path / "whole" / STATE_FILE), _weights(tmp_path / "split" / STATE_FILE)
    assert all(torch.equal(a[k], b[k]) for k in a)


def _weights(path):
    tensors, _ = read_tensors(path)
    return {k: v for k, v in tensors.items() if not k.startswith("rng.")}


def test_training_writes_a_loadable_style_model_and_logs_every_term(domains, tmp_path):
    seen = []
    result = train_style(cfg(domains, tmp_path / "run", name="tiny-style"),
                         progress_fn=lambda step, metrics, sheet: seen.append((step, sheet)))
    assert result.step == 4 and not result.aborted
    lines = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {"loss_d1", "loss_d2", "loss_d3", "loss_g1", "loss_g2", "norm_b", "norm_ab"} <= set(lines[-1])
    assert "seam_score" in lines[-1]
    assert any(sheet is not None for _, sheet in seen)
    card = json.loads((tmp_path / "run" / "export" / CARD_FILE).read_text())
    assert card["task"] == "style-transfer" and card["config"]["combo"] is True
    assert card["data"]["A (photos)"]["images"] == 4 and card["data"]["A (photos)"]["skipped"] == 1
    painter = gan_core.load(tmp_path / "run")
    assert isinstance(painter, StyleTransfer)
    out = painter(Image.fromarray(smooth_picture(5, (50, 40))), working_size=None)
    assert out.size == (50, 40)
    assert painter(Image.fromarray(smooth_picture(5, (50, 40))), working_size=None, method="resized").size == (50, 40)
    with pytest.raises(ValueError, match="tiles"):
        painter(Image.fromarray(smooth_picture(5)), method="mosaic")


def test_training_changes_the_generator(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "run", steps=3, lr=1e-2))  # a big step: 3 of them must show
    painter = gan_core.load(tmp_path / "run")
    G = painter.generator
    x = torch.rand(1, 3, 32, 32) * 1.6 - 0.8
    assert not torch.allclose(G(x), x, atol=1e-3)  # no longer the identity it started as
    img = Image.fromarray(smooth_picture(5, (48, 32)))  # 3 x 2 tiles of 16
    out = painter(img, working_size=None)
    assert np.array_equal(np.asarray(out), _tiles_by_hand(G, img, 16))  # the trained G, tile by tile
    assert _differ(out, img).mean() > 1


def test_resume_continues_exactly(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "whole", steps=4))
    train_style(cfg(domains, tmp_path / "split", steps=2))
    card_path = tmp_path / "split" / "export" / CARD_FILE
    card = json.loads(card_path.read_text())
    card["metrics"]["seams"] = {"measured": "by hand"}  # as `style seams --write-card` leaves it
    card_path.write_text(json.dumps(card))
    train_style(cfg(domains, tmp_path / "split", steps=4, resume=True))
    a, b = _weights(tmp_path / "whole" / STATE_FILE), _weights(tmp_path / "split" / STATE_FILE)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    card = json.loads(card_path.read_text())
    assert card["metrics"]["seams"] == {"measured": "by hand"} and card["training"]["steps"] == 4
    assert [json.loads(line)["step"] for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()
            if "step" in json.loads(line)][-1] == 4


def test_a_run_refuses_to_overwrite_or_resume_with_other_settings(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "run", steps=2))
    with pytest.raises(FileExistsError, match="--resume"):
        train_style(cfg(domains, tmp_path / "run", steps=2))
    with pytest.raises(ValueError, match="combo"):
        train_style(cfg(domains, tmp_path / "run", steps=3, combo=False, resume=True))


def test_bad_settings_are_refused_before_anything_is_written(domains, tmp_path):
    for kw, msg in [(dict(batch_size=1), "at least 2"), (dict(tile=20), "multiple of 16"),
                    (dict(paintings=[]), "both domains"), (dict(margin=0), "positive")]:
        with pytest.raises(ValueError, match=msg):
            train_style(cfg(domains, tmp_path / "run", **kw))
        assert not (tmp_path / "run").exists()


def test_the_ablation_trains_without_the_combo(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "plain", steps=2, combo=False, lr_d=1e-3))
    card = json.loads((tmp_path / "plain" / "export" / CARD_FILE).read_text())
    assert card["config"]["combo"] is False and "WITHOUT" in card["description"]
    assert card["config"]["lr_d"] == 1e-3 and card["config"]["lr"] == 2e-4 and card["config"]["clip_grad"] == 1.0


def test_gradient_clipping_is_applied(domains, tmp_path):
    """The same two steps with a tiny clip and with none end with different weights (Adam's
    moments see the clipped gradients)."""
    train_style(cfg(domains, tmp_path / "clipped", steps=2, clip_grad=1e-6))
    train_style(cfg(domains, tmp_path / "free", steps=2, clip_grad=None))
    a, b = _weights(tmp_path / "clipped" / STATE_FILE), _weights(tmp_path / "free" / STATE_FILE)
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("D."))


def test_style_models_are_listed_apart_from_generators(domains, tmp_path, monkeypatch):
    root = tmp_path / "checkpoints"
    train_style(cfg(domains, tmp_path / "run", steps=2))
    (root / "tiny-style").mkdir(parents=True)
    for f in (tmp_path / "run" / "export").iterdir():
        (root / "tiny-style" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(root))
    assert "tiny-style" in gan_core.list_checkpoints(task="style-transfer")
    assert "tiny-style" not in gan_core.list_checkpoints()
    with pytest.raises(CheckpointError, match="no style-transfer checkpoint"):
        gan_core.load(tmp_path, task="style-transfer")  # no card there
    with pytest.raises(CheckpointError, match="tiny-style is a style-transfer checkpoint, not a GAN generator"):
        gan_core.load("tiny-style", task="gan")  # not a generator of noise: the error says what it is


def test_a_drawing_generator_augmentation_and_a_cosine_schedule_train_resume_and_load(domains, tmp_path):
    """--no-residual, --augment and --lr-schedule cosine: each changes the training, a run with
    all three resumes exactly (stopped midway, as the schedule follows the planned length),
    and the model loads as it was trained."""
    recipe = dict(g_residual=False, augment=["translation", "cutout"], lr_schedule="cosine")
    _assert_resumes_exactly(domains, tmp_path, recipe)
    finals = {}
    for name, options in {"plain": {}, "drawn": dict(g_residual=False), "augmented": dict(augment=["cutout"]),
                          "cosine": dict(lr_schedule="cosine")}.items():
        train_style(cfg(domains, tmp_path / name, steps=2, **options))
        finals[name] = _weights(tmp_path / name / STATE_FILE)["G.enc1.0.weight"]
    assert all(not torch.equal(finals["plain"], finals[k]) for k in ("drawn", "augmented", "cosine"))
    card = json.loads((tmp_path / "whole" / "export" / CARD_FILE).read_text())
    assert (card["config"]["g_residual"], card["config"]["augment"], card["config"]["lr_schedule"]) == \
        (False, ["translation", "cutout"], "cosine")
    painter = gan_core.load(tmp_path / "whole")
    assert not painter.generator.residual
    # An untrained drawing generator is not the identity, as the residual one is.
    from gan_core.models.siamese import TileTranslator

    x = torch.rand(1, 3, 16, 16) * 1.6 - 0.8
    with torch.no_grad():
        assert torch.allclose(TileTranslator(4, 1)(x), x, atol=1e-5)
        assert not torch.allclose(TileTranslator(4, 1, residual=False)(x), x, atol=0.05)
    with pytest.raises(ValueError, match="unknown augmentation"):
        cfg(domains, tmp_path / "x", augment=["flip"]).check()
    with pytest.raises(ValueError, match="schedule must be one of"):
        cfg(domains, tmp_path / "x", lr_schedule="linear").check()


def test_a_judge_logs_the_share_of_translations_it_calls_paintings(domains, tmp_path):
    from gan_core.models.attribute_classifier import AttributeClassifier
    from gan_core.pipelines.classifier import CLASSIFIER_FILE
    from gan_core.training.attributes import save_classifier

    judge = AttributeClassifier([{"name": "painting", "kind": "binary"}], image_size=128, width=4)
    folder = save_classifier(tmp_path / "judge", judge, {"name": "judge", "task": "attribute-classification",
                                                         "files": {"weights": CLASSIFIER_FILE}})
    assert (folder / CLASSIFIER_FILE).exists()
    train_style(cfg(domains, tmp_path / "run", judge=str(folder)))
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    shares = [line["painting_share"] for line in lines if "painting_share" in line]
    assert shares and all(0 <= s <= 1 for s in shares)
    # `style seams --judge`: each model's share beside the photos' own and the filter control's.
    from gan_core.cli import main

    out = tmp_path / "seams.json"
    assert main(["style", "seams", str(tmp_path / "run"), "--photos", str(domains[1]), "--judge", str(folder),
                 "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    model = next(v for k, v in rows.items() if k.startswith("run"))
    assert 0 <= rows["photos through a filter"]["painting_share"] <= 1
    assert model["painting_share_filtered_photos"] == rows["photos through a filter"]["painting_share"]


def test_spectral_norm_and_photos_for_d_change_training_resume_and_export_a_plain_d(domains, tmp_path):
    """--spectral-norm and --d-photos each change what D learns; a run with both resumes
    exactly, and export/ holds D as plain weights (the normalisation folded in)."""
    from gan_core.models.siamese import SiameseDiscriminator

    recipe = dict(spectral_norm=True, d_photos=True)
    _assert_resumes_exactly(domains, tmp_path, recipe)
    finals = {}
    for name, options in {"plain": {}, "sn": dict(spectral_norm=True), "photos": dict(d_photos=True)}.items():
        train_style(cfg(domains, tmp_path / name, steps=2, **options))
        finals[name] = _weights(tmp_path / name / STATE_FILE)["D.head.bias"]
    assert all(not torch.equal(finals["plain"], finals[k]) for k in ("sn", "photos"))
    exported, _ = read_tensors(tmp_path / "whole" / "export" / "discriminator.safetensors")
    plain = SiameseDiscriminator(8, 4)
    plain.load_state_dict(exported)  # no parametrisation keys: the paper's D
    card = json.loads((tmp_path / "whole" / "export" / CARD_FILE).read_text())
    assert (card["config"]["spectral_norm"], card["config"]["d_photos"]) == (True, True)
    assert "||D(A)||" in card["loss"]["LossD2"]
    with pytest.raises(ValueError, match="spectral_norm"):
        train_style(cfg(domains, tmp_path / "whole", resume=True, steps=6))


def test_a_d_warmup_trains_d_alone_first(domains, tmp_path):
    """--d-warmup N: the first N steps move D only, logged without G's terms;
    then the GAN's steps follow. A warm-up as long as the run is refused."""
    from gan_core.models.siamese import TileTranslator

    train_style(cfg(domains, tmp_path / "warm", steps=3, d_warmup=2, sample_every=100, checkpoint_every=100))
    lines = [json.loads(line) for line in (tmp_path / "warm" / "log.jsonl").read_text().splitlines()]
    steps = {line["step"]: line for line in lines if "loss_g1" in line}
    assert steps[1]["loss_g1"] == 0 and steps[2]["loss_g1"] == 0 and steps[3]["loss_g1"] > 0
    torch.manual_seed(0)
    built = TileTranslator(4, 1).state_dict()  # G as the run builds it (seed 0)
    train_style(cfg(domains, tmp_path / "cold", steps=3, sample_every=100, checkpoint_every=100))

    def moved(run: str) -> float:
        g = {k[2:]: v for k, v in _weights(tmp_path / run / STATE_FILE).items() if k.startswith("G.")}
        return max((g[k] - built[k]).abs().max().item() for k in built)

    # Adam moves a weight by about the learning rate a step: one G step after the warm-up, three without.
    assert moved("warm") <= 1.01 * 2e-4 < 2 * 2e-4 < moved("cold")
    with pytest.raises(ValueError, match="warm-up"):
        cfg(domains, tmp_path / "x", steps=3, d_warmup=3).check()


def test_seams_draws_the_photos_and_each_models_paintings(domains, tmp_path, capsys):
    """`style seams --figure`: the first N photos on top, a row of paintings per model below."""
    from gan_core.cli import main

    train_style(cfg(domains, tmp_path / "a", g_residual=False))  # a drawing G: its paintings are not the photos
    train_style(cfg(domains, tmp_path / "b", g_residual=False, combo=False))
    figure = tmp_path / "six.png"
    args = ["style", "seams", str(tmp_path / "a"), str(tmp_path / "b"), "--photos", str(domains[1])]
    assert main([*args, "--figure", str(figure), "--figure-photos", "2"]) == 0
    sheet = Image.open(figure)
    assert sheet.height == 3 * (160 + 4) + 4  # photos, then each model's paintings
    assert "wrote" in capsys.readouterr().out
    rows = np.asarray(sheet.convert("RGB")).astype(int)
    photo_row, painted_row = rows[4:164], rows[168:328]
    assert np.abs(photo_row - painted_row).mean() > 5  # the second row holds the paintings
    assert main([*args, "--figure", str(figure), "--figure-photos", "0"]) == 2


def test_seams_write_card_merges_into_the_cards_figures(domains, tmp_path):
    """--write-card updates metrics.seams and keeps what it does not measure (the ablation)."""
    from gan_core.cli import main

    train_style(cfg(domains, tmp_path / "a"))
    card_file = tmp_path / "a" / "export" / CARD_FILE
    card = json.loads(card_file.read_text())
    card.setdefault("metrics", {})["seams"] = {"without_combo": {"seam_score": 2.5}, "seam_score": 9.0}
    card_file.write_text(json.dumps(card))
    assert main(["style", "seams", str(tmp_path / "a" / "export"), "--photos", str(domains[1]), "--write-card"]) == 0
    seams = json.loads(card_file.read_text())["metrics"]["seams"]
    assert seams["without_combo"] == {"seam_score": 2.5} and seams["seam_score"] != 9.0 and seams["photos"] == 4


def test_the_patch_adversary_trains_d_on_the_hinge_and_s_with_g(domains, tmp_path):
    """--adversary patch (TraVeLGAN's split): a PatchGAN D on the hinge loss and a Siamese
    content network S that learns with G; its terms are logged, a run with a D warm-up and
    spectral norm resumes exactly, export/ holds a plain D and S, and G loads and paints."""
    from gan_core.models.siamese import PatchDiscriminator, SiameseDiscriminator, TileTranslator

    recipe = dict(adversary="patch", spectral_norm=True, d_warmup=1, g_residual=False)
    _assert_resumes_exactly(domains, tmp_path, recipe)
    lines = [json.loads(x) for x in (tmp_path / "whole" / "log.jsonl").read_text().splitlines()]
    terms = {"loss_d", "loss_g", "loss_content", "loss_spread", "d_b", "d_ab"}
    assert terms <= set(lines[-1]) and "loss_d1" not in lines[-1]
    assert lines[0]["loss_g"] == 0 and lines[-1]["loss_content"] > 0  # step 1 warms D up alone
    export = tmp_path / "whole" / "export"
    PatchDiscriminator(4).load_state_dict(read_tensors(export / "discriminator.safetensors")[0])  # plain weights
    SiameseDiscriminator(8, 4).load_state_dict(read_tensors(export / "siamese.safetensors")[0])
    card = json.loads((export / CARD_FILE).read_text())
    assert card["config"]["adversary"] == "patch" and "hinge" in card["loss"]["D"]
    assert card["files"]["siamese"] == "siamese.safetensors"
    painter = gan_core.load(tmp_path / "whole")
    assert painter(Image.fromarray(smooth_picture(5, (48, 40))), working_size=None).size == (48, 40)
    # S moves with G's step: its weights after the run differ from where a fresh run built them.
    torch.manual_seed(0)
    train_style(cfg(domains, tmp_path / "none", adversary="patch", steps=1, d_warmup=0, sample_every=100,
                    checkpoint_every=100))
    one = _weights(tmp_path / "none" / STATE_FILE)
    assert not torch.equal(one["S.head.weight"], _weights(tmp_path / "whole" / STATE_FILE)["S.head.weight"])
    # The content weight matters: with 0 G follows D alone and ends elsewhere.
    train_style(cfg(domains, tmp_path / "w0", adversary="patch", steps=1, content_weight=0.0, sample_every=100,
                    checkpoint_every=100))
    g0, g1 = _weights(tmp_path / "w0" / STATE_FILE), one
    assert any(not torch.equal(g0[k], g1[k]) for k in g1 if k.startswith("G."))
    # --d-steps 2: D moves twice a G step (G and S end as with one, up to D's influence), resumes exactly.
    _assert_resumes_exactly(domains, tmp_path / "d2", dict(adversary="patch", d_steps=2))
    torch.manual_seed(0)
    TileTranslator(4, 1)
    built = PatchDiscriminator(4).state_dict()  # D as the runs build it (seed 0, after G)
    for k, name in ((1, "k1"), (2, "k2")):
        train_style(cfg(domains, tmp_path / name, adversary="patch", steps=1, d_steps=k, sample_every=100,
                        checkpoint_every=100))
    moved = {name: max((_weights(tmp_path / name / STATE_FILE)[f"D.{key}"] - value).abs().max().item()
                       for key, value in built.items()) for name in ("k1", "k2")}
    # Adam moves a weight by about the learning rate a step: one D step against two.
    assert moved["k1"] <= 1.01 * 2e-4 < 1.5 * 2e-4 < moved["k2"]
    with pytest.raises(ValueError, match="d-steps"):
        cfg(domains, tmp_path / "x", d_steps=2).check()
    with pytest.raises(ValueError, match="adversary"):
        cfg(domains, tmp_path / "x", adversary="wgan").check()
    with pytest.raises(ValueError, match="d-photos"):
        cfg(domains, tmp_path / "x", adversary="patch", d_photos=True).check()
    with pytest.raises(ValueError, match="adversary"):
        train_style(cfg(domains, tmp_path / "whole", resume=True, steps=6))


def test_a_moving_average_of_g_is_exported_and_resumes(domains, tmp_path):
    """--ema-images N: export/ holds the average, which lags G (neither G nor the untrained
    net); the average is part of the state, so a stopped run resumes exactly."""
    recipe = dict(adversary="patch", ema_images=8.0, d_warmup=1)
    _assert_resumes_exactly(domains, tmp_path, recipe)
    state = _weights(tmp_path / "whole" / STATE_FILE)
    exported, _ = read_tensors(tmp_path / "whole" / "export" / "generator.safetensors")
    assert all(torch.equal(exported[k], state[f"G_ema.{k}"]) for k in exported)
    assert any(not torch.equal(exported[k], state[f"G.{k}"]) for k in exported)
    card = json.loads((tmp_path / "whole" / "export" / CARD_FILE).read_text())
    assert card["config"]["ema_images"] == 8.0
    with pytest.raises(ValueError, match="half-life"):
        cfg(domains, tmp_path / "x", ema_images=-1).check()
