"""How many of a shapes GAN's samples look like a shape: the share the shipped judge
(gan_core.models.shape_classifier, checkpoint `shapes-classifier`) is sure of.

>>> import gan_core
>>> from gan_core.evaluation.shape_score import shape_share
>>> pipe = gan_core.load("runs/shapes")                              # a GAN trained on --data shapes; doctest: +SKIP
>>> score = shape_share(pipe.decode(pipe.latents(64, seed=0)))       # doctest: +SKIP
>>> print(score)                                                     # doctest: +SKIP
64 % of 64 samples look like a shape (disc 12, square 9, triangle 8, ring 7, cross 5, none 23)

A sample counts when the judge's top class is one of the five shapes with probability
at least CONFIDENT (0.9; see gan_core.pipelines.shape_classifier for why). The judge is
loaded once and kept; scoring 64 samples takes a few milliseconds on a CPU, so the Train
tab can score every few hundred steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from gan_core.core.hub import SHAPE_CLASSIFICATION, open_checkpoint
from gan_core.models.shape_classifier import CLASSES, ShapeClassifier
from gan_core.pipelines.shape_classifier import (CONFIDENT, ShapeClassifierPipeline, confident_shapes,
                                                 shape_probabilities)

JUDGE = "shapes-classifier"  # the shipped judge's name


@dataclass(frozen=True)
class ShapeScore:
    """share: the fraction (0..1) of the n samples counted as a shape; counts: samples per
    verdict, {shape: n} for those counted and "none" for the rest (they add up to n)."""

    share: float
    counts: dict[str, int]
    n: int

    @property
    def percent(self) -> int:
        return round(100 * self.share)

    def __str__(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        return f"{self.percent} % of {self.n} samples look like a shape ({counts})"


@lru_cache(maxsize=1)
def default_judge() -> ShapeClassifierPipeline:
    """The shipped judge (`shapes-classifier`), loaded on the first call and kept."""
    folder, card = open_checkpoint(JUDGE, SHAPE_CLASSIFICATION)
    return ShapeClassifierPipeline.from_pretrained(folder, card)


def shape_share(images: torch.Tensor, judge: ShapeClassifierPipeline | ShapeClassifier | None = None,
                threshold: float = CONFIDENT) -> ShapeScore:
    """The share of `images` (N, 3, H, W) float in [-1, 1] (or uint8), any size, that
    `judge` (default: the shipped one) calls a shape with probability >= `threshold`.
    Images not 32 px are resized to it (area averaging down, antialiased bilinear up)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    if judge is None:
        judge = default_judge()
    classifier = judge.classifier if isinstance(judge, ShapeClassifierPipeline) else judge
    probs = shape_probabilities(classifier, images)
    sure = confident_shapes(probs, threshold)
    verdict = torch.where(sure, probs.argmax(1), len(CLASSES) - 1)
    counts = torch.bincount(verdict, minlength=len(CLASSES)).tolist()
    n = len(probs)
    return ShapeScore(share=sure.float().mean().item() if n else 0.0,
                      counts=dict(zip(CLASSES, counts)), n=n)


__all__ = ["shape_share", "ShapeScore", "default_judge", "CONFIDENT", "JUDGE"]
