"""A small image classifier whose features the GAN metrics use (a stand-in for Inception).

No wheel ships Inception or VGG weights and nothing may be downloaded, so the Fréchet
distance and KID of gan_core.evaluation.feature_metrics are computed on the pooled
features of a network trained here: `cifar10-classifier`, this net trained on the
CIFAR-10 training split (gan_core.training.image_classifier). Its class probabilities
also give the "frog rate" of a frog GAN.
"""
from __future__ import annotations

import torch
from torch import nn


def _stage(c_in: int, c_out: int) -> list[nn.Module]:
    """Two 3x3 convolutions with BatchNorm and ReLU, then a 2x2 max-pool (halves the size)."""
    return [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True),
            nn.MaxPool2d(2)]


class ImageClassifier(nn.Module):
    """RGB in [-1, 1] (N, 3, 32, 32) -> logits (N, len(classes)). A VGG-style net sized for a CPU.

    For width w = 32 (about 0.29 M weights, 39 M multiply-adds an image):
        stage 3 -> 32                   (N, 32, 16, 16)
        stage 32 -> 64                  (N, 64, 8, 8)
        stage 64 -> 128                 (N, 128, 4, 4)
        mean over the 4x4 cells         (N, 128)          features(): what the metrics compare
        linear 128 -> classes           (N, classes)
    """

    def __init__(self, classes: list[str], width: int = 32, image_size: int = 32):
        super().__init__()
        if len(classes) < 2 or width < 1 or image_size != 32:
            raise ValueError(f"an image classifier needs 2+ classes, width >= 1 and image_size 32, not "
                             f"{len(classes)}, {width}, {image_size}")
        self.classes, self.width, self.image_size = list(classes), width, image_size
        w = width
        self.trunk = nn.Sequential(*_stage(3, w), *_stage(w, 2 * w), *_stage(2 * w, 4 * w))
        self.out = nn.Linear(4 * w, len(classes))

    @property
    def feature_dim(self) -> int:
        return 4 * self.width

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x).mean((2, 3))            # (N, 4w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))             # (N, classes) logits

    def config(self) -> dict:
        return {"classes": self.classes, "width": self.width, "image_size": self.image_size}


__all__ = ["ImageClassifier"]
