"""Attribute-classifier training (gan_core.training.attributes), on made-up images."""

import math

import pytest
import torch

from gan_core.data.image_set import load_images
from gan_core.training.attributes import (
    label_counts, masked_attribute_loss, roc_auc, split_by_group, train_attribute_classifier, usable_attributes,
)
from gan_core.models.attribute_classifier import AttributeClassifier, AttributeHead
from gan_core.pipelines.classifier import score_images

from ..helpers import SHARED_DATA, synthetic_faces


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


@pytest.mark.skipif(not (SHARED_DATA / "faces" / "utkface").is_dir(), reason="needs ../shared/data/faces")
def test_real_faces_give_gender_and_age_labels():
    ds = load_images([SHARED_DATA / "faces" / "utkface"], 64, max_images=200)
    counts = label_counts(ds.labels, ["age", "gender"])
    assert counts["gender"]["labelled"] == 200 and counts["gender"]["positive"] > 0
    assert {"age", "gender"} <= set(usable_attributes(ds.labels, min_count=10))
