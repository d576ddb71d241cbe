"""The SRGAN networks (gan_core.models.srgan): shapes, sizes, the inference copy, batch-norm folding."""
from __future__ import annotations

import pytest
import torch

from gan_core.models.srgan import RRDBNet, SRDiscriminator, SRResNet, fold_batch_norm, for_inference


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


# ---- LiteSR -----------------------------------------------------------------------------------------

def test_litesr_starts_as_bilinear_upscaling_and_is_sized_for_a_cpu():
    from gan_core.models.srgan import LiteSR, build_sr_arch

    torch.manual_seed(0)
    net = LiteSR().eval()
    x = torch.rand(1, 3, 12, 10) * 2 - 1
    with torch.no_grad():
        out = net(x)
    bilinear = torch.nn.functional.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
    assert out.shape == (1, 3, 48, 40) and torch.equal(out, bilinear)  # the residual starts at zero
    # Every weight runs at the low resolution: fewer than half SRResNet's, none batch-normed.
    assert 600_000 < n_params(net) < 0.5 * n_params(SRResNet())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert n_params(build_sr_arch("litesr", blocks=2, channels=16)) < n_params(build_sr_arch("litesr", blocks=2))
    with pytest.raises(ValueError, match="known: srresnet, rrdbnet, litesr"):
        build_sr_arch("edsr")
    with pytest.raises(ValueError, match="power of two"):
        LiteSR(scale=3)


def test_litesr_learns_detail_beyond_bilinear_and_its_inference_copy_agrees():
    """A few steps on one picture make the residual non-zero: the tail's gradient is not
    stopped by its zero start."""
    from gan_core.models.srgan import LiteSR

    torch.manual_seed(0)
    net = LiteSR(blocks=1, channels=8)
    hr = torch.rand(1, 3, 32, 32) * 2 - 1
    lr = torch.nn.functional.avg_pool2d(hr, 4)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = (net(lr) - hr).abs().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.95 * losses[0]
    net.eval()
    with torch.no_grad():
        assert torch.allclose(for_inference(net)(lr), net(lr), atol=1e-5)
