"""gan_core: classic GANs (DCGAN and friends) to train, load and explore.

    >>> import gan_core
    >>> pipe = gan_core.load("faces-dcgan64")          # doctest: +SKIP
    >>> pipe.grid(16, seed=0).save("faces.png")        # doctest: +SKIP

The package never imports a UI toolkit; the Gradio app in `demo/` calls it.
"""
__version__ = "0.1.0"

from gan_core.models import get_model, model_names  # noqa: E402
from gan_core.pipelines.generator import GeneratorPipeline, list_checkpoints, load, load_discriminator  # noqa: E402

__all__ = ["load", "load_discriminator", "list_checkpoints", "GeneratorPipeline", "get_model", "model_names",
           "__version__"]
