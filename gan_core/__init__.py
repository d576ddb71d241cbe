"""gan_core: classic GANs (DCGAN and friends) to train, load and explore.

    >>> import gan_core
    >>> pipe = gan_core.load("faces-dcgan64")          # doctest: +SKIP
    >>> pipe.grid(16, seed=0).save("faces.png")        # doctest: +SKIP

`gan_core.load` reads any checkpoint and gives the pipeline its model card's task
calls for: a GeneratorPipeline for a GAN, an Upscaler, a StyleTransfer, a
WindowDetectorPipeline, an AttributeClassifierPipeline, a ShapeClassifierPipeline, an
ImageClassifierPipeline or a LatentEncoderPipeline.

The package never imports a UI toolkit; the Gradio app in `demo/` calls it.
"""
from __future__ import annotations

from pathlib import Path

import torch

from gan_core.core.hub import (ATTRIBUTE_CLASSIFICATION, GAN, IMAGE_CLASSIFICATION, LATENT_ENCODER,
                               SHAPE_CLASSIFICATION, STYLE_TRANSFER, SUPER_RESOLUTION, WINDOW_DETECTION, card_task,
                               list_checkpoints, open_checkpoint)
from gan_core.core.version import __version__
from gan_core.models import get_model, model_names
from gan_core.pipelines.classifier import AttributeClassifierPipeline
from gan_core.pipelines.detector import WindowDetectorPipeline
from gan_core.pipelines.encoder import LatentEncoderPipeline
from gan_core.pipelines.image_classifier import ImageClassifierPipeline
from gan_core.pipelines.generator import GeneratorPipeline, load_discriminator
from gan_core.pipelines.shape_classifier import ShapeClassifierPipeline
from gan_core.pipelines.style import StyleTransfer
from gan_core.pipelines.upscaler import Upscaler

# The pipeline of each task: its from_pretrained(folder, card, device) builds it.
PIPELINES = {GAN: GeneratorPipeline, SUPER_RESOLUTION: Upscaler, STYLE_TRANSFER: StyleTransfer,
             WINDOW_DETECTION: WindowDetectorPipeline, ATTRIBUTE_CLASSIFICATION: AttributeClassifierPipeline,
             SHAPE_CLASSIFICATION: ShapeClassifierPipeline, IMAGE_CLASSIFICATION: ImageClassifierPipeline,
             LATENT_ENCODER: LatentEncoderPipeline}


def load(name_or_path: str | Path, device: torch.device | str = "cpu", *, task: str | None = None):
    """Load a checkpoint by shipped name (`faces-dcgan64`) or folder, as the pipeline its
    card's task calls for (see PIPELINES). With `task` given, a checkpoint of another
    task is refused (CheckpointError) instead: for callers that need one kind.

    Only safetensors and JSON are read: loading never unpickles code."""
    folder, card = open_checkpoint(name_or_path, task)
    return PIPELINES[card_task(card)].from_pretrained(folder, card, device)


__all__ = ["load", "load_discriminator", "list_checkpoints", "PIPELINES", "GeneratorPipeline", "Upscaler",
           "StyleTransfer", "WindowDetectorPipeline", "AttributeClassifierPipeline", "ShapeClassifierPipeline",
           "ImageClassifierPipeline", "LatentEncoderPipeline",
           "get_model", "model_names",
           "__version__"]
