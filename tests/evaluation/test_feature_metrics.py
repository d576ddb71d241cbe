import numpy as np
import pytest
import torch

from gan_core.evaluation.feature_metrics import (FeatureNetwork, class_share, evaluate_features, frechet_distance,
                                                 kernel_distance, network_for)
from gan_core.models import get_model
from gan_core.pipelines.generator import GeneratorPipeline


def test_the_frechet_distance_of_two_gaussians_is_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20_000, 8))
    b = rng.normal(size=(20_000, 8)) * 2 + 0.5
    # ||mu||^2 = 8 * 0.25; trace: 8 * (1 + 4 - 2 * 2)
    assert frechet_distance(a, b) == pytest.approx(2.0 + 8.0, rel=0.03)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # Correlated features: the eigen route agrees with the definition through a matrix square root.
    m = rng.normal(size=(8, 8))
    c = a @ m
    s_a, s_c = np.cov(a, rowvar=False), np.cov(c, rowvar=False)
    w, v = np.linalg.eig(s_a @ s_c)
    direct = (((a.mean(0) - c.mean(0)) ** 2).sum() + np.trace(s_a) + np.trace(s_c)
              - 2 * np.sqrt(w.real.clip(0)).sum())
    assert frechet_distance(a, c) == pytest.approx(direct, rel=1e-6)


def test_kid_is_unbiased_near_zero_for_one_distribution_and_grows_with_the_gap():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
    same, spread = kernel_distance(a, b, subsets=20, subset_size=300)
    assert abs(same) < 3 * spread + 1e-3
    near, _ = kernel_distance(a, b + 0.3, subsets=20, subset_size=300)
    far, _ = kernel_distance(a, b + 1.0, subsets=20, subset_size=300)
    assert 0 < near < far


def pixel_network(classes=None):
    """Features: the mean colour of each 8x8 cell of a 32 px image; probabilities: a 'red' class
    for images whose red channel is brightest by 50 levels."""
    def features(images):
        x = images.float() / 127.5 - 1 if images.dtype == torch.uint8 else images
        x = torch.nn.functional.interpolate(x, (32, 32), mode="area")
        return torch.nn.functional.avg_pool2d(x, 8).flatten(1).double().numpy()

    def probabilities(images):
        x = images.float() if images.dtype == torch.uint8 else (images + 1) * 127.5
        red = (x[:, 0].mean((1, 2)) > x[:, 1:].mean((1, 2, 3)) + 50).float()
        return torch.stack([red, 1 - red], 1)

    return FeatureNetwork("pixels", "none", features, probabilities, ["red", "other"])


def test_a_report_ranks_an_untrained_generator_far_below_real_images_and_counts_the_class():
    g = torch.Generator().manual_seed(0)
    base = torch.randint(0, 256, (1, 3, 32, 32), generator=g)
    red = (base + torch.randint(-20, 21, (300, 3, 32, 32), generator=g)).clamp(0, 255)
    red[:, 0] = 230
    red = red.to(torch.uint8)
    train, held = red[:150], red[150:]
    spec = get_model("dcgan32")
    torch.manual_seed(0)
    pipe = GeneratorPipeline(spec.build_generator(), spec)
    report = evaluate_features(pipe, train, held, pixel_network(), n=100, cls="red", untrained=pipe)
    rows = report["rows"]
    assert report["n"] == 100 and set(rows) == {"generated", "held-out real images", "untrained generator"}
    assert rows["held-out real images"]["fd"] * 20 < rows["generated"]["fd"]
    assert rows["held-out real images"]["kid_x1000"] < rows["generated"]["kid_x1000"]
    assert rows["held-out real images"]["class_share"] == 1.0
    assert rows["generated"]["class_share"] < 0.5
    assert "not comparable to published FID" in report["note"]
    assert class_share(pixel_network(), held, None) == 1.0


def test_the_feature_network_follows_what_the_gan_drew():
    assert network_for({"data": {"sources": ["../shared/data/faces/celeba/img_align_celeba"]}}) == "faces"
    assert network_for({"data": {"description": "utkface: 9000 images"}}) == "faces"
    assert network_for({"data": {"sources": ["cifar10.tar.gz"], "classes_filter": ["frog"]}}) == "cifar10"
    assert network_for({}) == "cifar10"
