"""The attribute-classifier pipeline (gan_core.pipelines.classifier): saving, loading, scores."""

import json

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.errors import CheckpointError
from gan_core.training.attributes import save_classifier
from gan_core.training.attributes import train_attribute_classifier
from gan_core.models.attribute_classifier import AttributeClassifier, AttributeHead
from gan_core.pipelines.classifier import AttributeClassifierPipeline, score_images

from ..helpers import synthetic_faces


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
