"""Paths through latent space: interpolation between waypoints (DCGAN paper, section 6.1).

>>> import gan_core
>>> from gan_core.explore.latents import latents_for_seeds, latent_walk
>>> pipe = gan_core.load("faces-dcgan64")                      # doctest: +SKIP
>>> z = latent_walk(latents_for_seeds(pipe.spec, [1, 2, 3]), 9)  # doctest: +SKIP
>>> frames = pipe(latents=z)                                    # doctest: +SKIP
"""
from __future__ import annotations

import torch

from gan_core.models import ModelSpec

# The largest |z_i| a latent from outside (a link, an API call) may hold. Samples are standard
# normal (or uniform in [-1, 1]): 10 standard deviations happen about once in 10^23 draws, and
# a projected photo stays near a sample's length. Beyond it the generator draws saturated noise.
MAX_LATENT_ABS = 10.0


def check_latent(z: torch.Tensor, nz: int) -> torch.Tensor:
    """`z` as a float (nz,) latent, or ValueError saying what is wrong with it: not nz
    numbers, not finite, or an entry beyond +-MAX_LATENT_ABS."""
    z = torch.as_tensor(z).detach().float().reshape(-1)
    if z.numel() != nz:
        raise ValueError(f"a latent of {z.numel()} numbers; this model needs {nz}")
    if not torch.isfinite(z).all():
        raise ValueError("the latent holds numbers that are not finite (NaN or infinity)")
    biggest = float(z.abs().max()) if nz else 0.0
    if biggest > MAX_LATENT_ABS:
        raise ValueError(f"the latent holds {biggest:g}, beyond the +-{MAX_LATENT_ABS:g} a latent can have "
                         f"(its numbers are about -3 to 3)")
    return z


def latents_for_seeds(spec: ModelSpec, seeds: list[int]) -> torch.Tensor:
    """One latent per seed, (len(seeds), nz): the image a seed names is the first
    image of `pipe.grid(..., seed=seed)`, so seeds shared in a link always agree."""
    return torch.cat([spec.sample_noise(1, torch.Generator().manual_seed(int(s))) for s in seeds])


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    return a + (b - a) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical interpolation: for Gaussian latents the path keeps a typical norm,
    where a straight line dips towards the origin (washed-out, average faces)."""
    a_n, b_n = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = torch.as_tensor(t, dtype=a.dtype)
    out = (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
    return torch.where(so.abs() < 1e-6, lerp(a, b, t), out)  # nearly parallel: a line is the arc


def latent_at(waypoints: torch.Tensor, t: float, method: str = "slerp") -> torch.Tensor:
    """The point at t in [0, 1] along the path through `waypoints` (K, nz); each of
    the K - 1 segments takes an equal share of t."""
    if waypoints.shape[0] < 2:
        raise ValueError("a walk needs at least two waypoints")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], not {t}")
    if method not in ("lerp", "slerp"):
        raise ValueError(f"method must be lerp or slerp, not {method!r}")
    segments = waypoints.shape[0] - 1
    k = min(int(t * segments), segments - 1)
    local = t * segments - k
    f = slerp if method == "slerp" else lerp
    return f(waypoints[k], waypoints[k + 1], local)


def latent_walk(waypoints: torch.Tensor, frames: int, method: str = "slerp") -> torch.Tensor:
    """`frames` latents evenly spaced along the path, first and last on the end waypoints."""
    if frames < 2:
        raise ValueError("a walk needs at least two frames")
    return torch.stack([latent_at(waypoints, i / (frames - 1), method) for i in range(frames)])
