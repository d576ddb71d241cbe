"""`python -m gan_core train-encoder`: an encoder from faces to a generator's latents (Explore's Your photo)."""
from __future__ import annotations

import argparse

from gan_core.cli.common import (add_time_limit, command_line, data_progress_bar, dry_run_folder, finish_run,
                                 resumed_config, time_limit)

EPILOG = """\
example:
  python -m gan_core train-encoder faces-dcgan64 --data ../shared/data/faces/celeba/img_align_celeba \\
      --data ../shared/data/faces/utkface --steps 3000 --out runs/faces-dcgan64-encoder \\
      --name faces-dcgan64-encoder
  cp -r runs/faces-dcgan64-encoder/export checkpoints/faces-dcgan64-encoder

  # continue an interrupted run exactly where it stopped (optionally with a new --steps)
  python -m gan_core train-encoder --out runs/faces-dcgan64-encoder --resume

The encoder learns from the generator's own samples (whose latents are known) and from
the real faces through the generator (pixels and the face network's feature maps). The
last 64 faces by file name are held out to validate it. Explore's Your photo starts its
projection from the encoder that fits the generator's weights, then refines it.
"""


def register(commands) -> None:
    e = commands.add_parser("train-encoder", help="train an encoder from faces to a generator's latent space",
                            description="Train a latent encoder for a fixed generator (the first guess of a "
                                        "projection), on the generator's samples and real faces.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("generator", nargs="?", help="the GAN checkpoint (shipped name or folder); taken from the run "
                                                "on --resume")
    e.add_argument("--data", action="append", metavar="PATH", help="real faces (folders, archives); repeat to join")
    e.add_argument("--steps", type=int, help="optimisation steps (3000)")
    e.add_argument("--batch-size", type=int, default=32, help="generated samples a step, and as many faces (32)")
    e.add_argument("--lr", type=float, default=1e-4, help="Adam's learning rate (1e-4)")
    e.add_argument("--width", type=int, default=64, help="the encoder's first width, doubled at each step down (64)")
    e.add_argument("--feature-weight", type=float, default=1.0,
                   help="weight of the face network's feature maps in the real faces' loss (1)")
    e.add_argument("--face-network", default="face-attributes",
                   help="the attribute classifier whose feature maps compare faces, or none (face-attributes)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--out", help="run folder (required unless --dry-run)")
    e.add_argument("--name", help="the exported encoder's name (default: the run folder's)")
    e.add_argument("--sample-every", type=int, default=250, metavar="N")
    e.add_argument("--checkpoint-every", type=int, default=250, metavar="N")
    e.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    e.add_argument("--dry-run", action="store_true", help="2 steps in a temporary folder, keep nothing")
    e.add_argument("--device", default="cpu")
    add_time_limit(e)
    e.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    from tqdm import tqdm

    from gan_core.training.encoder import EncoderConfig, train_encoder

    cfg = resumed_config(args, EncoderConfig)
    if cfg is not None:
        if args.steps is not None:
            cfg.steps = args.steps
    else:
        if not args.generator:
            raise ValueError("name the generator to encode for (say, faces-dcgan64)")
        cfg = EncoderConfig(generator=args.generator, data=args.data or [], out=args.out, name=args.name,
                            steps=3000 if args.steps is None else args.steps, batch_size=args.batch_size,
                            lr=args.lr, width=args.width, feature_weight=args.feature_weight,
                            face_network=None if args.face_network == "none" else args.face_network,
                            seed=args.seed, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
                            device=args.device, resume=args.resume, command=command_line(argv))
    tmp = None
    if args.dry_run:
        tmp = dry_run_folder(cfg)
        cfg.batch_size = min(cfg.batch_size, 4)
    bar = tqdm(desc="training the encoder", unit="step", total=cfg.steps, dynamic_ncols=True)

    def progress(step, metrics, picture):
        bar.update(step - bar.n)
        if metrics:
            bar.set_postfix({k: f"{v:.4f}" for k, v in metrics.items() if k.startswith(("loss", "val_"))})

    result = train_encoder(cfg, progress_fn=progress, abort_fn=time_limit(args.time_limit),
                           data_progress=data_progress_bar("reading faces"))
    bar.close()
    finish_run(result, tmp, "the encoder")
    return 0
