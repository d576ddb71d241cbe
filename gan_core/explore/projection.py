"""Find the latent whose image looks like a given photo (GAN inversion).

The generator is fixed; a batch of latents (one per restart) is optimised with
Adam on a loss computable offline: pixel error, plus the distance between the
feature maps of the two images in a network trained here: the face network's
(`face_network`, an AttributeClassifier: it sees eyes and mouths) and/or the
discriminator's (a learned, perceptual-ish comparison). A soft prior keeps each
latent near the norm of a typical Gaussian sample, where the generator was
trained. The best restart wins.

With a latent encoder trained for the generator (gan_core.pipelines.encoder), the
first restart starts at the encoder's guess instead of at random, and a few dozen
steps refine it (seconds on a CPU, where a random start needs hundreds).

>>> from gan_core.explore.projection import project_image                       # doctest: +SKIP
>>> result = project_image(pipe, photo, generator=torch.Generator().manual_seed(0))  # doctest: +SKIP
>>> result.latent, result.image, result.start_error, result.error     # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_core.data.image_set import preprocess
from gan_core.core.images import from_uint8, to_pil


@dataclass
class Projection:
    latent: torch.Tensor  # (nz,)
    image: Image.Image  # the generator's image of `latent`
    target: Image.Image  # the photo as the generator sees it (framed and resized)
    start_error: float  # mean squared pixel error (in [-1, 1] units) of the best restart at step 0
    error: float  # the same after optimisation
    history: list[float] = field(default_factory=list)  # best loss every 10 steps


def image_to_tensor(image: Image.Image, size: int, framing: str = "center") -> torch.Tensor:
    """A PIL image -> (1, 3, size, size) in [-1, 1], framed as training data was."""
    arr = preprocess(image.convert("RGB"), size, "generic", framing)
    return from_uint8(torch.from_numpy(np.ascontiguousarray(arr))).unsqueeze(0)


def project_image(pipe, image: Image.Image | torch.Tensor, *, steps: int = 300, restarts: int = 8, lr: float = 0.05,
                  discriminator: nn.Module | None = None, feature_weight: float = 0.1, prior_weight: float = 1e-3,
                  encoder=None, face_network: nn.Module | None = None, face_weight: float = 1.0,
                  generator: torch.Generator | None = None, progress_fn=None) -> Projection:
    """Project `image` (PIL, or a (1, 3, H, W) tensor in [-1, 1]) into `pipe`'s latent space.

    `encoder` (a LatentEncoderPipeline for this generator): restart 0 starts at its guess.
    `face_network` (an AttributeClassifier): its feature maps join the loss at `face_weight`;
    `discriminator`: its blocks' features at `feature_weight`."""
    if steps < 0 or restarts < 1:
        raise ValueError("steps must be >= 0 and restarts >= 1")
    size = pipe.spec.image_size
    target = image if torch.is_tensor(image) else image_to_tensor(image, size)
    target = target.to(pipe.device)
    G = pipe.generator.eval()
    for p in G.parameters():
        p.requires_grad_(False)
    if discriminator is not None:
        discriminator = discriminator.eval().to(pipe.device)
        for p in discriminator.parameters():
            p.requires_grad_(False)
        target_features = [f.detach() for f in discriminator.features(target)]
    if face_network is not None:
        face_network = face_network.eval().to(pipe.device).requires_grad_(False)
        face_size = getattr(face_network, "image_size", size)

        def face_maps(x: torch.Tensor) -> list[torch.Tensor]:
            """The face network's maps, at its own input size."""
            if x.shape[-1] != face_size:
                x = F.interpolate(x, (face_size, face_size), mode="bilinear", align_corners=False)
            return face_network.feature_maps(x)
        with torch.no_grad():
            target_faces = [f.detach() for f in face_maps(target)]

    z = pipe.latents(restarts, generator=generator).to(pipe.device)
    if encoder is not None:
        z[0] = encoder(target)[0].to(pipe.device)
    z.requires_grad_(True)
    nz_norm = math.sqrt(z.shape[1])  # a Gaussian latent's typical length
    opt = torch.optim.Adam([z], lr=lr)

    def losses(z):
        x = G(z)
        pixel = F.mse_loss(x, target.expand_as(x), reduction="none").flatten(1).mean(1)
        total = pixel + prior_weight * (z.norm(dim=1) - nz_norm) ** 2
        if discriminator is not None:
            for f, t in zip(discriminator.features(x), target_features):
                total = total + feature_weight * F.mse_loss(f, t.expand_as(f), reduction="none").flatten(1).mean(1)
        if face_network is not None:
            maps = face_maps(x)
            for f, t in zip(maps, target_faces):
                total = total + face_weight / len(maps) * F.mse_loss(f, t.expand_as(f), reduction="none").flatten(1).mean(1)
        return total, pixel

    with torch.no_grad():
        _, pixel0 = losses(z)
    history = []
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        total, _ = losses(z)
        total.sum().backward()  # restarts are independent: the sum keeps their gradients apart
        opt.step()
        if step % 10 == 0:
            history.append(total.min().item())
            if progress_fn is not None:
                progress_fn(step, steps)
    with torch.no_grad():
        total, pixel = losses(z)
        best = int(total.argmin())
        image_out = to_pil(G(z[best:best + 1]).cpu())[0]
    return Projection(latent=z[best].detach().cpu(), image=image_out, target=to_pil(target.cpu())[0],
                      start_error=pixel0[best].item(), error=pixel[best].item(), history=history)
