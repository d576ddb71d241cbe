import torch

from gan_core.evaluation.gan_metrics import evaluate_generator, nearest_distance, pairwise_diversity, sliced_wasserstein
from gan_core.models import get_model
from gan_core.pipelines.generator import GeneratorPipeline


def test_a_collapsed_set_has_no_diversity_and_a_far_distribution():
    g = torch.Generator().manual_seed(0)
    real = torch.rand(64, 3, 32, 32, generator=g) * 2 - 1
    collapsed = real[:1].repeat(64, 1, 1, 1)
    assert pairwise_diversity(collapsed) < 1e-3
    assert pairwise_diversity(real) > 0.5
    other = torch.rand(64, 3, 32, 32, generator=g) * 2 - 1
    assert sliced_wasserstein(collapsed, real) > 3 * sliced_wasserstein(other, real)


def test_copies_of_the_reference_are_at_distance_zero():
    ref = torch.rand(20, 3, 16, 16) * 2 - 1
    assert nearest_distance(ref[:5], ref) < 1e-3
    assert nearest_distance(torch.zeros(5, 3, 16, 16), ref) > 0


def test_evaluate_generator_reports_every_measure():
    spec = get_model("dcgan32")
    torch.manual_seed(0)
    pipe = GeneratorPipeline(spec.build_generator(), spec)
    real = torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8)
    out = evaluate_generator(pipe, real, n=10)
    assert out["n"] == 10 and set(out) >= {"diversity_ratio", "nn_ratio", "sliced_wasserstein"}
    # An untrained generator makes near-identical grey images: far less diverse than noise.
    assert out["diversity_ratio"] < 0.5
