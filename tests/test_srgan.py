"""SRGAN networks (shapes, sizes) and the SR metrics (PSNR-Y, SSIM-Y, bicubic baseline)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.models.srgan import RRDBNet, SRDiscriminator, SRResNet, fold_batch_norm, for_inference
from gan_core.evaluation.sr_metrics import bicubic_downscale, crop_to_multiple, psnr_y, rgb_to_y, ssim_y
from gan_core.pipelines.tiles import bicubic_upscale
from tests.helpers import SHARED_DATA

SET5 = SHARED_DATA / "sr" / "CSet5"


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---- networks ---------------------------------------------------------------------------------------

def test_srresnet_maps_lr_to_x4_hr():
    torch.manual_seed(0)
    G = SRResNet().eval()
    with torch.no_grad():
        assert G(torch.rand(1, 3, 24, 24) * 2 - 1).shape == (1, 3, 96, 96)


def test_srresnet_other_scales_and_bad_scale():
    with torch.no_grad():
        assert SRResNet(scale=2, blocks=1).eval()(torch.zeros(1, 3, 8, 10)).shape == (1, 3, 16, 20)
    with pytest.raises(ValueError, match="power of two"):
        SRResNet(scale=3)


def test_srresnet_has_the_papers_size():
    # The paper's SRResNet has about 1.5M parameters (16 blocks, 64 channels).
    assert abs(n_params(SRResNet()) - 1.5e6) <= 0.1 * 1.5e6


def test_discriminator_logits_any_size_and_features():
    torch.manual_seed(0)
    D = SRDiscriminator().eval()
    with torch.no_grad():
        assert D(torch.zeros(2, 3, 96, 96)).shape == (2,)
        assert D(torch.zeros(3, 3, 64, 80)).shape == (3,)  # adaptive pool: sizes other than 96 work
        feats = D.features(torch.zeros(1, 3, 96, 96))
    assert [f.shape[1] for f in feats] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert feats[-1].shape[-2:] == (6, 6)  # four stride-2 convs: 96 / 16


def test_rrdbnet_x4_shape():
    torch.manual_seed(0)
    with torch.no_grad():
        assert RRDBNet(blocks=1).eval()(torch.zeros(1, 3, 8, 12)).shape == (1, 3, 32, 48)
    assert abs(n_params(RRDBNet()) - 16.7e6) < 0.1e6  # the published ESRGAN x4 generator


def _trained_looking(net: torch.nn.Module) -> torch.nn.Module:
    """Batch-norm statistics and affine terms away from their defaults, and a PReLU
    slope other than 0.25, so folding them wrongly shows in the outputs."""
    g = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=g))
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
        if isinstance(m, torch.nn.PReLU):
            m.weight.data.fill_(-0.3)
    return net.eval()


@pytest.mark.parametrize("scale, size", [(4, (9, 14)), (2, (7, 5)), (8, (3, 4))])
def test_inference_copy_gives_the_same_image(scale, size):
    torch.manual_seed(0)
    net = _trained_looking(SRResNet(scale=scale, blocks=2))
    fast = for_inference(net)
    x = torch.rand(2, 3, *size) * 2 - 1
    with torch.no_grad():
        want, got = net(x), fast(x)
    assert got.shape == want.shape
    assert (got - want).abs().max() < 1e-4
    # It really changed the network: no norms left, the last conv before the shuffle.
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert isinstance(fast.tail[-1], torch.nn.PixelShuffle) and fast.tail[0].kernel_size == (5, 5)
    # ...and left the original alone.
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) == 2 * 2 + 1
    assert isinstance(net.tail, torch.nn.Conv2d)


def test_inference_copy_keeps_per_channel_prelu_after_the_shuffle():
    # A per-channel PReLU does not commute with the shuffle: the tail must stay put.
    net = SRResNet(blocks=1)
    net.upsample[-1] = torch.nn.PReLU(64)
    net = _trained_looking(net)
    with torch.no_grad():
        net.upsample[-1].weight.copy_(torch.linspace(-1, 1, 64))
    fast = for_inference(net)
    assert isinstance(fast.tail, torch.nn.Conv2d)
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        assert (fast(x) - net(x)).abs().max() < 1e-4


def test_fold_batch_norm_on_rrdbnet_and_a_plain_stack():
    torch.manual_seed(0)
    stack = _trained_looking(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8),
                                                 torch.nn.ReLU(), torch.nn.BatchNorm2d(8)))
    folded = fold_batch_norm(stack)
    assert [type(m).__name__ for m in folded] == ["Conv2d", "Identity", "ReLU", "BatchNorm2d"]
    x = torch.rand(2, 3, 5, 5)
    with torch.no_grad():
        assert (folded(x) - stack(x)).abs().max() < 1e-5
        rrdb = RRDBNet(blocks=1).eval()  # no norms: the copy computes the same thing
        assert torch.equal(for_inference(rrdb)(x), rrdb(x))


# ---- metrics ----------------------------------------------------------------------------------------

def flat(value, h: int = 32, w: int = 32) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def test_rgb_to_y_known_colours():
    colours = {(0, 0, 0): 16.0, (255, 255, 255): 235.0, (255, 0, 0): 16 + 65.481,
               (0, 255, 0): 16 + 128.553, (0, 0, 255): 16 + 24.966}
    for rgb, y in colours.items():
        assert rgb_to_y(flat(rgb, 2, 3)) == pytest.approx(np.full((2, 3), y))
    assert rgb_to_y(Image.fromarray(flat((255, 0, 0)))).shape == (32, 32)  # PIL works too


def test_psnr_identical_is_inf():
    img = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert psnr_y(img, img) == math.inf


def test_psnr_of_known_error_matches_formula():
    # Every channel off by +-5 on a grey image: Y is off by 5 * 219/255 everywhere.
    hr = flat(128, 40, 40)
    sign = np.where(np.indices((40, 40)).sum(0) % 2 == 0, 5, -5)[..., None]
    sr = (hr.astype(int) + sign).astype(np.uint8)
    expected = 20 * math.log10(255 / (5 * 219 / 255))
    assert psnr_y(sr, hr) == pytest.approx(expected, abs=1e-9)
    assert psnr_y(Image.fromarray(sr), Image.fromarray(hr), border=0) == pytest.approx(expected, abs=1e-9)


def test_ssim_identical_one_and_different_low():
    rng = np.random.default_rng(1)
    x = np.linspace(0, 255, 48)
    grad = np.stack([np.add.outer(x, x) / 2] * 3, -1).astype(np.uint8)
    assert ssim_y(grad, grad) == pytest.approx(1.0)
    noise = rng.integers(0, 256, grad.shape, dtype=np.uint8)
    assert ssim_y(noise, grad) < 0.5
    slightly = np.clip(grad.astype(int) + rng.integers(-3, 4, grad.shape), 0, 255).astype(np.uint8)
    assert 0.5 < ssim_y(slightly, grad) < 1.0
    assert ssim_y(slightly, grad) == pytest.approx(ssim_y(grad, slightly))  # symmetric


def test_ssim_matches_a_direct_2d_window():
    # The separable filter gives the same local means as an explicit 11x11 Gaussian window.
    from gan_core.evaluation.sr_metrics import _filter_valid, _gaussian_window
    img = np.random.default_rng(2).random((15, 13))
    g = _gaussian_window()
    w2 = np.outer(g, g)
    direct = np.array([[np.sum(w2 * img[i:i + 11, j:j + 11]) for j in range(3)] for i in range(5)])
    assert _filter_valid(img, g) == pytest.approx(direct)
    assert w2.sum() == pytest.approx(1.0)


def test_metrics_reject_mismatched_sizes():
    with pytest.raises(ValueError, match="differ in size"):
        psnr_y(flat(0, 32, 32), flat(0, 32, 36))


def test_crop_and_bicubic_sizes_keep_type():
    arr = np.zeros((103, 98, 3), np.uint8)
    hr = crop_to_multiple(arr, 4)
    assert isinstance(hr, np.ndarray) and hr.shape == (100, 96, 3)
    lr = bicubic_downscale(hr, 4)
    assert lr.shape == (25, 24, 3) and lr.dtype == np.uint8
    assert bicubic_upscale(lr, 4).shape == (100, 96, 3)
    pil = crop_to_multiple(Image.fromarray(arr), 4)
    assert isinstance(pil, Image.Image) and pil.size == (96, 100)
    assert bicubic_downscale(pil, 4).size == (24, 25)


@pytest.mark.skipif(not SET5.is_dir(), reason="Set5 not available under shared/data/sr/CSet5")
def test_set5_bicubic_x4_baseline():
    # Standard protocol: crop HR to a multiple of 4, shrink and enlarge by bicubic,
    # Y channel, 4-pixel border. PIL's bicubic lands on the published 28.43 dB.
    files = sorted(SET5.glob("*.png"))
    assert len(files) == 5
    psnrs, ssims = [], []
    for f in files:
        with Image.open(f) as im:
            hr = crop_to_multiple(im.convert("RGB"), 4)
        sr = bicubic_upscale(bicubic_downscale(hr, 4), 4)
        psnrs.append(psnr_y(sr, hr, border=4))
        ssims.append(ssim_y(sr, hr, border=4))
    assert np.mean(psnrs) == pytest.approx(28.43, abs=0.3)  # measured: 28.43
    assert np.mean(ssims) == pytest.approx(0.8104, abs=0.01)  # literature 0.8104 (MATLAB); measured 0.8111
