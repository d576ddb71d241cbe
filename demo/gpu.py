"""`@gpu`: on a Hugging Face ZeroGPU Space, `spaces.GPU` lends a GPU to the decorated
function for each call; everywhere else (no `spaces` package) it changes nothing."""
from __future__ import annotations

import torch

try:  # installed on Spaces only
    import spaces
except ImportError:
    spaces = None


def gpu(fn=None, **kwargs):
    """Use as `@gpu` or `@gpu(duration=120)`."""
    if spaces is not None:
        return spaces.GPU(fn, **kwargs) if fn is not None else spaces.GPU(**kwargs)
    return fn if fn is not None else (lambda f: f)


def best_device() -> str:
    """Inside a `@gpu` function on ZeroGPU, CUDA is there; elsewhere usually not."""
    return "cuda" if torch.cuda.is_available() else "cpu"
