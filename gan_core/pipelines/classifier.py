"""Score faces with a trained attribute classifier.

>>> import gan_core
>>> faces = gan_core.load("faces-dcgan64")                            # doctest: +SKIP
>>> attributes = gan_core.load("face-attributes")                     # an AttributeClassifierPipeline; doctest: +SKIP
>>> scores = attributes(faces.decode(faces.latents(4, seed=0)))       # doctest: +SKIP
>>> scores["Smiling"], scores["age"]                                  # doctest: +SKIP

Files: `classifier.safetensors` + `model_card.json` with `"task": "attribute-classification"`
and the architecture under "classifier". No pickles.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import CARD_FILE, build_checked
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import checkpoint_name, weights_file
from gan_core.core.images import from_uint8
from gan_core.models.attribute_classifier import AttributeClassifier

CLASSIFIER_FILE = "classifier.safetensors"


def _as_model_input(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (0..255) or float in [-1, 1] -> float in [-1, 1] at size x size."""
    x = from_uint8(images)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x


@torch.no_grad()
def score_images(classifier: AttributeClassifier, images: torch.Tensor, *, raw: bool = False,
                 batch_size: int = 256) -> dict[str, torch.Tensor]:
    """Score images: {attribute: (N,) tensor}.

    images: (N, 3, H, W), uint8 or float in [-1, 1] (a generator's output), any
    size (resized to the classifier's). Scores are probabilities for binary
    attributes and label units (years) for regressions; raw=True gives logits
    and normalised regression outputs instead (what directions are fitted on:
    logits do not saturate).

    >>> scores = score_images(gan_core.load("face-attributes").classifier, pipe.decode(z))  # doctest: +SKIP
    >>> scores["Smiling"][:4], scores["age"][:4]                                   # doctest: +SKIP
    """
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    outs = []
    for chunk in images.split(batch_size):
        out = classifier(_as_model_input(chunk.to(device), classifier.image_size)).float()
        outs.append((out if raw else classifier.to_label_units(out)).cpu())
    classifier.train(was_training)
    out = torch.cat(outs) if outs else torch.empty(0, len(classifier.heads))
    return {name: out[:, j].clone() for j, name in enumerate(classifier.names)}


class AttributeClassifierPipeline:
    """A trained attribute classifier, ready to score images: `scores = attributes(images)`.

    Attributes: `classifier` (the AttributeClassifier, in eval mode), `card` (dict),
    `path`, `device`, `names` (the attributes, in output order)."""

    def __init__(self, classifier: AttributeClassifier, card: dict, path: Path | None = None,
                 device: torch.device | str = "cpu"):
        self.classifier = classifier.to(device).eval()
        self.card = card
        self.path = path
        self.device = torch.device(device)

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "attribute-classifier")

    @property
    def names(self) -> list[str]:
        return self.classifier.names

    def __call__(self, images: torch.Tensor, *, raw: bool = False) -> dict[str, torch.Tensor]:
        """{attribute: (N,) scores} of images (N, 3, H, W) of any size (see score_images)."""
        return score_images(self.classifier, images, raw=raw)

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict,
                        device: torch.device | str = "cpu") -> AttributeClassifierPipeline:
        """The pipeline of an attribute-classification checkpoint's folder and card (see gan_core.load)."""
        try:
            cfg = card["classifier"]

            def build() -> AttributeClassifier:
                return AttributeClassifier(cfg["heads"], image_size=cfg["image_size"], width=cfg["width"],
                                           dropout=cfg.get("dropout", 0.0))
            with torch.device("meta"):  # the arguments are checked; the real one is built by build_checked
                build()
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{folder / CARD_FILE} does not describe a classifier: {exc}") from None
        classifier = build_checked(build, weights_file(folder, card, "weights", CLASSIFIER_FILE))
        return cls(classifier, card, folder, device)
