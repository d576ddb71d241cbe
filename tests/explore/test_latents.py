"""Latents (gan_core.explore.latents): seeds, walks, lerp and slerp, and the check of a latent from outside."""

import pytest
import torch

from gan_core.explore.latents import (MAX_LATENT_ABS, check_latent, latent_at, latent_walk, latents_for_seeds, lerp,
                                      slerp)
from gan_core.models import get_model
from gan_core.pipelines.generator import GeneratorPipeline


@pytest.fixture(scope="module")
def pipe():
    spec = get_model("dcgan32")
    torch.manual_seed(0)
    return GeneratorPipeline(spec.build_generator(), spec)


def test_a_seed_names_the_first_image_of_its_grid(pipe):
    z = latents_for_seeds(pipe.spec, [5, 9])
    assert torch.equal(z[0], pipe.latents(4, seed=5)[0]) and torch.equal(z[1], pipe.latents(1, seed=9)[0])


@pytest.mark.parametrize("method", ["lerp", "slerp"])
def test_a_walks_ends_reproduce_the_waypoint_images(pipe, method):
    waypoints = latents_for_seeds(pipe.spec, [1, 2, 3])
    walk = latent_walk(waypoints, 9, method)
    assert walk.shape == (9, 100)
    assert torch.allclose(walk[0], waypoints[0], atol=1e-5) and torch.allclose(walk[-1], waypoints[-1], atol=1e-5)
    assert torch.allclose(walk[4], waypoints[1], atol=1e-5)  # the middle frame sits on the middle waypoint
    images = pipe.decode(walk[[0, -1]])
    assert torch.allclose(images, pipe.decode(waypoints[[0, 2]]), atol=1e-4)


def test_slerp_keeps_the_norm_where_lerp_shrinks_it():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(100, generator=g), torch.randn(100, generator=g)
    b = b / b.norm() * a.norm()
    assert abs(slerp(a, b, 0.5).norm() - a.norm()) < 1e-4
    assert lerp(a, b, 0.5).norm() < 0.8 * a.norm()
    assert torch.allclose(slerp(a, a, 0.3), a)  # parallel vectors do not divide by zero


def test_walk_rejects_bad_input():
    w = torch.randn(2, 4)
    with pytest.raises(ValueError, match="two waypoints"):
        latent_at(w[:1], 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        latent_at(w, 1.5)
    with pytest.raises(ValueError, match="lerp or slerp"):
        latent_at(w, 0.5, "cubic")


def test_a_latent_from_outside_is_checked():
    z = torch.randn(1, 100, generator=torch.Generator().manual_seed(0))
    assert check_latent(z, 100).shape == (100,)
    with pytest.raises(ValueError, match="needs 100"):
        check_latent(torch.zeros(99), 100)
    with pytest.raises(ValueError, match="not finite"):
        check_latent(torch.full((100,), float("nan")), 100)
    with pytest.raises(ValueError, match="65000"):
        check_latent(torch.full((100,), 65000.0), 100)
    assert check_latent(torch.full((100,), -MAX_LATENT_ABS), 100).min() == -MAX_LATENT_ABS
