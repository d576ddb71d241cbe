"""Every shipped checkpoint gives the same small outputs, bit for bit, as before the
package was reorganised: sample grids, upscales, a translation, detector and classifier
scores. The hashes were taken from the code as it stood before the move (one torch
thread; two give the same bytes on this CPU); those of faces-dcgan64 and facades-dcgan64
(and the detector and classifier scores of their samples) again when their weights were
stored as float16; the shape judge's probabilities when it was added; faces-dcgan64's
grid and the attribute scores of its samples again when it was retrained with a weight average,
cifar10-frogs-keras32's grid when it was retrained, and photo-litesr-x4's upscale when it was added."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.data.shapes import draw_non_shapes, draw_shapes
from gan_core.pipelines.classifier import score_images
from gan_core.pipelines.detector import window_probabilities

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PINNED = {
    "cifar10-dcgan32": "9b758b3e529e2bac",
    "cifar10-frogs-keras32": "73ac2b889e163a5c",
    "facades-dcgan64": "61a26f357d9cc0d9",
    "faces-dcgan64": "94dd401ba0ee3943",
    "photo-srresnet-x4": "f69b48f802d5e788",
    "photo-litesr-x4": "c9fe460028434222",
    "photo-srgan-x4": "1a7653965b862852",
    "faces-srgan-x4": "ede3e9c72f1d58ab",
    "photo2painting-siamese": "af34be77a89723cd",
    "window-detector": "a9cbfc1a51f892d5",
    "face-attributes": "aeecadfee630223d",
    "shapes-classifier": "c97d7598f4dd9a2b",
}


def _hash(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.tobytes() + str(a.shape).encode() + str(a.dtype).encode()).hexdigest()[:16]


def _picture(w: int = 24, h: int = 20, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // w, y * 255 // h, (x * y) % 256], -1).astype(np.uint8)
    arr[4:10, 5:12] = rng.integers(0, 255, 3)
    return Image.fromarray(arr)


def _samples(name: str, n: int) -> torch.Tensor:
    pipe = gan_core.load(name)
    return pipe.decode(pipe.latents(n, seed=0))


@pytest.mark.parametrize("name", ["cifar10-dcgan32", "cifar10-frogs-keras32", "facades-dcgan64", "faces-dcgan64"])
def test_generator_grid(name):
    assert _hash(np.asarray(gan_core.load(name).grid(4, seed=0))) == PINNED[name]


@pytest.mark.parametrize("name", ["photo-litesr-x4", "photo-srresnet-x4", "photo-srgan-x4", "faces-srgan-x4"])
def test_upscale(name):
    assert _hash(np.asarray(gan_core.load(name)(_picture()))) == PINNED[name]


def test_style_translation():
    painting = gan_core.load("photo2painting-siamese")(_picture(80, 72), working_size=None)
    assert _hash(np.asarray(painting)) == PINNED["photo2painting-siamese"]


def test_window_detector():
    probs = window_probabilities(gan_core.load("window-detector").detector, _samples("facades-dcgan64", 2))
    assert _hash((probs.numpy() * 255).round().astype(np.uint8)) == PINNED["window-detector"]


def test_face_attributes():
    scores = score_images(gan_core.load("face-attributes").classifier, _samples("faces-dcgan64", 2))
    table = np.array([[float(v) for v in scores[k]] for k in sorted(scores)])
    assert _hash(np.round(table, 3).astype(np.float32)) == PINNED["face-attributes"]


def test_shapes_classifier():
    images = torch.from_numpy(np.concatenate([draw_shapes(5, 32, 0)[0], draw_non_shapes(11, 32, 0)]))
    probs = gan_core.load("shapes-classifier")(images)
    assert _hash(np.round(probs.numpy(), 3).astype(np.float32)) == PINNED["shapes-classifier"]
