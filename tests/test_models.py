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
