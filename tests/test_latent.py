import pytest
import torch

from gan_core.explore.arithmetic import variations, vector_arithmetic
from gan_core.explore.directions import along, direction_from_scores, turn_vector
from gan_core.explore.latents import latent_at, latent_walk, latents_for_seeds, lerp, slerp
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


def test_arithmetic_on_exemplar_means_matches_the_hand_computation():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])   # mean (3, 4)
    b = torch.tensor([[0.0, 1.0], [2.0, 1.0], [1.0, 1.0]])   # mean (1, 1)
    c = torch.tensor([[10.0, 0.0], [10.0, 3.0], [10.0, 0.0]])  # mean (10, 1)
    assert torch.allclose(vector_arithmetic([(1, a), (-1, b), (1, c)]), torch.tensor([12.0, 4.0]))


def test_variations_stay_within_the_spread():
    z = torch.zeros(100)
    v = variations(z, 8, 0.25, torch.Generator().manual_seed(0))
    assert v.shape == (8, 100) and v.abs().max() <= 0.25 and v.std() > 0.1


def test_turn_vector_and_scored_direction():
    left = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    right = torch.tensor([[-1.0, 1.0], [-3.0, 1.0]])
    assert torch.equal(turn_vector(left, right), torch.tensor([4.0, -1.0]))
    z = torch.randn(200, 8, generator=torch.Generator().manual_seed(1))
    scores = z[:, 3] * 2.0  # the score depends on coordinate 3 alone
    d = direction_from_scores(z, scores, 0.1)
    assert d.abs().argmax() == 3 and d[3] > 0
    row = along(torch.zeros(8), d, [-1, 0, 1])
    assert torch.equal(row[1], torch.zeros(8)) and torch.allclose(row[2], d)
