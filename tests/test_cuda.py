"""What only a GPU can check: bf16 autocast, channels_last, the data set kept on the device,
exact resume on CUDA, and the same latents (and nearly the same pictures) on CPU and GPU.

Marked `cuda` and skipped on a machine without CUDA (CI's); the GPU day's script runs
them first (`python -m pytest -m cuda`)."""
from __future__ import annotations

import json

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import STATE_FILE, read_tensors
from gan_core.data.image_set import ShuffledBatches, load_images
from gan_core.training.gan import TrainConfig, train
from gan_core.training.loop import autocast_for

from .helpers import write_tiny_checkpoint
from .training.test_gan import cfg, images  # noqa: F401  (the CPU tests' small run and its images)

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def config(images, out, **kw) -> TrainConfig:
    """The CPU tests' small run (tests/training/test_gan.py), on the GPU."""
    return cfg(images, out, **{"device": "cuda", **kw})


def test_autocast_runs_in_bf16_and_a_cuda_run_trains_and_says_its_gpu(images, tmp_path):
    G = gan_core.get_model("dcgan32").build_generator().cuda()
    with autocast_for(torch.device("cuda"))():
        assert G(torch.randn(2, 100, device="cuda")).dtype == torch.bfloat16
    with autocast_for(torch.device("cuda"), amp=False)():
        assert G(torch.randn(2, 100, device="cuda")).dtype == torch.float32
    result = train(config(images, tmp_path / "run"))
    assert all(torch.isfinite(torch.tensor(v)) for k, v in result.metrics.items() if isinstance(v, float))
    card = json.loads((tmp_path / "run" / "export" / "model_card.json").read_text())
    assert torch.cuda.get_device_name(0).split()[-1] in card["training"]["hardware"]


def test_weights_are_channels_last_and_the_set_lives_on_the_gpu(images, tmp_path):
    from gan_core.training.gan import GANTask

    cfg = config(images, tmp_path / "run")
    spec, hp = cfg.spec(), cfg.hyperparameters()
    ds = load_images([str(images)], 32, cache_dir=str(tmp_path / "cache")).to("cuda")
    task = GANTask(cfg, spec, hp, ds, torch.device("cuda"), 0, 1, 4)
    conv = next(m for m in task.D.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_cuda and conv.weight.is_contiguous(memory_format=torch.channels_last)
    batches = ShuffledBatches(len(ds), 8, 0, device=ds.images.device)
    assert ds.batch(batches.next()).is_cuda  # no host-to-device copy per batch


def test_a_cuda_run_resumes_exactly(images, tmp_path):
    train(config(images, tmp_path / "straight"))
    train(config(images, tmp_path / "split", steps=2))
    train(config(images, tmp_path / "split", steps=4, resume=True))
    a, b = read_tensors(tmp_path / "straight" / STATE_FILE)[0], read_tensors(tmp_path / "split" / STATE_FILE)[0]
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith(("G.", "D.")))


def test_the_same_seed_gives_the_same_latents_and_pictures_on_cpu_and_gpu(tmp_path):
    write_tiny_checkpoint(tmp_path / "tiny")
    cpu, gpu = gan_core.load(tmp_path / "tiny"), gan_core.load(tmp_path / "tiny", device="cuda")
    assert torch.equal(cpu.latents(8, seed=3), gpu.latents(8, seed=3))  # drawn on the CPU either way
    a, b = cpu.decode(cpu.latents(8, seed=3)), gpu.decode(gpu.latents(8, seed=3))
    assert (a - b).abs().max() < 2e-2  # cuDNN's own kernels (and TF32) round differently, not visibly
