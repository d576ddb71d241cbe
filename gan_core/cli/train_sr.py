"""`python -m gan_core train-sr`: train x4 super-resolution (SRResNet / SRGAN, Ledig et al. 2017; LiteSR)."""
from __future__ import annotations

import argparse
import json

from gan_core.cli.common import (add_time_limit, command_line, data_progress_bar, dry_run_folder, finish_run,
                                 resumed_config, time_limit)

EPILOG = """\
examples:
  # LiteSR, the CPU-sized network, with today's recipe: L1, 128 px crops, a cosine schedule
  python -m gan_core train-sr --arch litesr --pixel-loss l1 --lr 5e-4 --lr-schedule cosine --hr-size 128 \
      --data ../shared/data/sr/BSDS500_train --steps 6000 --out runs/photo-litesr-x4 --name photo-litesr-x4

  # 1. SRResNet on pixel MSE (PSNR-oriented), random 96 px crops of the BSDS500 photos
  python -m gan_core train-sr --phase mse --data ../shared/data/sr/BSDS500_train \\
      --steps 100000 --out runs/photo-srresnet-x4 --name photo-srresnet-x4

  # 2. SRGAN, the generator started from step 1, content loss + 1e-3 x adversarial loss
  python -m gan_core train-sr --phase gan --data ../shared/data/sr/BSDS500_train \\
      --init-from runs/photo-srresnet-x4 --steps 100000 --lr-drop-at 50000 \\
      --vgg-weights vgg19-dcbb9e9d.pth --out runs/photo-srgan-x4 --name photo-srgan-x4

  # faces: the same on aligned CelebA faces
  python -m gan_core train-sr --phase mse --data ../shared/data/faces/celeba/img_align_celeba \\
      --out runs/faces-srresnet-x4

  # continue after an interruption, exactly where it stopped (optionally with a new --steps)
  python -m gan_core train-sr --out runs/photo-srresnet-x4 --resume

  # check a set-up end to end in a minute (2 steps on 8 photos, nothing kept)
  python -m gan_core train-sr --phase gan --data ../shared/data/sr/BSDS500_train --dry-run

Content loss of the gan phase (--content-loss auto): the paper's VGG54 (VGG19 relu5_4
features, maps divided by 12.75) when ImageNet VGG19 weights load, from --vgg-weights
(a state dict read with safetensors or torch.load(weights_only=True)) or torchvision's
download; otherwise the discriminator's own features. The model card records which.

LR inputs are made as the benchmarks make them: PIL bicubic (antialiased) shrinking of
each HR crop. A run folder holds config.json, log.jsonl, samples/step_*.png (fixed
validation crops, LR | bicubic | SR | HR), state.safetensors (for --resume) and export/
(generator weights, + discriminator for gan, and model_card.json). Measure the result
with `python -m gan_core evaluate-sr RUN_FOLDER --write-card`.
"""


