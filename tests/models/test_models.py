import pytest
import torch
from torch import nn

from gan_core.models import get_model, model_names

EXPECTED = {"dcgan32": 32, "dcgan64": 64, "dcgan128": 128, "keras-gan32": 32, "celeb28": 28}


def test_every_named_model_is_registered():
    assert set(EXPECTED) <= set(model_names())
    with pytest.raises(KeyError, match="known models"):
        get_model("dcgan63")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_generator_and_discriminator_shapes(name):
    spec = get_model(name)
    G, D = spec.build_generator(), spec.build_discriminator()
    z = spec.sample_noise(3, torch.Generator().manual_seed(0))
    x = G(z)
    assert x.shape == (3, 3, EXPECTED[name], EXPECTED[name])
    assert x.min() >= -1 and x.max() <= 1  # tanh output
    assert D(x).shape == (3,)
    assert all(f.shape[0] == 3 for f in D.features(x))


@pytest.mark.parametrize("size", [32, 64, 128])
def test_dcgan_follows_the_paper(size):
    spec = get_model(f"dcgan{size}")
    G, D = spec.build_generator(), spec.build_discriminator()
    assert spec.nz == 100 and spec.defaults["batch_size"] == 128 and spec.defaults["lr_g"] == 2e-4
    # No pooling anywhere; transposed convs in G, strided convs in D.
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in list(G.modules()) + list(D.modules()))
    convs_g = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs_g) == {32: 4, 64: 5, 128: 6}[size]
    # BatchNorm on every G layer but the output; output is Tanh.
    layers = list(G.main)
    assert isinstance(layers[-1], nn.Tanh) and isinstance(layers[-2], nn.ConvTranspose2d)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in layers) == len(convs_g) - 1
    assert sum(isinstance(m, nn.ReLU) for m in layers) == len(convs_g) - 1
    # D: no BatchNorm right after the input conv; LeakyReLU(0.2) everywhere.
    first = list(D.blocks[0])
    assert not any(isinstance(m, nn.BatchNorm2d) for m in first)
    slopes = {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    # Weights from N(0, 0.02).
    w = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    opt_g, opt_d = spec.make_optimizers(G, D, spec.defaults)
    assert isinstance(opt_g, torch.optim.Adam) and opt_g.param_groups[0]["betas"][0] == 0.5


def test_keras_gan32_follows_the_book():
    spec = get_model("keras-gan32")
    G, D = spec.build_generator(), spec.build_discriminator()
    assert spec.nz == 32
    kernels = [m.kernel_size[0] for m in G.main if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert kernels == [5, 4, 5, 5, 7]
    strided = [m for m in D.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) == 3 and all(m.kernel_size[0] % 2 == 0 for m in strided)  # divisible by the stride
    assert any(isinstance(m, nn.Dropout) and m.p == 0.4 for m in D.modules())
    opt_g, opt_d = spec.make_optimizers(G, D, spec.defaults)
    assert isinstance(opt_d, torch.optim.RMSprop)
    assert opt_d.param_groups[0]["lr"] == 8e-4 and opt_g.param_groups[0]["lr"] == 4e-4
    assert spec.defaults["clip_grad"] == 1.0 and spec.defaults["label_noise"] == 0.05


def test_celeb28_depth_falls_from_1024_to_3():
    G = get_model("celeb28").build_generator()
    depths = [m.out_channels for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert depths[0] == 512 and depths[-1] == 3 and depths == sorted(depths, reverse=True)
    assert G.dense.out_features == 1024 * 4 * 4
    assert sum(isinstance(m, nn.Dropout) for m in G.modules()) == 4  # every layer but the output


def test_noise_is_drawn_on_the_cpu_and_reproducible():
    spec = get_model("dcgan64")
    a = spec.sample_noise(4, torch.Generator().manual_seed(3))
    b = spec.sample_noise(4, torch.Generator().manual_seed(3))
    assert a.device.type == "cpu" and torch.equal(a, b)


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# Width 1 is the paper's network: these counts are the nets' from before the width setting,
# so every checkpoint saved then still loads.
PAPER_PARAMS = {  # name: (G parameters, D parameters, G tensors, D tensors)
    "celeb28": (12_655_747, 1_033_729, 26, 16),
    "dcgan32": (1_068_928, 663_296, 19, 14),
    "dcgan64": (3_576_704, 2_765_568, 25, 20),
    "dcgan128": (12_786_560, 11_164_416, 31, 26),
    "keras-gan32": (6_264_579, 790_913, 12, 10),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_width_one_is_the_paper_network(name):
    spec = get_model(name)
    assert spec.width == 1.0 and spec.scaled(1.0) is spec and spec.scaled(1) is spec
    G, D = spec.build_generator(), spec.build_discriminator()
    assert (_params(G), _params(D), len(G.state_dict()), len(D.state_dict())) == PAPER_PARAMS[name]
    # Widths are relative to the paper, not to the spec scaled: back to 1 is the paper's net again.
    back = spec.scaled(0.5).scaled(1.0)
    assert back.width == 1.0
    assert {k: v.shape for k, v in back.build_generator().state_dict().items()} == \
        {k: v.shape for k, v in G.state_dict().items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_narrower_nets_have_fewer_parameters_and_the_same_shapes(name):
    counts = []
    for width in (1.0, 0.5, 0.25):
        spec = get_model(name).scaled(width)
        assert spec.width == width and spec.name == name and spec.image_size == EXPECTED[name]
        G, D = spec.build_generator(), spec.build_discriminator()
        x = G(spec.sample_noise(2, torch.Generator().manual_seed(0)))
        assert x.shape == (2, 3, EXPECTED[name], EXPECTED[name]) and D(x).shape == (2,)
        # Same layers, thinner: channel counts are multiples of 8.
        assert len(G.state_dict()) == PAPER_PARAMS[name][2] and len(D.state_dict()) == PAPER_PARAMS[name][3]
        hidden = [m.out_channels for m in list(G.modules()) + list(D.modules())
                  if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.out_channels not in (1, 3)]
        assert all(c % 8 == 0 for c in hidden)
        counts.append(_params(G) + _params(D))
    assert counts[0] > counts[1] > counts[2]
    assert counts[2] < 0.15 * counts[0]  # about width squared


def test_keras_gan32_at_a_quarter_width():
    spec = get_model("keras-gan32").scaled(0.25)
    G, D = spec.build_generator(), spec.build_discriminator()
    maps = [m.out_channels for m in G.main if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert maps == [64, 64, 64, 64, 3] and G.dense[0].out_features == 32 * 16 * 16
    assert [b[0].out_channels for b in D.blocks] == [32] * 4
    # The book's other choices are untouched.
    assert spec.nz == 32 and spec.defaults == get_model("keras-gan32").defaults


def test_tiny_widths_keep_eight_channels():
    G = get_model("dcgan64").scaled(0.01).build_generator()
    maps = [m.out_channels for m in G.main if isinstance(m, nn.ConvTranspose2d)]
    assert maps == [64, 32, 16, 8, 3]  # ngf 64 x 0.01 -> 8, doubling upwards


@pytest.mark.parametrize("width", [0, -0.5, 4.5, float("nan"), float("inf"), "0.5", True, None])
def test_a_bad_width_names_the_allowed_range(width):
    with pytest.raises(ValueError, match="above 0 and at most 4"):
        get_model("dcgan32").scaled(width)
