"""`python -m gan_core train`: train a GAN, write a run folder that can be resumed and sampled."""
from __future__ import annotations

import argparse

from gan_core.cli.common import (add_time_limit, command_line, data_progress_bar, dry_run_folder, finish_run,
                                 resumed_config, time_limit)

EPILOG = """\
examples:
  # the Keras-book GAN on CIFAR-10 frogs
  python -m gan_core train --model keras-gan32 --data ../shared/data/cifar10/cifar10.tar.gz \\
      --split train --classes frog --steps 10000 --out runs/frogs

  # DCGAN-64 on two face sets, framed alike, 20 epochs
  python -m gan_core train --model dcgan64 --data ../shared/data/faces/celeba/img_align_celeba \\
      --data ../shared/data/faces/utkface --epochs 20 --out runs/faces --name faces-dcgan64

  # continue it after an interruption, exactly where it stopped
  python -m gan_core train --out runs/faces --resume

  # check a configuration end to end in seconds (2 steps, nothing kept)
  python -m gan_core train --model dcgan32 --data my_images.zip --dry-run

  # no data at hand, no GPU: the built-in shapes and a quarter-width net, minutes on a CPU
  python -m gan_core train --model keras-gan32 --width 0.25 --data shapes --steps 2000 --out runs/shapes

  # several GPUs (DistributedDataParallel; --batch-size is the global batch)
  torchrun --nproc_per_node 8 -m gan_core train --model dcgan64 --data faces.zip --epochs 20 --out runs/faces

A run folder holds config.json, log.jsonl (metrics), samples/step_*.png (the fixed
noise batch), state.safetensors (for --resume) and export/ (for `sample` and the app).
Hyperparameters left out take the paper's defaults: `python -m gan_core info MODEL`.
"""


