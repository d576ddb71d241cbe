"""Find the feature maps of a generator layer that draw a concept, and switch them off.

The DCGAN paper (section 6.1) drew boxes around the windows in 150 generated bedrooms,
fit a logistic regression that predicts "inside a window" from a layer's feature
activations at each position, and zeroed every feature map with a positive weight: the
generator went on drawing bedrooms, without windows. The same works for any generator,
layer and concept (windows on facades, glasses or mouths on faces):

>>> import torch, gan_core
>>> from gan_core.explore.ablation import collect_features, fit_concept_units, ablate_units
>>> pipe = gan_core.load("faces-dcgan64")                                  # doctest: +SKIP
>>> z = pipe.latents(150, seed=0)                                          # doctest: +SKIP
>>> feats = collect_features(pipe.generator, "main.8", z)                  # doctest: +SKIP
>>> fit = fit_concept_units(feats, masks)        # masks: (150, 64, 64), 1 on the concept   # doctest: +SKIP
>>> with ablate_units(pipe.generator, "main.8", fit.positive_units):       # doctest: +SKIP
...     images = pipe.decode(z)                                            # drawn without it

The fit treats every spatial position of every sample as one example: its C feature
activations (standardised per unit) against the share of that position's image area
the mask covers (a soft label, so a mask at any resolution works). Positions on the
concept and off it are weighted to count equally, since a concept often covers a
small part of the image; the L2 penalty keeps units that merely co-occur from taking
large weights.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

L2 = 1e-3  # the regression's L2 penalty on the standardised weights
MAX_ITER = 200  # L-BFGS iterations: the problem is small and convex


def feature_layers(generator: nn.Module, example: torch.Tensor) -> list[tuple[str, tuple[int, int, int]]]:
    """The generator's layers whose output is a feature map (N, C, h, w) and that can be
    dropped unit by unit: activation modules (ReLU, LeakyReLU, PReLU, ...) inside it, with
    their output shape (C, h, w) for the latent batch `example`. Earliest first."""
    found: dict[str, tuple[int, int, int]] = {}
    hooks = []
    for name, module in generator.named_modules():
        if isinstance(module, (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU)):
            def record(mod, inputs, output, name=name):
                if output.dim() == 4 and name not in found:
                    found[name] = tuple(output.shape[1:])
            hooks.append(module.register_forward_hook(record))
    try:
        with torch.no_grad():
            _run(generator, example[:2])
    finally:
        for h in hooks:
            h.remove()
    order = [name for name, _ in generator.named_modules()]
    return sorted(found.items(), key=lambda item: order.index(item[0]))


def _module(generator: nn.Module, layer: str) -> nn.Module:
    try:
        return generator.get_submodule(layer)
    except AttributeError:
        raise KeyError(f"the generator has no layer {layer!r}") from None


def _run(generator: nn.Module, latents: torch.Tensor) -> torch.Tensor:
    was_training = generator.training
    generator.eval()  # running BatchNorm statistics, as sampling uses
    try:
        first = next(iter(generator.parameters()), None)
        return generator(latents if first is None else latents.to(first.device))
    finally:
        generator.train(was_training)


@torch.no_grad()
def collect_features(generator: nn.Module, layer: str, latents: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """The output of `layer` for each latent: (N, C, h, w) on the CPU."""
    module = _module(generator, layer)
    captured: list[torch.Tensor] = []
    hook = module.register_forward_hook(lambda mod, inputs, output: captured.append(output.detach().float().cpu()))
    try:
        for z in latents.split(batch_size):
            _run(generator, z)
    finally:
        hook.remove()
    if not captured or captured[0].dim() != 4:
        raise ValueError(f"layer {layer!r} does not output a feature map (N, C, h, w)")
    return torch.cat(captured)


def position_labels(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Masks (N, H, W) at any resolution -> the share of each feature position's area
    they cover, (N, h, w) in [0, 1]."""
    masks = masks.float()
    if masks.dim() != 3:
        raise ValueError(f"masks must be (N, H, W), not {tuple(masks.shape)}")
    return F.adaptive_avg_pool2d(masks[:, None], size)[:, 0].clamp(0, 1)


@dataclass
class ConceptFit:
    """A layer's units scored against a concept.

    weights: (C,) the regression's weight per unit (on standardised activations): > 0
        means the unit is more active where the concept is.
    ranking: unit indices, highest weight first.
    accuracy: balanced accuracy of the fit on its own positions (a sanity check: near
        0.5 means the layer does not see the concept at all).
    """

    weights: torch.Tensor
    bias: float
    ranking: list[int]
    accuracy: float
    positives: int  # positions counted on the concept (see fit_concept_units)
    positions: int

    @property
    def positive_units(self) -> list[int]:
        """The paper's choice: every unit with a weight above zero, highest first."""
        return [u for u in self.ranking if self.weights[u] > 0]

    def top(self, k: int) -> list[int]:
        return self.ranking[:max(0, int(k))]


