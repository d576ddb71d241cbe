"""A face attribute classifier: a small CNN with one output per attribute.

Trained in gan_core.explore.attributes; `gan_core.load("face-attributes")` gives it
inside a pipeline that scores images of any size (gan_core.pipelines.classifier).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import torch
from torch import nn


@dataclass
class AttributeHead:
    """One output of the classifier. kind "binary": a logit, label 1 = has it.
    kind "regression": predicts (value - offset) / scale, so every head's loss
    is of order one whatever the label's unit (age in years: offset ~ 29, scale ~ 25)."""

    name: str
    kind: str = "binary"
    offset: float = 0.0
    scale: float = 1.0


class AttributeClassifier(nn.Module):
    """A small CNN: stride-2 conv blocks down to 4x4, then one linear output per attribute.

    For 64x64 input and width 32 the trunk is 3 -> 32 -> 64 -> 128 -> 256 maps
    (64 -> 32 -> 16 -> 8 -> 4 px), about 0.8 M weights. Input: images in [-1, 1].
    `forward` gives raw outputs (N, heads); `to_label_units` turns them into
    probabilities (binary heads) and label values (years for age);
    gan_core.pipelines.classifier.score_images does both for a batch of images of any size.
    """

    def __init__(self, heads: Sequence[AttributeHead | Mapping], image_size: int = 64, width: int = 32,
                 dropout: float = 0.3):
        super().__init__()
        self.heads = [h if isinstance(h, AttributeHead) else AttributeHead(**h) for h in heads]
        if not self.heads:
            raise ValueError("a classifier needs at least one attribute")
        if image_size < 8 or image_size & (image_size - 1):
            raise ValueError(f"image_size must be a power of two >= 8, not {image_size}")
        for h in self.heads:
            if h.kind not in ("binary", "regression"):
                raise ValueError(f"attribute {h.name!r}: kind must be binary or regression, not {h.kind!r}")
        self.image_size, self.width, self.dropout = image_size, width, dropout
        layers: list[nn.Module] = []
        c_in, c_out, size = 3, width, image_size
        while size > 4:
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]
            c_in, c_out, size = c_out, min(c_out * 2, 256), size // 2
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Dropout(dropout))
        self.out = nn.Linear(c_in * 16, len(self.heads))

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.heads]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.trunk(x))

    def pooled_features(self, x: torch.Tensor) -> torch.Tensor:
        """The trunk's last 4x4 map averaged over its cells, (N, channels): what the GAN
        metric compares (gan_core.evaluation.feature_metrics). The trunk ends in Flatten, Dropout."""
        return self.trunk[:-2](x).mean((2, 3))

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each trunk block's activations (after its LeakyReLU), 32 to 4 px: a comparison of
        two faces that sees eyes, mouths and hair (projection's and the encoder's loss)."""
        maps = []
        for layer in self.trunk[:-2]:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                maps.append(x)
        return maps

    def to_label_units(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw outputs (N, heads) -> probabilities / label values (N, heads)."""
        cols = [torch.sigmoid(raw[:, j]) if h.kind == "binary" else raw[:, j] * h.scale + h.offset
                for j, h in enumerate(self.heads)]
        return torch.stack(cols, 1)

    def config(self) -> dict:
        return {"image_size": self.image_size, "width": self.width, "dropout": self.dropout,
                "heads": [asdict(h) for h in self.heads]}
