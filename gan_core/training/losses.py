"""The training losses, by name: the GANs' adversarial losses (non-saturating, hinge), SRGAN's content losses, the
Siamese style GAN's five terms and the window detector's BCE + Dice.

Images are in [-1, 1]; logits are raw discriminator outputs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_core.pipelines.style import MARGIN

VGG_RESCALE = 12.75  # SRGAN divides VGG feature maps by 12.75 to bring the loss near the MSE's scale
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DICE_WEIGHT = 1.0  # detector loss = BCE + DICE_WEIGHT * soft Dice: Dice pulls towards IoU, which BCE alone does not


# ----------------------------------------------------------------------------- adversarial


def nonsaturating_loss(logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)) (Goodfellow et al.'s non-saturating generator loss): BCE of the
    discriminator's logits on generated images against "real"."""
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def hinge_loss_d(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """The discriminator's hinge loss (SAGAN, BigGAN): mean max(0, 1 - D(x)) on real images,
    mean max(0, 1 + D(G(z))) on generated ones."""
    return F.relu(1 - logits).mean() if real else F.relu(1 + logits).mean()


def hinge_loss_g(logits: torch.Tensor) -> torch.Tensor:
    """The generator's side of the hinge loss: -mean D(G(z))."""
    return -logits.mean()


# ----------------------------------------------------------------------------- super-resolution content


class VGGLoss(nn.Module):
    """SRGAN's VGG54 content loss on images in [-1, 1]: the MSE between VGG19 relu5_4
    feature maps (of `features`, ImageNet weights) of SR and HR, maps divided by VGG_RESCALE."""

    def __init__(self, features: nn.Module):
        super().__init__()
        self.features = features
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def _phi(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(((x + 1) / 2 - self.mean) / self.std) / VGG_RESCALE

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self._phi(hr)
        return F.mse_loss(self._phi(sr), target)


def feature_matching_loss(features: list[torch.Tensor], target: list[torch.Tensor]) -> torch.Tensor:
    """Mean over a discriminator's blocks of the MSE between their activations on SR and
    on HR: a learned content loss that needs no download (stands in for VGG54)."""
    return sum(F.mse_loss(a, b) for a, b in zip(features, target)) / len(features)


# ----------------------------------------------------------------------------- style transfer (Siamese GAN)


def painting_loss(v_b: torch.Tensor) -> torch.Tensor:
    """LossD1 = mean ||D(B)||^2: D pulls paintings to the origin."""
    return v_b.pow(2).sum(1).mean()


def margin_loss(v_ab: torch.Tensor, margin: float = MARGIN) -> torch.Tensor:
    """LossD2 = mean max(0, m - ||D(AB)||)^2: D pushes translated photos out beyond m."""
    return F.relu(margin - v_ab.norm(dim=1)).pow(2).mean()


def generator_loss(v_ab: torch.Tensor) -> torch.Tensor:
    """LossG1 = mean ||D(AB)||^2: G wants its translations where the paintings are."""
    return v_ab.pow(2).sum(1).mean()


def content_loss(v_a: torch.Tensor, v_ab: torch.Tensor) -> torch.Tensor:
    """LossD3 = LossG2 = mean (1 - cos(D(A1) - D(A2), D(AB1) - D(AB2))), pairing each
    crop i of the batch with crop i + 1 (the last with the first): low when translation
    keeps the directions between photos in D's space. Needs a batch of 2 or more."""
    return (1 - F.cosine_similarity(_pair_differences(v_a), _pair_differences(v_ab), dim=1, eps=1e-8)).mean()


def spread_loss(v_a: torch.Tensor, margin: float = MARGIN) -> torch.Tensor:
    """TraVeLGAN's Siamese margin term, mean max(0, m - ||S(A1) - S(A2)||), pairing crops
    as content_loss does: the content network keeps different photos apart, so its vectors
    cannot all fall on one point, where the cosine of their differences means nothing."""
    return F.relu(margin - _pair_differences(v_a).norm(dim=1)).mean()


def _pair_differences(v: torch.Tensor) -> torch.Tensor:
    """v_i - v_(i+1) for each crop i of the batch (the last paired with the first)."""
    if v.shape[0] < 2:
        raise ValueError("the content term compares pairs of crops: use a batch of at least 2")
    return v - v.roll(-1, 0)


# ----------------------------------------------------------------------------- window detection


def detector_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE plus DICE_WEIGHT x soft Dice loss over the batch (target float 0/1)."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return bce + DICE_WEIGHT * dice
