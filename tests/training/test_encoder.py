"""The latent encoder (gan_core.training.encoder, pipelines.encoder): a run, resume, the
generator it fits, and projection starting from its guess.

A tiny untrained DCGAN-32 generator and 80 synthetic faces: seconds on a CPU."""
from __future__ import annotations

import json
import shutil

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, STATE_FILE, read_tensors, save_weights
from gan_core.core.errors import CheckpointError
from gan_core.models.attribute_classifier import AttributeClassifier
from gan_core.pipelines.encoder import LatentEncoderPipeline, encoder_for
from gan_core.training.encoder import EncoderConfig, EncoderTask, train_encoder

from ..helpers import make_folder, only_checkpoints_in, write_tiny_checkpoint


@pytest.fixture
def setup(tmp_path, monkeypatch):
    root = only_checkpoints_in(tmp_path / "checkpoints", monkeypatch)
    write_tiny_checkpoint(root / "tiny-gan")
    make_folder(tmp_path / "faces", 80)
    return root, tmp_path / "faces"


def config(faces, out, **kw):
    base = dict(generator="tiny-gan", data=[str(faces)], out=str(out), steps=3, batch_size=4, face_network=None,
                sample_every=2, checkpoint_every=2, log_every=1)
    return EncoderConfig(**{**base, **kw})


def test_a_run_exports_an_encoder_that_loads_and_resumes_exactly(setup, tmp_path):
    root, faces = setup
    straight, split = tmp_path / "straight", tmp_path / "split"
    train_encoder(config(faces, straight))
    polls = iter(range(100))
    assert train_encoder(config(faces, split), abort_fn=lambda: next(polls) >= 2).aborted
    train_encoder(config(faces, split, resume=True))
    a, b = read_tensors(straight / STATE_FILE)[0], read_tensors(split / STATE_FILE)[0]
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("encoder."))
    card = json.loads((straight / "export" / CARD_FILE).read_text())
    assert card["task"] == "latent-encoder" and card["generator"]["name"] == "tiny-gan"
    assert set(card["metrics"]["validation"]) == {"val_latent", "val_pixel_fake", "val_pixel_real",
                                                  "val_feature_real"}
    enc = gan_core.load(straight)
    assert isinstance(enc, LatentEncoderPipeline) and enc(torch.zeros(2, 3, 64, 64, dtype=torch.uint8)).shape == (2, 100)
    make_folder(tmp_path / "few", 10)
    with pytest.raises(ValueError, match="more than 64 faces"):
        train_encoder(config(tmp_path / "few", tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_the_shipped_encoder_is_offered_only_for_the_weights_it_was_trained_for(setup, tmp_path):
    root, faces = setup
    train_encoder(config(faces, tmp_path / "run"))
    shutil.copytree(tmp_path / "run" / "export", root / "tiny-gan-encoder")
    pipe = gan_core.load("tiny-gan")
    found = encoder_for(pipe)
    assert found is not None and found.name == "run" and found.fits(pipe)
    # The generator retrained (other weights): the old encoder no longer fits it.
    torch.manual_seed(5)
    save_weights(root / "tiny-gan" / GENERATOR_FILE, gan_core.get_model("dcgan32").build_generator())
    retrained = gan_core.load("tiny-gan")
    assert encoder_for(retrained) is None and not found.fits(retrained)
    with pytest.raises(ValueError, match="weights differ"):
        train_encoder(config(faces, tmp_path / "run", steps=4, resume=True))
    with pytest.raises(CheckpointError, match="latent encoder"):
        gan_core.load("tiny-gan", task="latent-encoder")


def test_the_encoder_learns_the_latents_of_the_generators_samples(setup):
    """On a generator whose pictures depend plainly on z (tanh of a linear map)."""
    from gan_core.pipelines.generator import GeneratorPipeline

    from ..explore.test_projection import LinearGenerator

    torch.manual_seed(0)
    pipe = GeneratorPipeline(LinearGenerator(), gan_core.get_model("dcgan32"))
    task = EncoderTask(config(setup[1], None, data=[], lr=1e-3, batch_size=32), pipe, None, None,
                       torch.device("cpu"))
    before = task.validate()[0]["val_latent"]
    for step in range(60):
        task.step(step)
    assert task.validate()[0]["val_latent"] < 0.9 * before


def test_projection_starts_at_the_encoders_guess_and_sees_faces(setup, tmp_path):
    from gan_core.explore.projection import project_image

    root, faces = setup
    train_encoder(config(faces, tmp_path / "run"))
    pipe, enc = gan_core.load("tiny-gan"), gan_core.load(tmp_path / "run")
    target = pipe.decode(pipe.latents(1, seed=7))
    with torch.no_grad():
        guess_error = torch.nn.functional.mse_loss(pipe.generator(enc(target)), target).item()
    result = project_image(pipe, target, steps=0, restarts=1, encoder=enc)
    assert result.start_error == pytest.approx(guess_error, rel=1e-4)
    face_net = AttributeClassifier([{"name": "Smiling", "kind": "binary"}], image_size=32, width=8)
    refined = project_image(pipe, target, steps=20, restarts=1, encoder=enc, face_network=face_net)
    assert refined.error < refined.start_error