def fit_concept_units(features: torch.Tensor, masks: torch.Tensor, l2: float = L2) -> ConceptFit:
    """An L2-regularised logistic regression from a layer's units to a concept.

    features: (N, C, h, w) from collect_features; masks: (N, H, W), 1 on the concept."""
    if features.dim() != 4:
        raise ValueError(f"features must be (N, C, h, w), not {tuple(features.shape)}")
    if masks.shape[0] != features.shape[0]:
        raise ValueError(f"{masks.shape[0]} masks for {features.shape[0]} samples")
    n, c, h, w = features.shape
    y = position_labels(masks, (h, w)).reshape(-1)
    x = features.permute(0, 2, 3, 1).reshape(-1, c)
    if not 0 < float(y.mean()) < 1:
        raise ValueError("the masks must mark some positions and leave others: label the concept on a few "
                         "samples (and not everywhere)")
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    xs = (x - mean) / std
    # Soft labels, each side weighted to count half, whatever share of the image the
    # concept covers: loss = a * y * -log p + b * (1 - y) * -log(1 - p).
    a, b = 0.5 / y.mean(), 0.5 / (1 - y).mean()
    weight = torch.zeros(c, dtype=torch.float32, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=MAX_ITER, line_search_fn="strong_wolfe")

    def loss_fn():
        opt.zero_grad()
        logits = xs @ weight + bias
        loss = (a * y * F.softplus(-logits) + b * (1 - y) * F.softplus(logits)).mean() + l2 * weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(loss_fn)
    with torch.no_grad():
        pred = (xs @ weight + bias) > 0
        # Positions mostly on the concept are its positives; a concept smaller than
        # one position (a mouth at 4x4) counts any position it touches.
        on = y >= 0.5 if bool((y >= 0.5).any()) else y > 0
        accuracy = 0.5 * (pred[on].float().mean() + (~pred[~on]).float().mean())
    positives = int(on.sum())
    w = weight.detach().float()
    ranking = torch.argsort(w, descending=True).tolist()
    return ConceptFit(w, float(bias.detach()), ranking, float(accuracy), positives, y.numel())


@contextmanager
def ablate_units(generator: nn.Module, layer: str, units: Sequence[int]) -> Iterator[None]:
    """Inside the block, `layer`'s output has `units` set to zero at every position;
    leaving it restores the generator exactly (the weights are never touched)."""
    module = _module(generator, layer)
    units = sorted({int(u) for u in units})

    def zero(mod, inputs, output):
        if not units:
            return output
        if max(units) >= output.shape[1] or min(units) < 0:
            raise IndexError(f"layer {layer!r} has {output.shape[1]} units; cannot drop unit {max(units)}")
        output = output.clone()
        output[:, units] = 0
        return output

    hook = module.register_forward_hook(zero)
    try:
        yield
    finally:
        hook.remove()


def concept_share(masks: torch.Tensor) -> float:
    """The share of pixels a set of masks (N, H, W) marks."""
    return float(masks.float().mean())


def change_outside(before: torch.Tensor, after: torch.Tensor, masks: torch.Tensor) -> float:
    """Mean absolute change (on the [-1, 1] scale, over channels) of the pixels the
    masks do not mark: how much the rest of the image moved."""
    if before.shape != after.shape:
        raise ValueError("before and after must be images of the same shape")
    keep = ~masks.bool()
    if keep.shape[-2:] != before.shape[-2:]:
        keep = F.interpolate(keep[:, None].float(), size=before.shape[-2:], mode="nearest")[:, 0] > 0.5
    diff = (after - before).abs().mean(1)
    return float(diff[keep].mean()) if keep.any() else 0.0


@dataclass
class ForgettingReport:
    """The DCGAN paper's experiment measured: label, fit, drop, count.

    With refit rounds (`measure_forgetting(rounds=...)`), `units`, `share_after` and
    `change_outside` are those after the last round and `rounds` holds each round's
    figures; `control` holds the same number of randomly chosen units dropped instead,
    the baseline that tells whether the fit chose well."""

    layer: str
    units: list[int]  # the units dropped, highest weight first (round by round)
    layer_units: int
    fit_accuracy: float  # of the first fit
    labelled: int  # samples the fit saw (seeds label_seed ...)
    measured: int  # other samples the counts are over (seeds measure_seed ...)
    share_before: float  # of pixels the detector marks
    share_after: float
    change_outside: float  # mean |after - before| off the concept, pixel values from -1 to 1
    rounds: list[dict] = field(default_factory=list)  # per round: units, share_after, reduction, change_outside
    control: dict | None = None  # random units of the same number: draws, reduction, change_outside (means)

    @property
    def reduction(self) -> float:
        """How much of the concept went: 0.7 means 70 % fewer marked pixels."""
        return _reduction(self.share_before, self.share_after)

    def as_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items()}, "reduction": round(self.reduction, 4)}


