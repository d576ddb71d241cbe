"""Named starting points for a GAN run, besides each model's paper defaults.

CLASSROOM is the Train tab's default: a run on the built-in shapes that a class can
watch draw recognisable shapes within about three minutes on a 2-core CPU (measured
by `bench/classroom_run.py`, judged by gan_core.evaluation.shape_score). What it
changes from the DCGAN paper, and why:

  * width 1/2 of the paper's maps: a quarter of the multiply-adds, so about four
    times the steps in the same minutes; narrower nets (1/4) learn slower per step
    than they gain in speed;
  * batch 32 (paper 128): more, cheaper updates in the same time;
  * Adam at lr 5e-4 with beta2 0.99 (paper 2e-4, 0.999): the paper's rate leaves the
    samples grey for the first thousand steps;
  * a moving average of the generator's weights (half-life ema_images): its samples
    are smoother and steadier between grids than the last step's generator;
  * 20,000 shapes instead of 2,000: the run sees each image a few times, not dozens,
    so the discriminator cannot learn the set by heart.

>>> CLASSROOM.model, CLASSROOM.width, CLASSROOM.data
('dcgan32', 0.5, ['shapes:20000'])
"""
from __future__ import annotations

from gan_core.training.gan import TrainConfig

CLASSROOM_IMAGES = 20_000
CLASSROOM_STEPS = 5_000
CLASSROOM = TrainConfig(
    model="dcgan32", width=0.5, data=[f"shapes:{CLASSROOM_IMAGES}"], steps=CLASSROOM_STEPS, batch_size=32,
    lr_g=5e-4, lr_d=5e-4, beta1=0.5, beta2=0.99, ema_images=5_000, out="runs/classroom", name="classroom-shapes",
)

# Training recipes a run can name (`python -m gan_core train --recipe NAME`): the options
# they set, on top of the model's paper hyperparameters; options given on the command
# line win. "paper" is the 2016 recipe as published; "modern" what the ablation in
# bench/recipe_ablation.py found to pay on a CPU budget.
RECIPES = {
    "paper": {"ema_images": 0.0, "augment": None, "loss": "bce", "spectral_norm": False, "r1": 0.0,
              "rotation": 0.0},
    "modern": {"ema_images": 10_000.0, "augment": ["color", "translation", "cutout"], "loss": "bce",
               "spectral_norm": False, "r1": 0.0, "rotation": 0.0},
}


def describe_recipe(name: str) -> str:
    """What a recipe sets, in words, for --help and cards."""
    r = RECIPES[name]
    parts = [f"a generator average with a half-life of {r['ema_images']:,.0f} images" if r["ema_images"] else
             "the last generator", f"DiffAugment {'+'.join(r['augment'])}" if r["augment"] else "no augmentation",
             f"{r['loss']} loss"]
    if r["spectral_norm"]:
        parts.append("spectral norm in D")
    if r["r1"]:
        parts.append(f"R1 {r['r1']:g}")
    if r["rotation"]:
        parts.append(f"rotation loss {r['rotation']:g}")
    return ", ".join(parts)


__all__ = ["CLASSROOM", "CLASSROOM_IMAGES", "CLASSROOM_STEPS", "RECIPES", "describe_recipe"]
