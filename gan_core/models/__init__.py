"""The GAN architectures, each a `ModelSpec` registered under a name (see
gan_core.models.registry).

>>> from gan_core.models import get_model, model_names
>>> get_model("dcgan64").image_size
64
"""
from gan_core.models.registry import ModelSpec, get_model, model_names

# Importing the modules registers their models.
from gan_core.models import dcgan, keras_gan32, celeb28  # noqa: F401

__all__ = ["ModelSpec", "get_model", "model_names"]
