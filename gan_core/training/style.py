"""Training the Siamese GAN that turns photos into paintings, tile by tile (see style_transfer).

Each step draws a batch of 2Sx2S photo crops A and painting crops B, translates A
through the combo (four SxS tiles translated apart and reassembled: `combo=True`) or
whole (`combo=False`, the ablation that shows what the combo is for), then updates
D on LossD1 + LossD2 + LossD3 and G on LossG1 + LossG2 (`adversary="siamese"`, the
article's one Siamese discriminator), or, as TraVeLGAN has it (`adversary="patch"`), a
PatchGAN D on the hinge loss (paintings against translations) and G together with a
Siamese content network S on hinge + content_weight x cosine content term, S also
keeping different photos apart (spread_loss).

>>> from gan_core.training.style import StyleTrainConfig, train_style
>>> cfg = StyleTrainConfig(photos=["../shared/data/style/photos", "../shared/data/sr/BSDS500_train"],
...                        paintings=["../shared/data/style/paintings"], out="runs/photo2painting",
...                        steps=3000)                                                  # doctest: +SKIP
>>> result = train_style(cfg, progress_fn=lambda step, metrics, samples: print(step, metrics))  # doctest: +SKIP

A run folder holds config.json, log.jsonl (the five loss terms, the vectors' norms,
img/s; on sample steps the seam score of a fixed photo translated tile by tile),
samples/step_XXXXXX.png (fixed photos: crop | combo translation, and one whole photo
tile by tile), state.safetensors (for --resume: nets, optimisers, RNG, data RNG) and
export/ (generator.safetensors, discriminator.safetensors, model_card.json).

Callbacks, as gan_core.training.loop's: progress_fn(step, metrics, samples) every `log_every`
steps; abort_fn() -> bool, polled every step: True saves a checkpoint and returns.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from gan_core.core.checkpoints import DISCRIMINATOR_FILE, GENERATOR_FILE
from gan_core.core.hub import STYLE_TRANSFER
from gan_core.core.images import to_uint8
from gan_core.data.sr_pairs import SRPatches, to_tensor
from gan_core.models.siamese import (
    D_WIDTH, G_WIDTH, LENVEC, TILE, PatchDiscriminator, SiameseDiscriminator, TileTranslator,
)
from gan_core.pipelines.style import MARGIN, MAX_SIDE, combo, seam_score, translate_tiled
from gan_core.training.augment import check_policies, diff_augment
from gan_core.training.gan import ema_update, with_spectral_norm, without_spectral_norm
from gan_core.training.losses import (
    content_loss, generator_loss, hinge_loss_d, hinge_loss_g, margin_loss, painting_loss, spread_loss,
)
from gan_core.training.loop import (
    LR_SCHEDULES, AbortFn, ProgressFn, RunFolder, Task, TrainResult, crop_training_record, rounded, scheduled_rate,
    setup_device, train_loop,
)

ARTICLE = ("Siamese GAN for high-resolution style transfer: the generator works on tiles and is trained "
           "through a combo of four reassembled tiles; the discriminator is a Siamese network (after "
           "TraVeLGAN, Amodio and Krishnaswamy, CVPR 2019)")
SAMPLE_CROPS = 6
SEAM_PHOTO = 256  # side of the fixed photo whose tiled translation is scored at each sample step
NAMES = ("loss_d1", "loss_d2", "loss_d3", "loss_g1", "loss_g2", "norm_b", "norm_ab")
# adversary="patch": D's hinge loss, G's hinge loss, the content term, S's spread term, D's mean
# logit on paintings and on translations
PATCH_NAMES = ("loss_d", "loss_g", "loss_content", "loss_spread", "d_b", "d_ab")
ADVERSARIES = ("siamese", "patch")
SIAMESE_FILE = "siamese.safetensors"  # adversary="patch": the content network S


@dataclass
class StyleTrainConfig:
    photos: list[str] = field(default_factory=list)  # domain A: folders, images or archives
    paintings: list[str] = field(default_factory=list)  # domain B
    out: str = "runs/style"
    name: str | None = None
    steps: int = 3000
    tile: int = TILE  # S
    combo: bool = True  # False: G translates the 2Sx2S crop whole (the ablation)
    batch_size: int = 8  # 2Sx2S crops per domain per step (4x as many tiles through G)
    lr: float = 2e-4  # Adam, the generator (DCGAN's)
    lr_d: float | None = None  # Adam, the discriminator; None: the same as lr
    # Gradient-norm clipping of both nets. The cosine term's gradient grows as 1/|D(A1) - D(A2)|:
    # when D's vectors bunch together (early on, they do) one step can throw the weights far
    # out; unclipped CPU runs blew up to ||D(B)|| ~ 100 after 500-800 steps.
    clip_grad: float | None = 1.0
    beta1: float = 0.5
    margin: float = MARGIN
    lenvec: int = LENVEC
    g_width: int = G_WIDTH
    g_blocks: int = 3
    g_residual: bool = True  # G edits the photo (a residual from the identity); False: G draws the picture
    d_width: int = D_WIDTH
    # "siamese": the article's one Siamese D for both "painting?" and content (LossD1-3, LossG1-2).
    # "patch": TraVeLGAN's split, a PatchGAN D on the hinge loss for "painting?" and a Siamese
    # content network S trained with G (not against it) on the content term and spread_loss.
    adversary: str = "siamese"
    content_weight: float = 1.0  # adversary="patch": G's loss is hinge + this x the content term
    # adversary="patch": D's updates per G step, each on new painting crops and the same
    # translations (new augmentation draws). D-only steps ran ~30x as fast as full steps at 64 px tiles.
    d_steps: int = 1
    # Three measures against a D that stops telling paintings from photos (its vectors settle at
    # one length for both, and G passes with a faint tile grid and a colour cast). None of them
    # kept D apart for long on a CPU budget (the README's Style section), so none is a default.
    # Spectral normalisation of D's weights (Miyato et al. 2018): faint patterns move D less.
    spectral_norm: bool = False
    # D also pushes the untranslated photos beyond the margin (LossD2 on A as well as on AB), so
    # that it learns photo against painting from real data, not only from G's translations.
    d_photos: bool = False
    # The run's first steps train D alone, photos against paintings (LossD1 + LossD2 on the
    # photos): G starts against a D that already tells them apart.
    d_warmup: int = 0
    # DiffAugment before D (gan_core.training.augment), so it cannot learn a few hundred paintings by
    # heart: a photo and its translation get the same draws (the content term compares them).
    augment: list[str] | None = None
    # Samples and the export use a moving average of G's weights with this half-life in crops
    # (as `train --ema-images`); 0: G itself. It smooths the colour swings of a small-batch GAN.
    ema_images: float = 0.0
    lr_schedule: str = "step"  # "step": constant; "cosine": to 0 over the steps (gan_core.training.loop)
    # A photo-or-painting judge (`style judge`) whose share of the fixed crops' translations called
    # paintings is logged at each sample step; None: not measured.
    judge: str | None = None
    max_side: int | None = MAX_SIDE
    max_images: int | None = None  # per domain, the first N by name
    seed: int = 0
    sample_every: int = 100
    checkpoint_every: int = 100
    log_every: int = 10
    device: str = "auto"
    resume: bool = False
    hardware_note: str | None = None
    data_note: str | None = None
    command: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "StyleTrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def check(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.batch_size < 2:
            raise ValueError("the content term compares pairs of crops: --batch-size must be at least 2")
        if self.tile < 16 or self.tile % 16:
            raise ValueError(f"the tile must be a multiple of 16 px (2S must reach D's 4x4 grid), not {self.tile}")
        if self.margin <= 0:
            raise ValueError("the margin m must be positive")
        if not self.photos or not self.paintings:
            raise ValueError("give both domains: photos (A) and paintings (B)")
        check_policies(self.augment)
        if not 0 <= self.d_warmup < self.steps:
            raise ValueError(f"the D warm-up must be from 0 to steps - 1, not {self.d_warmup}")
        if self.adversary not in ADVERSARIES:
            raise ValueError(f"the adversary must be one of {', '.join(ADVERSARIES)}, not {self.adversary!r}")
        if self.content_weight < 0:
            raise ValueError("the content weight must be 0 or more")
        if self.d_steps < 1 or (self.d_steps > 1 and self.adversary != "patch"):
            raise ValueError("--d-steps must be at least 1, and above 1 only with the patch adversary")
        if self.adversary == "patch" and self.d_photos:
            raise ValueError("--d-photos belongs to the Siamese adversary (LossD2 on the photos)")
        if self.ema_images < 0:
            raise ValueError("the average's half-life (--ema-images) must be 0 or more")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"the schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}")


def _patches(sources: list[str], config: StyleTrainConfig, progress) -> SRPatches:
    return SRPatches(sources, 2 * config.tile, 1, max_images=config.max_images, rotate=False,
                     max_side=config.max_side, progress=progress)


def train_style(config: StyleTrainConfig, progress_fn: ProgressFn | None = None, abort_fn: AbortFn | None = None,
                data: tuple[SRPatches, SRPatches] | None = None,
                data_progress: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train the tile translator and its Siamese discriminator as `config` says.

    Raises TrainingDiverged on NaN/inf (the last good checkpoint stays), DataError for
    unusable data, FileExistsError when `out` holds a run and `resume` is off."""
    config.check()
    run = RunFolder(config.out, config.resume)
    if run.resuming:
        run.check_same(config, ("tile", "combo", "lenvec", "g_width", "g_blocks", "g_residual", "d_width",
                                "spectral_norm", "d_photos", "d_warmup", "batch_size", "max_side",
                                "adversary", "d_steps", "ema_images"))
    device, _, _ = setup_device(config.device)
    photos, paintings = data if data is not None else (
        _patches(config.photos, config, data_progress), _patches(config.paintings, config, data_progress))
    task = StyleTask(config, photos, paintings, device)
    return train_loop(task, run, asdict(config), total=config.steps, log_every=config.log_every,
                      sample_every=config.sample_every, checkpoint_every=config.checkpoint_every,
                      progress_fn=progress_fn, abort_fn=abort_fn)