def register(commands) -> None:
    """Add `train-sr` to the subparsers of `python -m gan_core`."""
    t = commands.add_parser("train-sr", help="train x4 super-resolution (LiteSR, SRResNet, SRGAN) on photos",
                            description="Train an SR network on a pixel loss (--phase mse), then SRGAN's recipe from "
                                        "it (--phase gan), "
                                        "as Ledig et al. 2017. Writes a run folder that can be resumed and loaded "
                                        "by the app's Upscale tab and gan_core.load().",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = t.add_argument_group("what to train")
    g.add_argument("--phase", choices=["mse", "gan"],
                   help="mse: the network on a pixel loss; gan: SRGAN's (content + 1e-3 x adversarial loss), usually "
                        "with --init-from an mse run (default mse; taken from the run on --resume)")
    g.add_argument("--data", action="append", metavar="PATH",
                   help="HR photos: a folder (recursive), an image, or a .zip/.tar of them; repeat to join "
                        "several. Decoded once and held in memory as uint8; photos under --hr-size px a side "
                        "are skipped and counted")
    g.add_argument("--arch", choices=["srresnet", "litesr"],
                   help="the network: srresnet (the paper's, 16 blocks with batch norm) or litesr (EDSR-style "
                        "blocks without batch norm, all at the low resolution: 3-4x faster on a CPU) "
                        "(default srresnet; taken from the run on --resume)")
    g.add_argument("--blocks", type=int, help="residual blocks (default: the network's own: 16 / 8)")
    g.add_argument("--channels", type=int, help="feature maps (default: the network's own: 64)")
    g.add_argument("--max-images", type=int, metavar="N", help="use only the first N photos (by name)")
    g.add_argument("--no-augment", action="store_true", help="no random flips and 90-degree rotations of the crops")
    g.add_argument("--init-from", metavar="CHECKPOINT",
                   help="start the generator from an SR checkpoint or run folder (the paper starts SRGAN from "
                        "the trained SRResNet); its discriminator too when it has one")
    g.add_argument("--content-loss", choices=["auto", "vgg", "discriminator", "pixel"], default="auto",
                   help="gan phase: vgg = the paper's VGG54; discriminator = MSE of the discriminator's features; "
                        "pixel = MSE of pixels; auto (default) = vgg when its weights load, else discriminator")
    g.add_argument("--vgg-weights", metavar="PATH",
                   help="a local VGG19 ImageNet state dict (torchvision's vgg19-dcbb9e9d.pth, or .safetensors), "
                        "read without unpickling code; default: torchvision's download when online")
    g.add_argument("--adversarial-weight", type=float, default=1e-3, metavar="W",
                   help="weight of -log D(G(LR)) against the content loss (the paper's 1e-3)")
    g.add_argument("--pixel-weight", type=float, default=0.0, metavar="W",
                   help="gan phase: add W x the pixel loss to a VGG or discriminator content loss; the "
                        "discriminator's batch-normed features hide colour shifts, which this anchors (0)")
    g.add_argument("--d-channels", type=int, default=64, metavar="N",
                   help="gan phase: the discriminator's first width, doubled three times (the paper's 64; 32 "
                        "costs a quarter of the multiply-adds)")
    g = t.add_argument_group("how long and how")
    g.add_argument("--steps", type=int, help="optimisation steps (default 2000; a resumed run may be given a new "
                                             "total)")
    g.add_argument("--batch-size", type=int, default=16, help="crops per step (the paper's 16)")
    g.add_argument("--hr-size", type=int, default=96, metavar="PX",
                   help="HR crop side in pixels, a multiple of 4 (16 for gan); LR crops are a quarter of it (96)")
    g.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate of both nets (the paper's 1e-4)")
    g.add_argument("--beta1", type=float, default=0.9, help="Adam beta1 (0.9)")
    g.add_argument("--pixel-loss", choices=["mse", "l1"], default="mse",
                   help="every pixel term's distance (the mse phase's loss, the gan phase's pixel content and "
                        "--pixel-weight): mse (the paper's) or l1 (EDSR's; sharper, faster to converge)")
    g.add_argument("--lr-schedule", choices=["step", "cosine"], default="step",
                   help="step: the rate as given, cut by 10 at --lr-drop-at; cosine: from --lr down to 0 over "
                        "the steps (default step)")
    g.add_argument("--lr-drop-at", type=int, metavar="STEP",
                   help="divide the learning rates by 10 from this step on (the paper's SRGAN: half-way)")
    g.add_argument("--seed", type=int, default=0, help="seed of the weights and of every crop (0)")
    g = t.add_argument_group("output")
    g.add_argument("--out", help="run folder (required unless --dry-run)")
    g.add_argument("--name", help="name written in the model card (default: the run folder's name)")
    g.add_argument("--sample-every", type=int, default=100, metavar="N",
                   help="write the validation rows and their PSNR every N steps (100)")
    g.add_argument("--checkpoint-every", type=int, default=100, metavar="N",
                   help="save a resumable checkpoint and the export every N steps (100)")
    g.add_argument("--log-every", type=int, default=10, metavar="N", help="append losses to log.jsonl every N steps (10)")
    g.add_argument("--hardware-note", metavar="TEXT",
                   help="written after the hardware in the card, e.g. \"shared with other training\"")
    g.add_argument("--data-note", metavar="TEXT", help="licence and citation of the data, for the card")
    g.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    add_time_limit(g)
    g.add_argument("--dry-run", action="store_true",
                   help="2 steps on 8 photos with batch 4 in a temporary folder: checks the set-up, keeps nothing")
    g = t.add_argument_group("device")
    g.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    t.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    from tqdm import tqdm

    from gan_core.training.sr import SRTrainConfig, checkpoint_architecture, train_sr

    cfg = resumed_config(args, SRTrainConfig)
    if cfg is not None:
        if args.steps is not None:  # a resumed run may be given a new length; the rest is the run's own
            cfg.steps = args.steps
        if args.device != "auto":
            cfg.device = args.device
    else:
        if not args.data:
            raise ValueError("--data is required: a folder, image or .zip/.tar of HR photos")
        # A run --init-from a checkpoint builds that checkpoint's network unless told otherwise.
        network = checkpoint_architecture(args.init_from) if args.init_from and not args.arch else {}
        cfg = SRTrainConfig(
            phase=args.phase or "mse", arch=args.arch or network.get("arch", "srresnet"),
            blocks=args.blocks or network.get("blocks"), channels=args.channels or network.get("channels"),
            pixel_loss=args.pixel_loss, lr_schedule=args.lr_schedule, data=args.data, out=args.out or "", name=args.name,
            steps=2000 if args.steps is None else args.steps, hr_size=args.hr_size, batch_size=args.batch_size,
            lr=args.lr, beta1=args.beta1, lr_drop_at=args.lr_drop_at, content_loss=args.content_loss,
            vgg_weights=args.vgg_weights, adversarial_weight=args.adversarial_weight, pixel_weight=args.pixel_weight,
            d_channels=args.d_channels,
            init_from=args.init_from,
            max_images=args.max_images, augment=not args.no_augment, seed=args.seed,
            sample_every=args.sample_every, checkpoint_every=args.checkpoint_every, log_every=args.log_every,
            device=args.device, resume=args.resume, hardware_note=args.hardware_note, data_note=args.data_note,
            command=command_line(argv),
        )
    tmp = None
    if args.dry_run:
        tmp = dry_run_folder(cfg)
        cfg.batch_size = min(cfg.batch_size, 4)
        cfg.max_images = min(cfg.max_images or 8, 8)

    bar = tqdm(desc=f"training ({cfg.phase})", unit="step", total=cfg.steps, dynamic_ncols=True)

    def progress(step, metrics, samples):
        bar.update(step - bar.n)
        shown = {k: f"{v:.4g}" for k, v in metrics.items() if k.startswith(("loss", "psnr", "d_"))}
        if metrics:
            bar.set_postfix(shown | {"img/s": f"{metrics.get('img_per_s', 0):.2f}"})

    result = train_sr(cfg, progress_fn=progress, abort_fn=time_limit(args.time_limit),
                      data_progress=data_progress_bar("reading photos"))
    bar.close()
    loss = json.loads((result.out / "export" / "model_card.json").read_text()).get("loss", {})
    print(f"content loss: {loss.get('content')} ({loss.get('note')})")
    finish_run(result, tmp, f"the {cfg.phase} phase")
    return 0
