"""pose_score and mirror_pose on drawn faces and mirror images; pose_direction against the hand
computation; check_turn; the shipped turn file."""
from __future__ import annotations

import pytest
import torch

import gan_core
from gan_core.core.errors import CheckpointError
from gan_core.explore.directions import ridge_direction
from gan_core.explore.pose import (TURN_LENGTH, check_turn, load_turn, measured_turn, mirror_pose, pose_direction,
                                   pose_score, save_turn, side_light)

from ..helpers import TINY_CHECKPOINT


def drawn_face(features_dx: int = 0, size: int = 64) -> torch.Tensor:
    """(3, size, size) in [-1, 1]: a skin-coloured oval on a dark background with dark
    eyes, nostrils and mouth laid out about a midline `features_dx` pixels right of
    the centre, as on a face turned that way (in the training framing: eyes at 28 %,
    mouth at 68 % of the height). Symmetric when features_dx is 0."""
    s = size / 64
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    centre = (size - 1) / 2
    img = torch.full((3, size, size), -0.8)
    oval = ((xs - centre) / (22 * s)) ** 2 + ((ys - 0.5 * size) / (28 * s)) ** 2 <= 1
    img[:, oval] = torch.tensor([0.7, 0.3, 0.1])[:, None]
    mid = centre + features_dx * s

    def dark(cx: float, cy: float, rx: float, ry: float, value: float = -0.6) -> None:
        img[:, ((xs - cx) / (rx * s)) ** 2 + ((ys - cy) / (ry * s)) ** 2 <= 1] = value

    for side in (-1, 1):
        dark(mid + side * 10 * s, 0.28 * size, 4, 2)        # eyes
        dark(mid + side * 3 * s, 0.55 * size, 1.5, 1.2)     # nostrils
    dark(mid, 0.68 * size, 7, 2, value=-0.2)               # mouth
    return img


