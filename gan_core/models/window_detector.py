"""A window detector for facades: a tiny U-Net giving a window logit per pixel.

Trained and scored in gan_core.pipelines.detector; `gan_core.load("window-detector")`
gives it inside a pipeline that labels images of any size.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

DETECTOR_SIZE = 64  # the generators it judges draw 64x64 facades


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    """A 3x3 convolution with BatchNorm and ReLU; the size is kept."""
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


class WindowDetector(nn.Module):
    """A three-level U-Net: RGB in [-1, 1] (N, 3, S, S) -> window logits (N, S, S).

    For S = 64 and width w = 16 (about 0.1 M weights, 72 M multiply-adds an image):
        enc1  conv 3 -> 16                    (N, 16, 64, 64)
        enc2  pool, 2 convs 16 -> 32          (N, 32, 32, 32)
        enc3  pool, 2 convs 32 -> 64          (N, 64, 16, 16)   each pixel sees about 40 px
        dec2  up 64 -> 32, cat enc2, conv 64 -> 32   (N, 32, 32, 32)
        dec1  up 32 -> 16, cat enc1, conv 32 -> 16   (N, 16, 64, 64)
        head  1x1 16 -> 1                      (N, 64, 64) logits
    S must be a multiple of 4. Windows are a few pixels to a quarter of the image
    across, so three levels see a whole window and the wall around it, and the skips
    keep its edges sharp. One convolution, not two, at the full size: that is where
    a CPU spends its time, and a window's edge needs no deep features.
    """

    def __init__(self, width: int = 16, image_size: int = DETECTOR_SIZE):
        super().__init__()
        if width < 1 or image_size < 8 or image_size % 4:
            raise ValueError(f"width must be >= 1 and image_size a multiple of 4 (>= 8), not {width}, {image_size}")
        self.width, self.image_size = width, image_size
        w = width
        self.enc1 = nn.Sequential(*_conv(3, w))
        self.enc2 = nn.Sequential(*_conv(w, 2 * w), *_conv(2 * w, 2 * w))
        self.enc3 = nn.Sequential(*_conv(2 * w, 4 * w), *_conv(4 * w, 4 * w))
        self.up3 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.dec2 = nn.Sequential(*_conv(4 * w, 2 * w))
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.dec1 = nn.Sequential(*_conv(2 * w, w))
        self.head = nn.Conv2d(w, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)                                          # (N, w, S, S)
        e2 = self.enc2(F.max_pool2d(e1, 2))                        # (N, 2w, S/2, S/2)
        e3 = self.enc3(F.max_pool2d(e2, 2))                        # (N, 4w, S/4, S/4)
        d2 = self.dec2(torch.cat([self.up3(e3), e2], 1))           # (N, 2w, S/2, S/2)
        d1 = self.dec1(torch.cat([self.up2(d2), e1], 1))           # (N, w, S, S)
        return self.head(d1)[:, 0]                                 # (N, S, S)

    def config(self) -> dict:
        return {"width": self.width, "image_size": self.image_size}
