"""A trained image classifier (gan_core.models.image_classifier): class probabilities and
the pooled features the GAN metrics compare.

>>> import gan_core
>>> clf = gan_core.load("cifar10-classifier")          # an ImageClassifierPipeline; doctest: +SKIP
>>> probs = clf(images)                                 # (N, 10) over clf.classes; doctest: +SKIP
>>> feats = clf.features(images)                        # (N, 128); doctest: +SKIP

Images of any size are resized to 32 px (area averaging down). Files:
`classifier.safetensors` + `model_card.json` with `"task": "image-classification"` and
the architecture under "classifier". No pickles.
"""
from __future__ import annotations

from pathlib import Path

import torch

from gan_core.core.checkpoints import CARD_FILE, build_checked
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import checkpoint_name, weights_file
from gan_core.models.image_classifier import ImageClassifier
from gan_core.pipelines.shape_classifier import as_judge_input

CLASSIFIER_FILE = "classifier.safetensors"


@torch.no_grad()
def _run(model: ImageClassifier, images: torch.Tensor, fn, batch_size: int = 500) -> torch.Tensor:
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = as_judge_input(images, model.image_size)
    out = [fn(chunk.to(device).contiguous(memory_format=torch.channels_last)).float().cpu()
           for chunk in x.split(batch_size)]
    model.train(was_training)
    return torch.cat(out)


def class_probabilities(model: ImageClassifier, images: torch.Tensor) -> torch.Tensor:
    """Float (N, classes) on the CPU, of images (N, 3, H, W) uint8 or float in [-1, 1], any size."""
    return _run(model, images, lambda x: torch.softmax(model(x), 1))


def pooled_features(model: ImageClassifier, images: torch.Tensor) -> torch.Tensor:
    """Float (N, feature_dim) on the CPU: the features before the classifier's last layer."""
    return _run(model, images, model.features)


class ImageClassifierPipeline:
    """`probs = clf(images)` over `clf.classes`; `clf.features(images)` for the metrics.
    Attributes: `classifier` (in eval mode), `card`, `path`, `device`, `classes`."""

    def __init__(self, classifier: ImageClassifier, card: dict, path: Path | None = None,
                 device: torch.device | str = "cpu"):
        self.classifier = classifier.to(device).eval()
        self.card, self.path, self.device = card, path, torch.device(device)

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "image-classifier")

    @property
    def classes(self) -> list[str]:
        return self.classifier.classes

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return class_probabilities(self.classifier, images)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return pooled_features(self.classifier, images)

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict, device: torch.device | str = "cpu") -> ImageClassifierPipeline:
        try:
            cfg = card["classifier"]
            classes = [str(c) for c in cfg["classes"]]

            def build() -> ImageClassifier:
                return ImageClassifier(classes, width=cfg["width"], image_size=cfg["image_size"])
            with torch.device("meta"):
                build()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{folder / CARD_FILE} does not describe an image classifier: {exc}") from None
        classifier = build_checked(build, weights_file(folder, card, "weights", CLASSIFIER_FILE))
        return cls(classifier, card, folder, device)


__all__ = ["ImageClassifierPipeline", "class_probabilities", "pooled_features", "CLASSIFIER_FILE"]