def register(commands) -> None:
    """Add `train` to the subparsers of `python -m gan_core`."""
    from gan_core.models import model_names
    from gan_core.training.augment import POLICIES
    from gan_core.training.gan import LOSSES
    from gan_core.training.recipes import RECIPES, describe_recipe

    t = commands.add_parser("train", help="train a GAN on a folder or archive of images",
                            description="Train a GAN. Writes a run folder that can be resumed and sampled.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = t.add_argument_group("what to train")
    g.add_argument("--model", choices=model_names(), help="architecture (default dcgan64; taken from the run on --resume)")
    g.add_argument("--width", type=float, metavar="W",
                   help="fraction of the paper's channel widths, in every layer of both nets (default 1: the "
                        "paper's network; 0 < W <= 4). Multiply-adds fall with its square: 0.25 takes keras-gan32 "
                        "from 3.9 G to 0.25 G per image and trains it 5-10x faster on a CPU, at some cost in "
                        "detail. Recorded in the model card, which loads the net at that width; a resumed run "
                        "keeps its own")
    g.add_argument("--data", action="append", metavar="PATH",
                   help="image folder (recursive), .zip, .tar or .tar.gz; repeat to join several sources. "
                        "CelebA attribute files and UTKFace names are read as labels. "
                        "shapes, shapes:N or shapes:N:SEED is a built-in set drawn on the fly (discs, squares, "
                        "triangles, rings, crosses; 2000 images, seed 0 by default): no download needed. "
                        "A folder of that name, if there is one, is read instead")
    g.add_argument("--classes", nargs="+", metavar="NAME", help="keep images whose parent folder has one of these names (CIFAR-10: frog)")
    g.add_argument("--split", metavar="NAME", help="keep images under a folder of this name (CIFAR-10: train or test)")
    g.add_argument("--framing", choices=["auto", "face", "center"], default="auto",
                   help="auto: the shared face box for CelebA/UTKFace, centre square otherwise (default)")
    g.add_argument("--max-images", type=int, metavar="N", help="use only the first N images")
    g.add_argument("--flip", action="store_true", help="mirror half of each batch left-right")
    g = t.add_argument_group("how long")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--steps", type=int, help="number of optimisation steps (one D and one G update each)")
    x.add_argument("--epochs", type=float, help="number of passes over the data (default 1)")
    g = t.add_argument_group("hyperparameters (default: the model's paper values)")
    g.add_argument("--batch-size", type=int)
    g.add_argument("--lr-g", type=float, help="generator learning rate")
    g.add_argument("--lr-d", type=float, help="discriminator learning rate")
    g.add_argument("--beta1", type=float, help="Adam beta1 (DCGAN: 0.5)")
    g.add_argument("--beta2", type=float, help="Adam beta2 (the papers: 0.999)")
    g.add_argument("--recipe", choices=sorted(RECIPES),
                   help="fill the training-recipe options below that are not given: "
                        + "; ".join(f"{name}: {describe_recipe(name)}" for name in RECIPES)
                        + " (default: the options as given, each defaulting to the paper)")
    g.add_argument("--ema-images", type=float, metavar="N",
                   help="sample and export a moving average of the generator's weights with a half-life of N "
                        "training images (StyleGAN2-ADA: 10000); 0, the default, is the papers' plain generator")
    g.add_argument("--augment", nargs="+", choices=POLICIES, metavar="POLICY",
                   help="DiffAugment before the discriminator: color, translation and/or cutout (default: none, "
                        "the papers' recipe)")
    g.add_argument("--loss", choices=LOSSES,
                   help="bce: the papers' cross-entropy with G's non-saturating loss (default); hinge: SAGAN's")
    g.add_argument("--spectral-norm", action="store_true", default=None,
                   help="spectral normalisation of D's weights (Miyato et al. 2018)")
    g.add_argument("--r1", type=float, metavar="GAMMA",
                   help="R1 penalty on D's gradient at real images, weight GAMMA, every 16 steps (default 0: none)")
    g.add_argument("--rotation", type=float, metavar="W",
                   help="self-supervised rotation (SS-GAN): D also learns which quarter turn a real image got, "
                        "at weight W (the paper: 1), and G is asked for images whose turn D can tell at 0.2 W; "
                        "better discriminator features for the linear probe (default 0: none; one process only)")
    g.add_argument("--label-noise", type=float, help="uniform noise on the 0/1 labels (Keras book: 0.05)")
    g.add_argument("--clip-grad", type=float, help="clip each gradient value to +-this (Keras clipvalue)")
    g.add_argument("--seed", type=int, default=0, help="seed for weights, data order and noise (default 0)")
    g = t.add_argument_group("output")
    g.add_argument("--out", help="run folder (required unless --dry-run)")
    g.add_argument("--name", help="name written in the model card (default: the run folder's name)")
    g.add_argument("--sample-every", type=int, default=500, metavar="N", help="render the fixed noise batch every N steps (500)")
    g.add_argument("--checkpoint-every", type=int, default=1000, metavar="N", help="save a resumable checkpoint every N steps (1000)")
    g.add_argument("--log-every", type=int, default=50, metavar="N", help="append metrics to log.jsonl every N steps (50)")
    g.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    g.add_argument("--init-from", metavar="CHECKPOINT",
                   help="start from an exported checkpoint's weights (fresh optimisers): fine-tuning, or going on "
                        "from a shipped model whose training state is gone")
    g.add_argument("--dry-run", action="store_true", help="run 2 steps in a temporary folder to check the set-up, keep nothing")
    add_time_limit(g)
    g = t.add_argument_group("device")
    g.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    g.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    g.add_argument("--compile", action="store_true", help="torch.compile both nets (CUDA; slower start, faster steps)")
    g.add_argument("--cache-dir", help="where preprocessed images are cached (default ~/.cache/gan_core or $GAN_CORE_CACHE)")
    t.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    from tqdm import tqdm

    from gan_core.training.gan import TrainConfig, train

    cfg = resumed_config(args, TrainConfig)
    if cfg is not None:
        # A resumed run may be given a new length; everything else is the run's own.
        if args.steps is not None:
            cfg.steps, cfg.epochs = args.steps, None
        elif args.epochs is not None:
            cfg.epochs, cfg.steps = args.epochs, None
        if args.device != "auto":
            cfg.device = args.device
        if args.width is not None:  # not silently dropped: train() refuses a width the run was not trained at
            cfg.width = args.width
    else:
        cfg = new_config(args, argv)
    tmp = None
    if args.dry_run:
        tmp = dry_run_folder(cfg)
        cfg.epochs = None
        cfg.batch_size = min(cfg.hyperparameters()["batch_size"], 8)
        cfg.max_images = cfg.max_images or 64

    bar = tqdm(desc="training", unit="step", dynamic_ncols=True)

    def progress(step, metrics, samples):
        if metrics.get("total_steps") and bar.total != metrics["total_steps"]:
            bar.total = metrics["total_steps"]
            bar.refresh()
        bar.update(step - bar.n)
        if metrics:
            bar.set_postfix({k: f"{metrics[k]:.3f}" for k in ("loss_d", "loss_g", "d_x", "d_g_z1")} |
                            {"img/s": f"{metrics.get('img_per_s', 0):.0f}"})

    result = train(cfg, progress_fn=progress, abort_fn=time_limit(args.time_limit),
                   data_progress=data_progress_bar("preparing images"))
    bar.close()
    finish_run(result, tmp, cfg.model)
    return 0


def new_config(args, argv: list[str]):
    """The TrainConfig of a new run from the parsed `args` (`argv` is recorded in its card)."""
    from gan_core.training.gan import TrainConfig
    from gan_core.training.recipes import RECIPES

    if not args.data:
        raise ValueError("--data is required (a folder, .zip or .tar of images, or `shapes` for the "
                         "built-in set)")
    return TrainConfig(
        model=args.model or "dcgan64", width=1.0 if args.width is None else args.width,
        data=args.data, out=args.out or "", name=args.name, steps=args.steps,
        epochs=args.epochs, batch_size=args.batch_size, lr_g=args.lr_g, lr_d=args.lr_d, beta1=args.beta1, beta2=args.beta2,
        **recipe_options(args, RECIPES.get(args.recipe, {})), recipe=args.recipe,
        label_noise=args.label_noise, clip_grad=args.clip_grad, classes=args.classes, split=args.split,
        framing=args.framing, max_images=args.max_images, flip=args.flip, cache_dir=args.cache_dir,
        seed=args.seed, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        log_every=args.log_every, device=args.device, amp=False if args.no_amp else None,
        compile=args.compile, resume=args.resume, init_from=args.init_from,
        command=command_line(argv),
    )


def recipe_options(args, recipe: dict) -> dict:
    """The recipe options of a new run: each as given on the command line, else the
    recipe's, else the paper recipe's."""
    from gan_core.training.recipes import RECIPES

    return {key: getattr(args, key) if getattr(args, key) is not None else recipe.get(key, default)
            for key, default in RECIPES["paper"].items()}