def test_mirroring_negates_the_score_exactly():
    x = torch.rand(16, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x[:4] = torch.stack([drawn_face(dx) for dx in (-5, -2, 3, 6)])
    s = pose_score(x)
    assert torch.equal(pose_score(x.flip(-1)), -s)
    assert s.abs().min() > 0  # not trivially zero


def test_constant_and_symmetric_pictures_score_zero():
    flat = torch.stack([torch.full((3, 64, 64), v) for v in (-1.0, 0.0, 0.37, 1.0)])
    coloured = torch.tensor([0.5, -0.2, 0.1]).view(1, 3, 1, 1).expand(2, 3, 32, 48)
    assert torch.equal(pose_score(flat), torch.zeros(4))
    assert torch.equal(pose_score(coloured), torch.zeros(2))
    assert torch.equal(pose_score(drawn_face(0)[None]), torch.zeros(1))


def test_features_left_of_centre_score_as_turned_to_the_viewers_left():
    dxs = [-6, -4, -2, 2, 4, 6]
    s = pose_score(torch.stack([drawn_face(dx) for dx in dxs]))
    assert (s[:3] > 0.02).all() and (s[3:] < -0.02).all()
    assert (s.diff() < 0).all(), s  # further turned, larger score
    # The score is the axis offset in half-widths: 4 px at 64 px wide is 0.125.
    assert s[1].item() == pytest.approx(4 / 32, abs=0.03)


def test_the_score_does_not_depend_on_the_resolution():
    s64 = pose_score(torch.stack([drawn_face(-4), drawn_face(4)]))
    s32 = pose_score(torch.stack([drawn_face(-4, size=32), drawn_face(4, size=32)]))
    assert torch.allclose(s32, s64, atol=0.04)


def test_a_bright_blob_scores_by_the_side_it_sits_on():
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")

    def blob(cx: float) -> torch.Tensor:
        inside = ((xs - cx) / 6) ** 2 + ((ys - 38) / 10) ** 2 <= 1
        return torch.where(inside, 0.9, -0.9).expand(3, 64, 64)

    left, right = pose_score(torch.stack([blob(27.5), blob(35.5)]))
    assert left > 0.05 and right < -0.05


def test_light_from_one_side_barely_moves_a_frontal_face():
    ramp = torch.linspace(0.4, 1.0, 64).view(1, 1, 64)  # the right half lit, the left in shade
    lit = ((drawn_face(0) + 1) * ramp - 1)[None]
    turned = pose_score(drawn_face(-2)[None]).abs()
    assert pose_score(lit).abs() < 0.25 * turned


def test_pose_score_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        pose_score(torch.zeros(3, 64, 64))
    with pytest.raises(ValueError):
        pose_score(torch.zeros(2, 1, 64, 64))


def test_mirror_pose_is_antisymmetric_and_reads_a_face_shifted_sideways():
    x = torch.rand(6, 3, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    x[:2] = torch.stack([drawn_face(0).roll(-3, -1), drawn_face(0).roll(3, -1)])  # whole faces moved left, right
    s = mirror_pose(x)
    assert torch.equal(mirror_pose(x.flip(-1)), -s)
    # Features left of the centre read as turned to the viewer's left, as in pose_score.
    assert s[0] > 0.05 and s[1] < -0.05
    assert s[0].item() == pytest.approx(3 / 32, abs=0.02)  # in half-widths, like pose_score
    assert mirror_pose(drawn_face(0)[None]).abs().item() < 1e-6


def test_side_light_is_the_left_minus_right_brightness():
    lit = drawn_face(0)
    lit[:, :, :32] += 0.2
    assert side_light(lit[None]).item() == pytest.approx(0.2, abs=1e-5)
    assert side_light(drawn_face(0)[None]).abs().item() < 1e-6


def test_pose_direction_is_the_mirror_pose_ridge_with_side_light_projected_out(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    d = pose_direction(pipe, samples=120, generator=torch.Generator().manual_seed(3))

    z = pipe.latents(120, generator=torch.Generator().manual_seed(3))
    x = pipe.decode(z)
    assert mirror_pose(x).unique().numel() > 60  # the untrained generator's pictures do differ
    pose, light = ridge_direction(z, mirror_pose(x)), ridge_direction(z, side_light(x))
    by_hand = pose - (pose @ light) / (light @ light) * light
    nz = z.shape[1]
    assert d.shape == (nz,)
    assert torch.allclose(d, by_hand * (TURN_LENGTH * nz ** 0.5 / by_hand.norm()), atol=1e-4)
    assert abs(float(d @ light)) < 1e-3 * d.norm() * light.norm()  # no side light left in it


def test_pose_direction_without_a_generator_uses_seed_0(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    assert torch.equal(pose_direction(pipe, samples=20),
                       pose_direction(pipe, samples=20, generator=torch.Generator().manual_seed(0)))


@pytest.mark.parametrize("kwargs", [{"samples": 1}, {"l2": -1.0}])
def test_pose_direction_rejects_bad_arguments(tiny_checkpoint_dir, kwargs):
    with pytest.raises(ValueError):
        pose_direction(gan_core.load(TINY_CHECKPOINT), **kwargs)


def test_check_turn_counts_rows_against_random_directions(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    d = pose_direction(pipe, samples=60)
    there = check_turn(pipe, d, seeds=6, steps=5, randoms=3)
    back = check_turn(pipe, -d, seeds=6, steps=5, randoms=3)
    assert 0 <= there.turned <= 6 and len(there.random_turned) == 3
    assert there.change == pytest.approx(-back.change, abs=1e-6)  # the same rows, walked the other way
    assert there.random_turned == back.random_turned  # the control does not depend on the sign
    with pytest.raises(ValueError):
        check_turn(pipe, d, steps=2)


def test_a_saved_turn_loads_back_and_a_damaged_one_is_refused(tiny_checkpoint_dir):
    folder = tiny_checkpoint_dir / TINY_CHECKPOINT / "directions"
    assert load_turn(TINY_CHECKPOINT) is None
    d = torch.linspace(-1, 1, 100)
    save_turn(folder, d, {"samples": 7})
    direction, info = load_turn(TINY_CHECKPOINT)
    assert torch.equal(direction, d) and info == {"samples": 7}
    (folder / "turn.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(CheckpointError):
        load_turn(TINY_CHECKPOINT)


def test_measured_turn_is_the_shipped_one_when_it_fits_else_fitted_now(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    folder = tiny_checkpoint_dir / TINY_CHECKPOINT / "directions"
    fitted = pose_direction(pipe, generator=torch.Generator().manual_seed(0))
    assert torch.equal(measured_turn(pipe, TINY_CHECKPOINT), fitted)  # nothing shipped
    save_turn(folder, torch.ones(7), {})  # another generator's latent size: passed over
    assert torch.equal(measured_turn(pipe, TINY_CHECKPOINT), fitted)
    shipped = torch.linspace(-1, 1, pipe.spec.nz)
    save_turn(folder, shipped, {})
    assert torch.equal(measured_turn(pipe, TINY_CHECKPOINT), shipped)
    (folder / "turn.safetensors").write_bytes(b"damaged")
    assert torch.equal(measured_turn(pipe, TINY_CHECKPOINT), fitted)
