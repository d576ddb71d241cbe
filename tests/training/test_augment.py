"""DiffAugment: shapes kept, gradients through, draws from the generator given."""
import pytest
import torch

from gan_core.training.augment import POLICIES, check_policies, diff_augment


def _images(n=8, size=32):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_each_policy_keeps_the_shape_and_lets_gradients_through():
    for policy in POLICIES:
        x = _images().requires_grad_(True)
        y = diff_augment(x, (policy,), torch.Generator().manual_seed(0))
        assert y.shape == x.shape and not torch.equal(y, x)
        y.sum().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0


def test_the_same_generator_state_gives_the_same_transform():
    x = _images()
    a = diff_augment(x, POLICIES, torch.Generator().manual_seed(3))
    b = diff_augment(x, POLICIES, torch.Generator().manual_seed(3))
    c = diff_augment(x, POLICIES, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_translation_shifts_whole_images_and_fills_with_zeros():
    x = _images(64)
    y = diff_augment(x, ("translation",), torch.Generator().manual_seed(0))
    for i in range(64):
        # Some shift (dy, dx) within 4 px maps the image onto itself, the rest is zero.
        found = False
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                shifted = torch.zeros_like(x[i])
                src = x[i][:, max(dy, 0):32 + min(dy, 0), max(dx, 0):32 + min(dx, 0)]
                shifted[:, max(-dy, 0):32 + min(-dy, 0), max(-dx, 0):32 + min(-dx, 0)] = src
                found |= torch.equal(shifted, y[i])
        assert found, i


def test_cutout_zeroes_at_most_a_quarter_of_each_image():
    x = _images(64) * 0.5 + 0.6  # no zeros of its own
    y = diff_augment(x, ("cutout",), torch.Generator().manual_seed(0))
    zeroed = (y == 0).all(dim=1).float().mean(dim=(1, 2))
    assert (zeroed > 0).all() and (zeroed <= 0.25 + 1e-6).all()


def test_unknown_policies_are_named():
    with pytest.raises(ValueError, match="unknown augmentation 'flip'"):
        check_policies(["translation", "flip"])
    assert check_policies(None) == ()