def _reduction(before: float, after: float) -> float:
    return 1 - after / before if before > 0 else float("nan")


@torch.no_grad()
def measure_forgetting(pipe, layer: str, detect, *, label_seed: int = 0, labelled: int = 150,
                       measure_seed: int = 10_000, measured: int = 500, units: int | None = None,
                       rounds: int = 1, controls: int = 0, control_seed: int = 0,
                       batch_size: int = 100, l2: float = L2) -> ForgettingReport:
    """Label `labelled` samples with `detect` (images in [-1, 1] -> masks), fit `layer`'s
    units, drop the positive ones (or the top `units`), and count the concept on
    `measured` other samples before and after, with the same detector.

    `rounds` > 1 refits: the labelled samples are drawn again with the units dropped so
    far, labelled again, and the units that now predict the concept are dropped too
    (a generator often draws a concept with more units than one fit finds; each round
    is measured). It stops early when a round finds no new unit or no concept left.
    `controls` > 0 also drops that many draws of as many random units, for comparison."""
    if rounds < 1 or controls < 0:
        raise ValueError("rounds must be 1 or more and controls 0 or more")
    if units is not None and rounds > 1:
        raise ValueError("refit rounds drop every unit with a positive weight: give either units or rounds")
    generator = pipe.generator
    latents = pipe.latents(labelled, seed=label_seed)
    measure_z = pipe.latents(measured, seed=measure_seed).split(batch_size)
    before = [pipe.decode(z) for z in measure_z]
    masks_before = [detect(x).bool() for x in before]
    pixels = sum(m.numel() for m in masks_before)
    share_before = sum(float(m.sum()) for m in masks_before) / pixels

    def count(dropped: list[int]) -> tuple[float, float]:
        """(concept share, change off the concept) with `dropped` zeroed."""
        on_after = changed = kept = 0.0
        with ablate_units(generator, layer, dropped):
            for z, x, m in zip(measure_z, before, masks_before):
                after = pipe.decode(z)
                on_after += float(detect(after).bool().sum())
                changed += float((after - x).abs().mean(1)[~m].sum())
                kept += float((~m).sum())
        return on_after / pixels, changed / max(kept, 1.0)

    dropped: list[int] = []
    per_round: list[dict] = []
    accuracy = float("nan")
    share_after, change = share_before, 0.0
    for r in range(rounds):
        with ablate_units(generator, layer, dropped):  # round 1: nothing dropped yet
            masks = torch.cat([detect(pipe.decode(z)) for z in latents.split(batch_size)])
            feats = collect_features(generator, layer, latents)
        if r > 0 and not bool(masks.any()):
            break  # the labelled samples show no more of the concept: nothing left to fit
        fit = fit_concept_units(feats, masks, l2=l2)
        if r == 0:
            accuracy = fit.accuracy
        new = [u for u in (fit.positive_units if units is None else fit.top(units)) if u not in dropped]
        if r > 0 and not new:
            break
        dropped += new
        share_after, change = count(dropped)
        per_round.append({"round": r + 1, "units": len(dropped), "share_after": round(share_after, 5),
                          "reduction": round(_reduction(share_before, share_after), 4),
                          "change_outside": round(change, 5)})
    control = None
    if controls:
        g = torch.Generator().manual_seed(control_seed)
        n_units = int(fit.weights.numel())
        draws = [count(torch.randperm(n_units, generator=g)[:len(dropped)].tolist()) for _ in range(controls)]
        reductions = [_reduction(share_before, a) for a, _ in draws]
        control = {"units": len(dropped), "draws": controls,
                   "reduction": round(sum(reductions) / controls, 4),
                   "reduction_range": [round(min(reductions), 4), round(max(reductions), 4)],
                   "change_outside": round(sum(c for _, c in draws) / controls, 5)}
    return ForgettingReport(layer, dropped, int(fit.weights.numel()), round(accuracy, 4), labelled, measured,
                            round(share_before, 5), round(share_after, 5), round(change, 5),
                            per_round if rounds > 1 else [], control)
