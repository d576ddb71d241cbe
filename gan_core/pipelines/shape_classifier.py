"""Judge images of the built-in shapes: which shape, or "none" (not one clean shape).

>>> import gan_core
>>> judge = gan_core.load("shapes-classifier")            # a ShapeClassifierPipeline; doctest: +SKIP
>>> probs = judge(images)                                  # (N, 6) over judge.classes; doctest: +SKIP

The share of a GAN's samples the judge calls a shape is
gan_core.evaluation.shape_score.shape_share. Training: gan_core.training.shape_classifier
(`python -m gan_core shapes train-classifier`).

Files: `classifier.safetensors` + `model_card.json` with `"task": "shape-classification"`
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
from gan_core.models.shape_classifier import CLASSES, NONE, ShapeClassifier

CLASSIFIER_FILE = "classifier.safetensors"
# A sample counts as a shape when the judge gives one shape class at least this
# probability. 0.9, not the arg-max: "looks like a shape" should mean the judge is
# sure, and a blurred or lumpy half-shape often has its top class a shape at 0.5-0.8.
# Held out, real shapes clear it at 99+ % and the negatives at under 1 % (the card's figures).
CONFIDENT = 0.9


def as_judge_input(images: torch.Tensor, size: int = 32) -> torch.Tensor:
    """(N, 3, H, W) uint8 or float in [-1, 1] -> float (N, 3, size, size) in [-1, 1]: area
    averaging down, antialiased bilinear up. ValueError for anything but RGB images."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] != 3:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor (N, 3, H, W), not {shape}")
    x = from_uint8(images)
    if x.shape[-2:] != (size, size):
        if min(x.shape[-2:]) >= size:
            x = F.interpolate(x, (size, size), mode="area")
        else:
            x = F.interpolate(x, (size, size), mode="bilinear", align_corners=False, antialias=True)
    return x


@torch.no_grad()
def shape_probabilities(classifier: ShapeClassifier, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Class probabilities, float (N, 6) on the CPU, columns in CLASSES order, of images
    (N, 3, H, W) uint8 or float in [-1, 1] of any size (resized to 32 px)."""
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    x = as_judge_input(images, classifier.image_size)
    out = [torch.softmax(classifier(chunk.to(device)).float(), 1).cpu() for chunk in x.split(batch_size)]
    classifier.train(was_training)
    return torch.cat(out) if out else torch.empty(0, len(CLASSES))


def confident_shapes(probs: torch.Tensor, threshold: float = CONFIDENT) -> torch.Tensor:
    """Bool (N,): the top class is a shape and has at least `threshold` probability."""
    top, cls = probs.max(1)
    return (cls != NONE) & (top >= threshold)


class ShapeClassifierPipeline:
    """A trained shape judge: `probs = judge(images)`, (N, 6) over `judge.classes`.

    Attributes: `classifier` (the ShapeClassifier, in eval mode), `card` (dict), `path`,
    `device`, `classes` (the five shapes and "none"), `threshold` (the card's, else CONFIDENT)."""

    classes = CLASSES

    def __init__(self, classifier: ShapeClassifier, card: dict, path: Path | None = None,
                 device: torch.device | str = "cpu"):
        self.classifier = classifier.to(device).eval()
        self.card = card
        self.path = path
        self.device = torch.device(device)

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "shapes-classifier")

    @property
    def threshold(self) -> float:
        value = self.card.get("threshold")
        return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else CONFIDENT

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Probabilities (N, 6) of images (N, 3, H, W), uint8 or float in [-1, 1], any size."""
        return shape_probabilities(self.classifier, images)

    def predict(self, images: torch.Tensor, threshold: float | None = None) -> list[str]:
        """Each image's verdict: its shape where the judge is sure (see confident_shapes), else "none"."""
        probs = self(images)
        sure = confident_shapes(probs, self.threshold if threshold is None else threshold)
        return [CLASSES[int(c)] if s else "none" for c, s in zip(probs.argmax(1), sure)]

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict,
                        device: torch.device | str = "cpu") -> ShapeClassifierPipeline:
        """The pipeline of a shape-classification checkpoint's folder and card (see gan_core.load)."""
        try:
            cfg = card["classifier"]
            if list(cfg.get("classes", CLASSES)) != list(CLASSES):
                raise ValueError(f"classes {cfg.get('classes')} are not {list(CLASSES)}")

            def build() -> ShapeClassifier:
                return ShapeClassifier(width=cfg["width"], image_size=cfg["image_size"])
            with torch.device("meta"):  # the arguments are checked; the real one is built by build_checked
                build()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{folder / CARD_FILE} does not describe a shape classifier: {exc}") from None
        classifier = build_checked(build, weights_file(folder, card, "weights", CLASSIFIER_FILE))
        return cls(classifier, card, folder, device)


__all__ = ["ShapeClassifierPipeline", "shape_probabilities", "confident_shapes", "as_judge_input", "CONFIDENT",
           "CLASSIFIER_FILE"]
