"""A judge for the built-in shapes (gan_core.data.shapes): is this one clean shape, and which?

Six classes: the five shapes and "none", trained on draw_non_shapes' failures (blurred,
blended, merged, lumpy, cut, speckled shapes, colour fields, blobs, noise, backgrounds,
hollow outlines). The trainer is gan_core.training.shape_classifier; scoring a GAN's
samples is gan_core.evaluation.shape_score.shape_share, and `gan_core.load("shapes-classifier")`
gives it inside a ShapeClassifierPipeline.
"""
from __future__ import annotations

import torch
from torch import nn

from gan_core.data.shapes import SHAPES

CLASSES = (*SHAPES, "none")
NONE = len(SHAPES)  # the index of "none"
IMAGE_SIZE = 32  # the shapes GAN's size: the judge sees every image at 32 px


def _block(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    """A 3x3 convolution (stride 1 keeps the size, 2 halves it), BatchNorm, ReLU."""
    return [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


class ShapeClassifier(nn.Module):
    """RGB in [-1, 1] (N, 3, 32, 32) -> logits (N, 6) over CLASSES.

    For width w = 16 (about 0.06 M weights, 3.4 M multiply-adds an image):
        conv 3 -> 16                    (N, 16, 32, 32)
        conv 16 -> 32, stride 2         (N, 32, 16, 16)
        conv 32 -> 64, stride 2         (N, 64, 8, 8)
        conv 64 -> 64, stride 2         (N, 64, 4, 4)    each cell sees 31 px: a whole shape
        mean and max over the 4x4 cells (N, 128)          a shape may be anywhere; max keeps a stray blot
        linear 128 -> 6                 (N, 6)
    """

    def __init__(self, width: int = 16, image_size: int = IMAGE_SIZE):
        super().__init__()
        if width < 1 or image_size != IMAGE_SIZE:
            raise ValueError(f"width must be >= 1 and image_size {IMAGE_SIZE}, not {width}, {image_size}")
        self.width, self.image_size = width, image_size
        w = width
        self.features = nn.Sequential(*_block(3, w, 1), *_block(w, 2 * w, 2), *_block(2 * w, 4 * w, 2),
                                      *_block(4 * w, 4 * w, 2))
        self.out = nn.Linear(8 * w, len(CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)                                         # (N, 4w, 4, 4)
        pooled = torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1)      # (N, 8w)
        return self.out(pooled)                                      # (N, 6) logits

    def config(self) -> dict:
        return {"width": self.width, "image_size": self.image_size, "classes": list(CLASSES)}


__all__ = ["ShapeClassifier", "CLASSES", "NONE", "IMAGE_SIZE"]
