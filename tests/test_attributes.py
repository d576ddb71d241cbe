"""Attribute classifier and latent directions, on made-up images and an untrained generator."""
import json
import math

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.errors import CheckpointError
from gan_core.explore.attributes import (
    DEFAULT_NORM, AttributeDirection, attribute_directions, load_directions, orthogonalize, save_directions,
)
from gan_core.training.attributes import (
    label_counts, masked_attribute_loss, roc_auc, save_classifier, split_by_group, train_attribute_classifier,
    usable_attributes,
)
from gan_core.models.attribute_classifier import AttributeClassifier, AttributeHead
from gan_core.pipelines.classifier import AttributeClassifierPipeline, score_images
from gan_core.cli import main
from gan_core.data.image_set import ImageSet, load_images
from gan_core.explore.directions import direction_from_scores

from .helpers import SHARED_DATA, TINY_CHECKPOINT


def synthetic_faces(n: int = 160, size: int = 16, seed: int = 0) -> ImageSet:
    """Noise images; half carry a bright square (label "square"); "age" is the
    square's brightness level for the first half, unknown (NaN) for the rest."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 120, (n, 3, size, size), generator=g, dtype=torch.uint8)
    square = (torch.arange(n) % 2).float()
    level = torch.randint(0, 4, (n,), generator=g).float()
    for i in range(n):
        if square[i]:
            x, y = (int(v) for v in torch.randint(0, size - 6, (2,), generator=g))
            images[i, :, y:y + 6, x:x + 6] = int(150 + 30 * level[i])
    age = torch.where(torch.arange(n) < n // 2, 20 + 10 * level, torch.full((n,), math.nan))
    return ImageSet(images=images, files=[f"img_{i:04d}.png" for i in range(n)],
                    labels={"square": square, "age": age, "race": level.clone()})


def test_the_classifier_learns_a_drawn_square_in_a_few_steps():
    ds = synthetic_faces()
    model, report = train_attribute_classifier(ds, ["square"], epochs=5, batch_size=32, seed=0, lr=5e-3, width=8)
    val = report["validation"]["square"]
    assert val["auc"] > 0.9 and val["accuracy"] > val["majority_accuracy"], val
    assert report["counts"]["train"]["square"]["labelled"] + report["counts"]["validation"]["square"]["labelled"] == 160
    scores = score_images(model, ds.images)["square"]
    assert 0 <= scores.min() and scores.max() <= 1  # probabilities


def test_an_untrained_classifier_is_at_chance_so_the_test_above_can_fail():
    ds = synthetic_faces()
    torch.manual_seed(0)
    model = AttributeClassifier([AttributeHead("square")], image_size=16, width=8).eval()
    auc = roc_auc(score_images(model, ds.images, raw=True)["square"], ds.labels["square"])
    assert 0.25 < auc < 0.75


def test_nan_labels_give_zero_loss_and_zero_gradient_to_their_head():
    torch.manual_seed(0)
    heads = [AttributeHead("a"), AttributeHead("b"), AttributeHead("age", "regression", 30.0, 20.0)]
    model = AttributeClassifier(heads, image_size=16, width=8)
    x = torch.randn(6, 3, 16, 16)
    targets = torch.tensor([[1.0, math.nan, 0.5]] * 3 + [[0.0, math.nan, math.nan]] * 3)  # head b: no label at all
    outputs = model(x)
    total, per_head = masked_attribute_loss(outputs, targets, heads)
    assert torch.isfinite(total) and per_head[1] == 0 and per_head[0] > 0 and per_head[2] > 0
    total.backward()
    grad = model.out.weight.grad
    assert torch.all(grad[1] == 0) and model.out.bias.grad[1] == 0
    assert grad[0].abs().sum() > 0 and grad[2].abs().sum() > 0
    # the regression head's loss only counts the three labelled images
    _, only_labelled = masked_attribute_loss(outputs[:3], targets[:3], heads)
    assert torch.allclose(per_head[2], only_labelled[2])


def test_regression_heads_are_normalised_and_reported_in_label_units():
    ds = synthetic_faces()
    model, report = train_attribute_classifier(ds, ["square", "age"], epochs=2, batch_size=32, seed=0, width=8)
    age_head = model.heads[1]
    assert age_head.kind == "regression" and 20 < age_head.offset < 40 and age_head.scale > 1
    assert report["counts"]["train"]["age"]["labelled"] + report["counts"]["validation"]["age"]["labelled"] == 80
    assert "mae" in report["validation"]["age"] and "auc" in report["validation"]["square"]
    ages = score_images(model, ds.images)["age"]
    assert 0 < ages.mean() < 60  # years, not normalised units


def test_training_is_repeatable_for_a_seed_and_leaves_the_global_rng_alone():
    ds = synthetic_faces(n=64)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, _ = train_attribute_classifier(ds, ["square"], epochs=1, batch_size=16, seed=3, width=8)
    after = torch.rand(1)
    b, _ = train_attribute_classifier(ds, ["square"], epochs=1, batch_size=16, seed=3, width=8)
    assert torch.equal(before, after)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_bad_attribute_names_are_clear_errors():
    ds = synthetic_faces(n=32)
    with pytest.raises(ValueError, match="no label 'Smiling'"):
        train_attribute_classifier(ds, ["Smiling"], epochs=1, batch_size=8, seed=0)


def test_split_keeps_a_group_on_one_side_and_does_not_depend_on_order():
    keys = [f"person{i // 3}" for i in range(300)]
    held = split_by_group(keys, 0.2)
    for k in set(keys):
        sides = {bool(held[i]) for i, key in enumerate(keys) if key == k}
        assert len(sides) == 1
    assert 0.1 < held.float().mean() < 0.3
    assert torch.equal(split_by_group(keys[::-1], 0.2), held.flip(0))


def test_auc_and_counts_by_hand():
    assert roc_auc(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0.0, 0.0, 1.0, 1.0])) == 0.75
    assert roc_auc(torch.tensor([1.0, 1.0]), torch.tensor([0.0, 1.0])) == 0.5  # ties count one half
    assert math.isnan(roc_auc(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])))
    labels = {"Smiling": torch.tensor([1.0, 0.0, math.nan, 1.0]), "age": torch.tensor([20.0, math.nan, 40.0, 30.0]),
              "race": torch.tensor([0.0, 1.0, 2.0, 3.0]), "Bald": torch.tensor([1.0, 0.0, 0.0, 0.0])}
    counts = label_counts(labels)
    assert counts["Smiling"] == {"labelled": 3, "positive": 2, "negative": 1}
    assert counts["age"]["labelled"] == 3 and counts["age"]["mean"] == 30.0
    assert usable_attributes(labels, min_count=1) == ["Bald", "Smiling", "age"]  # race is a category
    assert usable_attributes(labels, min_count=2) == ["age"]  # Bald and Smiling lack a second positive / negative
    assert "race" in usable_attributes(labels, min_count=1, exclude=())


def test_save_and_load_give_identical_scores(tmp_path):
    ds = synthetic_faces(n=64)
    model, report = train_attribute_classifier(ds, ["square", "age"], epochs=1, batch_size=16, seed=0, width=8)
    save_classifier(tmp_path / "clf", model, {"name": "clf", "metrics": {"validation": report["validation"]}})
    card = json.loads((tmp_path / "clf" / CARD_FILE).read_text())
    assert card["task"] == "attribute-classification"
    pipe = gan_core.load(tmp_path / "clf" / "classifier.safetensors")
    assert isinstance(pipe, AttributeClassifierPipeline)
    loaded = pipe.classifier
    assert loaded.names == ["square", "age"] and loaded.heads[1].offset == model.heads[1].offset
    for key in ("square", "age"):
        assert torch.equal(score_images(model, ds.images)[key], score_images(loaded, ds.images)[key])
        assert torch.equal(pipe(ds.images)[key], score_images(loaded, ds.images)[key])
    assert pipe.card["name"] == "clf"


def test_a_classifier_loads_by_name_and_errors(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = AttributeClassifier([AttributeHead("a")], image_size=16, width=8)
    save_classifier(tmp_path / "my-attrs", model, {"name": "my-attrs"})
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(tmp_path))
    assert gan_core.load("my-attrs").names == ["a"]
    assert "my-attrs" not in gan_core.list_checkpoints()  # a classifier is not offered as a generator
    assert "my-attrs" in gan_core.list_checkpoints(task="attribute-classification")
    with pytest.raises(CheckpointError, match="no attribute-classification checkpoint 'nope'.*my-attrs"):
        gan_core.load("nope", task="attribute-classification")
    (tmp_path / "my-attrs" / "classifier.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError):
        gan_core.load("my-attrs")


def brightness(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """A stand-in classifier: how bright a picture is."""
    return {"bright": images.mean(dim=(1, 2, 3))}


def consistency_by_hand(pipe, direction: torch.Tensor, samples: int = 200, step: float = 0.25) -> float:
    """Share of latents drawn with seed 1 whose brightness rises at z + step * direction."""
    z = pipe.latents(samples, generator=torch.Generator().manual_seed(1))
    before, after = brightness(pipe.decode(z))["bright"], brightness(pipe.decode(z + step * direction))["bright"]
    return ((after - before) > 0).float().mean().item()


def test_direction_from_a_synthetic_classifier_raises_its_score(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    d = attribute_directions(pipe, brightness, ["bright"], samples=400, fraction=0.1, norm=None,
                             generator=torch.Generator().manual_seed(0), check_samples=200, check_step=0.5)["bright"]
    # by hand: mean latent of the brightest 10 % minus that of the darkest 10 %
    z = pipe.latents(400, generator=torch.Generator().manual_seed(0))
    by_hand = direction_from_scores(z, pipe.decode(z).mean(dim=(1, 2, 3)), 0.1)
    assert torch.allclose(d.direction, by_hand, atol=1e-5)
    assert d.consistency > 0.5 and d.consistency == pytest.approx(consistency_by_hand(pipe, d.direction, step=0.5))
    assert d.details["check_seed"] == 1 and d.details["fit_seed"] == 0  # held-out latents come from another seed
    assert d.details["change"] > 2 * d.details["random_direction_change"] > 0  # beats random directions
    # a random direction is the control: about half the samples brighten
    random_dir = torch.randn(pipe.spec.nz, generator=torch.Generator().manual_seed(5))
    random_dir = random_dir / random_dir.norm() * d.direction.norm()
    assert consistency_by_hand(pipe, random_dir) < d.consistency
    assert consistency_by_hand(pipe, -d.direction) < 0.5


def test_directions_are_scaled_to_the_stated_norm_and_logistic_agrees_with_mean(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    kw = dict(samples=400, generator=torch.Generator().manual_seed(0), check_samples=0)
    mean = attribute_directions(pipe, brightness, ["bright"], **kw)["bright"]
    kw["generator"] = torch.Generator().manual_seed(0)
    logistic = attribute_directions(pipe, brightness, ["bright"], method="logistic", **kw)["bright"]
    assert mean.direction.norm() == pytest.approx(DEFAULT_NORM) and logistic.direction.norm() == pytest.approx(DEFAULT_NORM)
    assert torch.cosine_similarity(mean.direction, logistic.direction, dim=0) > 0.5
    assert mean.consistency is None and mean.method == "mean" and logistic.method == "logistic"
    with pytest.raises(ValueError, match="method"):
        attribute_directions(pipe, brightness, ["bright"], method="svm2", **kw)


def test_orthogonalize_removes_the_span_of_the_others():
    g = torch.Generator().manual_seed(0)
    d, a = torch.randn(10, generator=g), torch.randn(10, generator=g)
    b = a + 0.1 * torch.randn(10, generator=g)  # nearly parallel to a: Gram-Schmidt must still cope
    out = orthogonalize(d, [a, b])
    assert abs(float(out @ a)) < 1e-5 and abs(float(out @ b)) < 1e-5
    assert torch.equal(orthogonalize(d, []), d) and orthogonalize(d, [d]).norm() < 1e-5
    # what is left is d's component outside span(a, b): adding it back along a and b restores d
    assert float(out @ d) > 0


def two_scores(images: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"bright": images.mean(dim=(1, 2, 3)), "red": (images[:, 0] - images[:, 1:].mean(1)).mean(dim=(1, 2))}


def test_conditioned_directions_are_orthogonal_to_the_conditions(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    kw = dict(samples=300, norm=None, check_samples=0)
    plain = attribute_directions(pipe, two_scores, ["bright", "red"], generator=torch.Generator().manual_seed(0), **kw)
    cond = attribute_directions(pipe, two_scores, ["bright", "red"], conditioned_on=["bright"],
                                generator=torch.Generator().manual_seed(0), **kw)
    assert torch.equal(cond["bright"].direction, plain["bright"].direction)  # not conditioned on itself
    assert abs(float(cond["red"].direction @ plain["bright"].direction)) < 1e-4
    assert cond["red"].details["orthogonal_to"] == ["bright"] and "orthogonal_to" not in cond["bright"].details
    with pytest.raises(ValueError, match="gives no 'green'"):
        attribute_directions(pipe, two_scores, ["green"], **kw)


def test_a_trained_classifier_serves_as_the_scorer(tiny_checkpoint_dir):
    """The generator here is 32 px and the classifier 16 px: images are resized."""
    pipe = gan_core.load(TINY_CHECKPOINT)
    torch.manual_seed(0)
    clf = AttributeClassifier([AttributeHead("a"), AttributeHead("age", "regression", 30.0, 20.0)],
                              image_size=16, width=8).eval()
    d = attribute_directions(pipe, clf, ["age"], samples=100, generator=torch.Generator().manual_seed(0),
                             check_samples=50)["age"]
    assert d.direction.shape == (pipe.spec.nz,) and 0 <= d.consistency <= 1
    assert set(d.details["side_effects"]) == {"a", "age"}  # every output is watched, in label units
    with pytest.raises(ValueError, match="no attribute 'Smiling'"):
        attribute_directions(pipe, clf, ["Smiling"], samples=100)


def test_load_directions_is_empty_when_absent_and_round_trips(tiny_checkpoint_dir):
    assert load_directions(TINY_CHECKPOINT) == {}
    with pytest.raises(CheckpointError):
        load_directions("no-such-generator")
    d = AttributeDirection("Smiling", torch.arange(100.0), "mean", 5000, 0.9, {"fraction": 0.1})
    save_directions(tiny_checkpoint_dir / TINY_CHECKPOINT / "directions", {"Smiling": d}, {"generator": "x"})
    back = load_directions(TINY_CHECKPOINT)
    assert list(back) == ["Smiling"] and torch.equal(back["Smiling"].direction, d.direction)
    assert back["Smiling"].consistency == 0.9 and back["Smiling"].details["fraction"] == 0.1
    assert list(load_directions(tiny_checkpoint_dir / TINY_CHECKPOINT / "directions")) == ["Smiling"]


def test_cli_train_directions_and_render(tmp_path, tiny_checkpoint_dir, capsys, monkeypatch):
    from .helpers import make_folder

    monkeypatch.setenv("GAN_CORE_CACHE", str(tmp_path / "cache"))

    make_folder(tmp_path / "imgs", 4)
    # plain images carry no labels: a clear error, exit code 2
    assert main(["attributes", "train", "--data", str(tmp_path / "imgs"), "--out", str(tmp_path / "c")]) == 2
    assert "no label" in capsys.readouterr().err
    assert main(["attributes", "train", "--data", str(tmp_path / "missing"), "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["attributes", "train", "--data", str(tmp_path / "imgs"), "--epochs", "0", "--dry-run"]) == 2

    # UTKFace-style names give age and gender labels
    from PIL import Image
    utk = tmp_path / "utk"
    utk.mkdir()
    g = torch.Generator().manual_seed(0)
    for i in range(40):
        shade = 40 if i % 2 else 200
        arr = (torch.rand(24, 24, 3, generator=g) * 40 + shade).clamp(0, 255).byte().numpy()
        Image.fromarray(arr).save(utk / f"{20 + i}_{i % 2}_0_2017010{i:04d}.jpg.chip.jpg")
    out = tmp_path / "clf"
    assert main(["attributes", "train", "--data", str(utk), "--size", "16", "--min-count", "5", "--epochs", "2",
                            "--batch-size", "8", "--width", "8", "--dry-run"]) == 0
    assert not out.exists()
    args = ["train", "--data", str(utk), "--size", "16", "--min-count", "5", "--epochs", "2", "--batch-size", "8",
            "--width", "8", "--out", str(out)]
    assert main(["attributes", *args]) == 0
    card = json.loads((out / CARD_FILE).read_text())
    assert card["task"] == "attribute-classification"
    assert card["attributes"] == ["age", "gender"] and card["data"]["labels"]["gender"]["positive"] == 20
    assert card["training"]["command"].startswith("python -m gan_core attributes train")
    assert "auc" in card["metrics"]["validation"]["gender"] and card["training"]["hardware"]
    assert main(["attributes", *args]) == 2  # does not overwrite silently
    assert "--overwrite" in capsys.readouterr().err

    gen = ["--generator", TINY_CHECKPOINT, "--classifier", str(out)]
    assert main(["attributes", "directions", *gen, "--attributes", "Smiling"]) == 2
    assert "no attribute 'Smiling'" in capsys.readouterr().err
    assert main(["attributes", "directions", *gen, "--samples", "-3"]) == 2
    assert main(["attributes", "directions", *gen, "--attributes", "age", "gender", "--dry-run"]) == 0
    assert load_directions(TINY_CHECKPOINT) == {}
    assert main(["attributes", "directions", *gen, "--attributes", "age", "gender", "--samples", "100",
                            "--check-samples", "20"]) == 0
    dirs = load_directions(TINY_CHECKPOINT)
    assert sorted(dirs) == ["age", "gender"] and dirs["age"].direction.shape == (100,)
    info = json.loads((tiny_checkpoint_dir / TINY_CHECKPOINT / "directions" / "directions.json").read_text())
    assert info["norm"] == DEFAULT_NORM and "command" in info and info["directions"]["gender"]["samples"] == 100
    assert 0 <= info["directions"]["gender"]["consistency"] <= 1

    png = tmp_path / "rows.png"
    assert main(["attributes", "render", "--generator", TINY_CHECKPOINT, "--attributes", "age", "--seeds", "1", "2",
                            "-o", str(png)]) == 0
    assert png.is_file()
    assert main(["attributes", "render", "--generator", TINY_CHECKPOINT, "--attributes", "Bald", "-o", str(png)]) == 2


def test_cli_runs_as_a_module_with_a_clean_error():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-m", "gan_core", "attributes", "directions", "--generator", "nope",
                        "--classifier", "nope"], cwd=root, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error:") and "Traceback" not in r.stderr


@pytest.mark.skipif(not (SHARED_DATA / "faces" / "utkface").is_dir(), reason="needs ../shared/data/faces")
def test_real_faces_give_gender_and_age_labels():
    ds = load_images([SHARED_DATA / "faces" / "utkface"], 64, max_images=200)
    counts = label_counts(ds.labels, ["age", "gender"])
    assert counts["gender"]["labelled"] == 200 and counts["gender"]["positive"] > 0
    assert {"age", "gender"} <= set(usable_attributes(ds.labels, min_count=10))