def _centre_crops(patches: SRPatches, n: int) -> torch.Tensor:
    picks = np.linspace(0, len(patches.images) - 1, min(n, len(patches.images))).round().astype(int)
    s = patches.hr_size
    crops = []
    for i in picks:
        h, w = patches.images[i].shape[:2]
        crops.append(patches.crop(int(i), (h - s) // 2, (w - s) // 2))
    return to_tensor(np.stack(crops))


def seam_photo(patches: SRPatches, side: int = SEAM_PHOTO) -> Image.Image:
    """A fixed photo of the set (its centre, `side` px, or the whole photo if smaller)
    whose tile-by-tile translation is scored during training."""
    img = max(patches.images, key=lambda a: min(a.shape[:2]))  # the largest: most room for a centre crop
    h, w = img.shape[:2]
    side = min(side, h, w)
    return Image.fromarray(img[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side])


class StyleTask(Task):
    """The Siamese GAN's step (D on LossD1 + LossD2 + LossD3, G on LossG1 + LossG2), sample
    sheets (crops, their translations, a whole photo tile by tile) and the style model card.
    Seam measurements written into the card by `style seams --write-card` stay when
    training goes on."""

    kept_metrics = ("seams",)

    def __init__(self, config: StyleTrainConfig, photos: SRPatches, paintings: SRPatches, device: torch.device):
        self.config, self.photos, self.paintings, self.device = config, photos, paintings, device
        self.out = Path(config.out)
        self.batch_size = config.batch_size
        torch.manual_seed(config.seed)
        self.G = G = TileTranslator(config.g_width, config.g_blocks, config.g_residual).to(device)
        self.patch = config.adversary == "patch"
        self.metric_names = PATCH_NAMES if self.patch else NAMES
        self.D = D = (PatchDiscriminator(config.d_width) if self.patch
                      else SiameseDiscriminator(config.lenvec, config.d_width)).to(device)
        if config.spectral_norm:
            with_spectral_norm(D)
        betas = (config.beta1, 0.999)
        self.opt_g = torch.optim.Adam(G.parameters(), lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d or config.lr, betas=betas)
        self.nets, self.optimizers = {"G": G, "D": D}, {"optG": self.opt_g, "optD": self.opt_d}
        self.G_ema = None
        if config.ema_images > 0:
            self.G_ema = copy.deepcopy(G).requires_grad_(False)
            self.nets["G_ema"] = self.G_ema
        if self.patch:  # S learns with G, at G's rate
            self.S = SiameseDiscriminator(config.lenvec, config.d_width).to(device)
            self.opt_s = torch.optim.Adam(self.S.parameters(), lr=config.lr, betas=betas)
            self.nets["S"], self.optimizers["optS"] = self.S, self.opt_s
        # Each optimiser with its base rate, which the schedule scales every step.
        self.rates = [(self.opt_g, config.lr), (self.opt_d, config.lr_d or config.lr)] + (
            [(self.opt_s, config.lr)] if self.patch else [])
        self.rng = torch.Generator().manual_seed(config.seed + 1)  # every crop drawn
        self.generators = {"crop_rng": self.rng}
        self.data_hash = f"{photos.content_hash}+{paintings.content_hash}"
        self.translate = (lambda a: combo(G, a, config.tile)) if config.combo else G
        self.fixed = _centre_crops(photos, SAMPLE_CROPS)
        self.fixed_photo = seam_photo(photos)
        self.last_val: dict = {}
        self.policies = check_policies(config.augment)
        self.judge = None
        if config.judge:
            import gan_core
            from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION

            self.judge = gan_core.load(config.judge, task=ATTRIBUTE_CLASSIFICATION).classifier

    def augmented(self, *images: torch.Tensor) -> list[torch.Tensor]:
        """`images` through DiffAugment with the same random draws for each (a photo and its
        translation stay comparable), or as they are without augmentation."""
        if not self.policies:
            return list(images)
        state, out = self.rng.get_state(), []
        for x in images:
            self.rng.set_state(state)
            out.append(diff_augment(x, self.policies, self.rng))
        return out

    def step(self, step: int) -> torch.Tensor:
        config, G, D, opt_g, opt_d = self.config, self.G, self.D, self.opt_g, self.opt_d
        for opt, base in self.rates:
            for group in opt.param_groups:
                group["lr"] = scheduled_rate(base, step, config.steps, config.lr_schedule)
        a, b = self._crops(self.photos), self._crops(self.paintings)
        if step < config.d_warmup:
            return self._warmup_step(a, b)
        ab = self.translate(a)
        if self.patch:
            return self._patch_step(step, a, b, ab)
        # (1) Update D: paintings to the origin, translations beyond the margin, directions between photos kept.
        opt_d.zero_grad(set_to_none=True)
        a_seen, ab_seen = self.augmented(a, ab.detach())
        (b_seen,) = self.augmented(b)
        v_a, v_b, v_ab = D(a_seen), D(b_seen), D(ab_seen)
        d1, d2, d3 = painting_loss(v_b), margin_loss(v_ab, config.margin), content_loss(v_a, v_ab)
        if config.d_photos:
            d2 = (d2 + margin_loss(v_a, config.margin)) / 2
        self._update(D, opt_d, d1 + d2 + d3)
        # (2) Update G: its translations among the paintings, and the same directions. D is frozen for this pass.
        opt_g.zero_grad(set_to_none=True)
        D.requires_grad_(False)
        a_seen, ab_seen = self.augmented(a, ab)
        v_ab_g = D(ab_seen)
        with torch.no_grad():
            v_a_now = D(a_seen)
        g1, g2 = generator_loss(v_ab_g), content_loss(v_a_now, v_ab_g)
        self._update(G, opt_g, g1 + g2)
        D.requires_grad_(True)
        self._average(step)
        with torch.no_grad():
            return torch.stack([d1, d2, d3, g1, g2, v_b.norm(dim=1).mean(), v_ab.norm(dim=1).mean()])

    def _patch_step(self, step: int, a: torch.Tensor, b: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        """TraVeLGAN's step: D on the hinge loss; then G and S on one loss, G's hinge +
        content_weight x content term (G and S both lower it) + S's spread term."""
        config, G, D, S = self.config, self.G, self.D, self.S
        # (1) Update D: paintings real, translations not.
        for k in range(config.d_steps):
            loss_d, d_b, d_ab = self._hinge_d_step(b if k == 0 else self._crops(self.paintings), ab.detach())
        # (2) Update G and S: G's translations among the paintings, the directions between photos kept in S's space.
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_s.zero_grad(set_to_none=True)
        D.requires_grad_(False)
        (ab_seen,) = self.augmented(ab)
        loss_g = hinge_loss_g(D(ab_seen))
        v_a = S(a)
        loss_content, loss_spread = content_loss(v_a, S(ab)), spread_loss(v_a, config.margin)
        (loss_g + config.content_weight * loss_content + loss_spread).backward()
        D.requires_grad_(True)
        self._step(G, self.opt_g)
        self._step(S, self.opt_s)
        self._average(step)
        with torch.no_grad():
            return torch.stack([loss_d, loss_g, loss_content, loss_spread, d_b, d_ab])

    def _warmup_step(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """D alone: paintings to the origin, the photos themselves beyond the margin (with
        the patch adversary: paintings real, photos not)."""
        if self.patch:
            loss_d, d_b, d_a = self._hinge_d_step(b, a)
            zero = loss_d.new_zeros(())
            return torch.stack([loss_d, zero, zero, zero, d_b, d_a])
        D, opt_d = self.D, self.opt_d
        opt_d.zero_grad(set_to_none=True)
        (a_seen,) = self.augmented(a)
        (b_seen,) = self.augmented(b)
        v_a, v_b = D(a_seen), D(b_seen)
        d1, d2 = painting_loss(v_b), margin_loss(v_a, self.config.margin)
        self._update(D, opt_d, d1 + d2)
        with torch.no_grad():
            zero = d1.new_zeros(())  # on D's device, like the losses it is stacked with
            return torch.stack([d1, d2, zero, zero, zero, v_b.norm(dim=1).mean(), v_a.norm(dim=1).mean()])

    def _hinge_d_step(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """One update of the patch D on the hinge loss, `real` paintings against `fake` (the
        translations, or the photos in the warm-up): (its loss, mean logit on each), detached."""
        self.opt_d.zero_grad(set_to_none=True)
        (real_seen,) = self.augmented(real)
        (fake_seen,) = self.augmented(fake)
        d_real, d_fake = self.D(real_seen), self.D(fake_seen)
        loss = hinge_loss_d(d_real, True) + hinge_loss_d(d_fake, False)
        self._update(self.D, self.opt_d, loss)
        return loss.detach(), d_real.detach().mean(), d_fake.detach().mean()

    def _crops(self, patches: SRPatches) -> torch.Tensor:
        """A batch of random 2Sx2S crops of one domain, on the device."""
        return to_tensor(np.stack(patches.random_crops(self.config.batch_size, self.rng))).to(self.device)

    def _average(self, step: int) -> None:
        """G_ema follows G, its ramp-up counted from G's first step (after D's warm-up)."""
        if self.G_ema is not None:
            ema_update(self.G_ema, self.G, step - self.config.d_warmup, self.batch_size, self.config.ema_images)

    @property
    def G_out(self) -> torch.nn.Module:
        """The generator samples and the export use: the average when there is one."""
        return self.G_ema if self.G_ema is not None else self.G

    def _update(self, net: torch.nn.Module, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        """One optimiser step of `net` on `loss`, its gradient norm clipped when the config says."""
        loss.backward()
        self._step(net, opt)

    def _step(self, net: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
        """`opt`'s step on the gradient `net` holds, its norm clipped when the config says."""
        if self.config.clip_grad:
            torch.nn.utils.clip_grad_norm_(net.parameters(), self.config.clip_grad)
        opt.step()

    @property
    def exports(self) -> dict:
        """export/'s files: G, and D as a plain network (spectral normalisation folded into its weights)."""
        c = self.config
        build = (lambda: PatchDiscriminator(c.d_width)) if self.patch else (
            lambda: SiameseDiscriminator(c.lenvec, c.d_width))
        D = without_spectral_norm(self.D, build) if c.spectral_norm else self.D
        return {GENERATOR_FILE: self.G_out, DISCRIMINATOR_FILE: D, **({SIAMESE_FILE: self.S} if self.patch else {})}

    def state_info(self) -> dict:
        return {"data_hash": self.data_hash}

    def resume(self, info: dict, tensors: dict[str, torch.Tensor]) -> None:
        if info["data_hash"] != self.data_hash:
            raise ValueError(f"the data differs from the data {self.out} was trained on "
                             f"(content hash {self.data_hash} vs {info['data_hash']})")

    @torch.no_grad()
    def samples(self) -> tuple[Image.Image, dict]:
        G = self.G_out
        G.eval()
        a = self.fixed.to(self.device)
        ab = combo(G, a, self.config.tile) if self.config.combo else G(a)
        tiled = translate_tiled(G, self.fixed_photo, self.config.tile, device=self.device)
        G.train()
        seams = seam_score(tiled, self.config.tile)
        painted = {}
        if self.judge is not None:
            from gan_core.evaluation.painting_score import painting_share

            painted = {"painting_share": round(painting_share(self.judge, list(to_uint8(ab))), 4)}
        top = np.concatenate(list(to_uint8(a)), 1)
        bottom = np.concatenate(list(to_uint8(ab)), 1)
        s = a.shape[-1]
        sheet = Image.new("RGB", (top.shape[1] + 2 * self.fixed_photo.width + 8,
                                  max(2 * s + 2, self.fixed_photo.height)), "white")
        sheet.paste(Image.fromarray(top), (0, 0))
        sheet.paste(Image.fromarray(bottom), (0, s + 2))
        sheet.paste(self.fixed_photo, (top.shape[1] + 4, 0))
        sheet.paste(tiled, (top.shape[1] + self.fixed_photo.width + 8, 0))
        self.last_val = {"seam_score": round(seams, 4), **painted}
        return sheet, self.last_val

    def _losses(self) -> dict:
        c = self.config
        pairs = "each crop paired with the next"
        if self.patch:
            return {"D": "hinge: mean max(0, 1 - D(B)) + mean max(0, 1 + D(AB)), over every patch's logit",
                    "G": f"-mean D(AB) + {c.content_weight} x content",
                    "S": "content + spread (S learns with G)",
                    "content": f"mean 1 - cos(S(A1) - S(A2), S(AB1) - S(AB2)), {pairs}",
                    "spread": f"mean max(0, {c.margin} - ||S(A1) - S(A2)||), {pairs}"}
        return {"D": "LossD1 + LossD2 + LossD3", "G": "LossG1 + LossG2",
                "LossD1": "mean ||D(B)||^2", "LossD2": f"mean max(0, {c.margin} - ||D(AB)||)^2" + (
                    f", averaged with the same of the photos, mean max(0, {c.margin} - ||D(A)||)^2"
                    if c.d_photos else ""),
                "LossD3 = LossG2": f"mean 1 - cos(D(A1) - D(A2), D(AB1) - D(AB2)), {pairs}",
                "LossG1": "mean ||D(AB)||^2"}

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        c = self.config
        s = c.tile

        def domain(p: SRPatches, what: str) -> dict:
            return {"sources": p.sources, "images": len(p.images), "skipped": p.skipped,
                    "content_hash": p.content_hash,
                    "description": f"{len(p.images)} {what} from {', '.join(p.sources)}; random {2 * s} px crops, "
                                   "mirrored at random"
                                   + (f"; pictures over {c.max_side} px a side shrunk to it" if c.max_side else "")}

        return {
            "name": c.name or self.out.name,
            "task": STYLE_TRANSFER,
            "model": "siamese-tile-translator",
            "description": (f"Photos to paintings, translated {s}x{s} tile by tile; trained "
                            + ("through the combo (four tiles translated apart, reassembled, judged together)"
                               if c.combo else "WITHOUT the combo (2Sx2S crops translated whole): the ablation")),
            "paper": ARTICLE,
            "config": {"tile": s, "combo": c.combo, "batch_size": c.batch_size, "lr": c.lr, "lr_d": c.lr_d or c.lr, "clip_grad": c.clip_grad,
                       "betas": [c.beta1, 0.999], "margin": c.margin, "lenvec": c.lenvec, "g_width": c.g_width,
                       "g_blocks": c.g_blocks, "g_residual": c.g_residual, "d_width": c.d_width,
                       "spectral_norm": c.spectral_norm, "d_photos": c.d_photos,
                       "d_warmup": c.d_warmup, "adversary": c.adversary,
                       **({"content_weight": c.content_weight, "d_steps": c.d_steps} if self.patch else {}),
                       "max_side": c.max_side, "augment": list(c.augment or []), "lr_schedule": c.lr_schedule,
                       "ema_images": c.ema_images},
            "loss": self._losses(),
            "data": {"A (photos)": domain(self.photos, "photos"), "B (paintings)": domain(self.paintings, "paintings"),
                     "note": c.data_note},
            "value_range": "RGB in [-1, 1] in and out",
            "training": crop_training_record(c, step, wall, self.device),
            "metrics": {"training": rounded(metrics, 5),
                        "validation": {**self.last_val, "note": f"seam score of one {SEAM_PHOTO} px training photo "
                                       "translated tile by tile: a progress check; see metrics.seams"}},
            "files": {"generator": GENERATOR_FILE, "discriminator": DISCRIMINATOR_FILE,
                      **({"siamese": SIAMESE_FILE} if self.patch else {})},
        }


__all__ = ["StyleTrainConfig", "train_style", "StyleTask", "seam_photo"]
