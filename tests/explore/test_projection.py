import pytest
import torch
from torch import nn

from gan_core.models import get_model
from gan_core.pipelines.generator import GeneratorPipeline
from gan_core.explore.projection import project_image


class LinearGenerator(nn.Module):
    """A toy generator whose image depends strongly on z: tanh(W z), 3 x 32 x 32."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(100, 3 * 32 * 32)

    def forward(self, z):
        return torch.tanh(self.fc(z.view(z.shape[0], -1))).view(-1, 3, 32, 32)


@pytest.fixture(scope="module")
def pipe():
    torch.manual_seed(0)
    return GeneratorPipeline(LinearGenerator(), get_model("dcgan32"))


def test_projection_lowers_the_reconstruction_error(pipe):
    target = pipe.decode(pipe.latents(1, seed=123))
    result = project_image(pipe, target, steps=60, restarts=4, generator=torch.Generator().manual_seed(0))
    assert result.error < 0.5 * result.start_error
    assert result.latent.shape == (100,) and result.image.size == (32, 32)


def test_projection_with_discriminator_features_and_a_photo(pipe):
    from PIL import Image

    photo = Image.new("RGB", (80, 60), (200, 30, 30))
    D = pipe.spec.build_discriminator()
    result = project_image(pipe, photo, steps=30, restarts=2, discriminator=D,
                           generator=torch.Generator().manual_seed(0))
    assert result.target.size == (32, 32) and result.error <= result.start_error
    assert len(result.history) == 3


def test_projection_is_reproducible(pipe):
    target = pipe.decode(pipe.latents(1, seed=5))
    a = project_image(pipe, target, steps=10, restarts=2, generator=torch.Generator().manual_seed(1))
    b = project_image(pipe, target, steps=10, restarts=2, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a.latent, b.latent)
