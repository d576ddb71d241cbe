"""Command line of style transfer: `python -m gan_core style train | seams | translate`."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gan_core.cli.common import add_time_limit, command_line, time_limit

EPILOG = """\
examples:
  # train the photo-to-painting model through the combo (the shipped photo2painting-siamese)
  python -m gan_core style train --photos ../shared/data/style/photos ../shared/data/sr/BSDS500_train \\
      --paintings ../shared/data/style/paintings --steps 3000 --out runs/photo2painting \\
      --name photo2painting-siamese

  # the ablation: the same, with 2Sx2S crops translated whole instead of as four tiles
  python -m gan_core style train ... --no-combo --out runs/photo2painting-nocombo

  # continue an interrupted run exactly where it stopped (optionally with a new --steps)
  python -m gan_core style train --out runs/photo2painting --resume --steps 6000

  # the seam score of each model on photos it never saw (tile borders / inside tiles; 1 = no grid),
  # stored in the model cards
  python -m gan_core style seams runs/photo2painting runs/photo2painting-nocombo \\
      --photos ../shared/data/sr/CBSD68 --write-card

  # the photo-or-painting judge (20 % of each domain held out), then the share of translated
  # BSD68 photos it calls paintings, beside the seam score
  python -m gan_core style judge --photos ../shared/data/style/photos ../shared/data/sr/BSDS500_train \\
      --paintings ../shared/data/style/paintings --out runs/photo-or-painting
  python -m gan_core style seams photo2painting-siamese --photos ../shared/data/sr/CBSD68 \\
      --judge runs/photo-or-painting

  # translate a photo at a working size of 2048 px (its longest side), tile by tile
  python -m gan_core style translate photo2painting-siamese holiday.jpg --size 2048 --out painting.png
"""


def register(commands) -> None:
    """Add `style` and its commands to the subparsers of `python -m gan_core`."""
    from gan_core.models.siamese import D_WIDTH, G_WIDTH, LENVEC, TILE
    from gan_core.training.augment import POLICIES
    from gan_core.training.style import ADVERSARIES, MAX_SIDE
    from gan_core.pipelines.style import MARGIN, MAX_WORKING_SIZE

    p = commands.add_parser("style", help="photos to paintings with the Siamese GAN, tile by tile at any size",
                            formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                            description="Photos to paintings with the Siamese GAN, tile by tile at any size.")
    sub = p.add_subparsers(dest="style_command", required=True, metavar="COMMAND")
    t = sub.add_parser("train", help="train the tile translator and its Siamese discriminator",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    t.add_argument("--photos", nargs="+", default=[], help="domain A: folders, images or .zip/.tar archives")
    t.add_argument("--paintings", nargs="+", default=[], help="domain B: folders, images or archives")
    t.add_argument("--out", required=True, help="the run folder")
    t.add_argument("--name", help="the exported model's name (default: the run folder's name)")
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--tile", type=int, default=TILE, help=f"S, the tile side (default {TILE}); crops are 2S")
    t.add_argument("--no-combo", dest="combo", action="store_false",
                   help="translate 2Sx2S crops whole (the ablation that shows what the combo does)")
    t.add_argument("--batch-size", type=int, default=8, help="2Sx2S crops per domain per step (8)")
    t.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate of the generator (2e-4)")
    t.add_argument("--lr-d", type=float, help="Adam learning rate of the discriminator (default: --lr)")
    t.add_argument("--clip-grad", type=float, default=1.0,
                   help="clip each net's gradient norm to this (1.0; 0: no clipping)")
    t.add_argument("--margin", type=float, default=MARGIN, help=f"m of LossD2 ({MARGIN})")
    t.add_argument("--lenvec", type=int, default=LENVEC, help=f"length of D's vectors ({LENVEC})")
    t.add_argument("--g-width", type=int, default=G_WIDTH, help=f"generator channels at full resolution ({G_WIDTH})")
    t.add_argument("--g-blocks", type=int, default=3, help="residual blocks in the generator's middle (3)")
    t.add_argument("--no-residual", dest="g_residual", action="store_false",
                   help="the generator draws the picture instead of adding a residual to the photo (which starts "
                        "as the identity and may never leave it)")
    t.add_argument("--d-width", type=int, default=D_WIDTH, help=f"discriminator's first channels ({D_WIDTH})")
    t.add_argument("--adversary", choices=ADVERSARIES, default="siamese",
                   help="siamese: the article's one Siamese discriminator for style and content; patch: TraVeLGAN's "
                        "split, a PatchGAN discriminator on the hinge loss and a Siamese content network trained "
                        "with the generator (default siamese)")
    t.add_argument("--content-weight", type=float, default=1.0,
                   help="with --adversary patch: the content term's weight in G's loss (1.0)")
    t.add_argument("--d-steps", type=int, default=1,
                   help="with --adversary patch: D's updates per G step, on new painting crops and the same "
                        "translations (1)")
    t.add_argument("--spectral-norm", action="store_true",
                   help="spectrally normalise D's weights, so that faint patterns move it less (default: off)")
    t.add_argument("--d-photos", action="store_true",
                   help="D also pushes the untranslated photos beyond the margin, so that it learns photo against "
                        "painting from real data too (default: translations only, as in the paper)")
    t.add_argument("--d-warmup", type=int, default=0, metavar="STEPS",
                   help="the run's first STEPS steps train D alone, photos against paintings, so that G starts "
                        "against a D that tells them apart (default 0)")
    t.add_argument("--augment", nargs="+", choices=POLICIES, metavar="POLICY",
                   help="DiffAugment before the discriminator (color, translation, cutout); a photo and its "
                        "translation get the same draws (default: none)")
    t.add_argument("--ema-images", type=float, default=0.0, metavar="N",
                   help="sample and export a moving average of G's weights with a half-life of N crops "
                        "(0, the default: G itself)")
    t.add_argument("--lr-schedule", choices=["step", "cosine"], default="step",
                   help="step: constant rates; cosine: both fall to 0 over the steps (default step)")
    t.add_argument("--judge", metavar="NAME",
                   help="a photo-or-painting judge (`style judge`): the share of the fixed crops' translations "
                        "it calls paintings is logged at every sample step")
    t.add_argument("--max-side", type=int, default=MAX_SIDE,
                   help=f"shrink pictures larger than this on their longest side ({MAX_SIDE}; 0: keep)")
    t.add_argument("--max-images", type=int, help="use the first N pictures of each domain")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--sample-every", type=int, default=100)
    t.add_argument("--checkpoint-every", type=int, default=100)
    t.add_argument("--log-every", type=int, default=10)
    t.add_argument("--device", default="auto")
    t.add_argument("--resume", action="store_true", help="continue the run in --out exactly")
    t.add_argument("--hardware-note", help="added to the card's hardware line (e.g. 'shared with another run')")
    t.add_argument("--dry-run", action="store_true", help="2 steps on 8 pictures of each domain, nothing kept")
    add_time_limit(t)
    t.set_defaults(run=_train)

    s = sub.add_parser("seams", help="seam score of models on photos they never saw",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    s.add_argument("models", nargs="+", help="shipped names or run/checkpoint folders")
    s.add_argument("--photos", required=True, help="a folder or archive of held-out photos")
    s.add_argument("--size", type=int, help="working size (longest side); default: each photo's own size")
    s.add_argument("--max-images", type=int, help="the first N photos")
    s.add_argument("--json", type=Path, help="write the results here")
    s.add_argument("--write-card", action="store_true",
                   help="store each model's figures under metrics.seams (merged: other figures there stay)")
    s.add_argument("--figure", type=Path, metavar="IMAGE",
                   help="draw the first --figure-photos photos (top row) and each model's paintings of them "
                        "(a row per model, in the order given) to this PNG or JPEG")
    s.add_argument("--figure-photos", type=int, default=6, metavar="N", help="photos in --figure (6)")
    s.add_argument("--judge", metavar="NAME",
                   help="also the share of translated photos this photo-or-painting judge (`style judge`) calls "
                        "paintings, beside the untranslated photos' share")
    s.set_defaults(run=_seams)

    j = sub.add_parser("judge", help="train the photo-or-painting judge that measures how painted a result looks",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    j.add_argument("--photos", nargs="+", required=True, help="domain A: folders, images or archives")
    j.add_argument("--paintings", nargs="+", required=True, help="domain B: folders, images or archives")
    j.add_argument("--out", required=True, help="the run folder")
    j.add_argument("--name", default="photo-or-painting")
    j.add_argument("--steps", type=int, default=1500)
    j.add_argument("--batch-size", type=int, default=32, help="crops of each domain a step (32)")
    j.add_argument("--width", type=int, default=32,
                   help="the classifier's first channels (32); 16 is a quarter of the weights")
    j.add_argument("--seed", type=int, default=0)
    j.add_argument("--resume", action="store_true")
    j.set_defaults(run=_judge)

    r = sub.add_parser("translate", help="turn a photo into a painting",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    r.add_argument("model", help="shipped name or checkpoint/run folder")
    r.add_argument("photo")
    r.add_argument("--size", type=int, default=1024,
                   help=f"working size, the longest side in px (1024; at most {MAX_WORKING_SIZE}; 0: the photo's own)")
    r.add_argument("--method", choices=["tiles", "resized"], default="tiles",
                   help="tile by tile (default) or the shrink-translate-enlarge baseline")
    r.add_argument("--out", required=True, help="the PNG to write")
    r.set_defaults(run=_translate)


def _train(args, argv: list[str]) -> int:
    from tqdm import tqdm

    from gan_core.training.style import StyleTrainConfig, train_style

    command = command_line(argv)
    config = StyleTrainConfig(
        photos=args.photos, paintings=args.paintings, out=args.out, name=args.name, steps=args.steps, tile=args.tile,
        combo=args.combo, batch_size=args.batch_size, lr=args.lr, lr_d=args.lr_d, clip_grad=args.clip_grad or None,
        margin=args.margin,
        lenvec=args.lenvec,
        g_width=args.g_width, g_blocks=args.g_blocks, g_residual=args.g_residual, d_width=args.d_width,
        adversary=args.adversary, content_weight=args.content_weight, d_steps=args.d_steps,
        spectral_norm=args.spectral_norm, d_photos=args.d_photos, d_warmup=args.d_warmup, augment=args.augment,
        ema_images=args.ema_images, lr_schedule=args.lr_schedule, judge=args.judge, max_side=args.max_side or None,
        max_images=args.max_images, seed=args.seed, sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every, log_every=args.log_every, device=args.device, resume=args.resume,
        hardware_note=args.hardware_note, command=command)
    if args.resume:
        saved = Path(args.out) / "config.json"
        if not saved.exists():
            raise ValueError(f"nothing to resume in {args.out} (no config.json)")
        old = json.loads(saved.read_text())
        old.update(out=args.out, steps=args.steps, resume=True, device=args.device)
        config = StyleTrainConfig.from_dict(old)
    if args.dry_run:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            config.out, config.steps, config.max_images = str(Path(tmp) / "run"), 2, 8
            config.sample_every = config.log_every = 1
            result = train_style(config)
            print(f"dry run: 2 steps ran, losses {result.metrics}; nothing kept")
        return 0
    bar = tqdm(total=config.steps, desc="training", unit="step")

    def progress(step, metrics, sheet):
        bar.n = step
        bar.set_postfix({k: round(v, 3) for k, v in metrics.items() if k.startswith(("loss", "seam"))})

    result = train_style(config, progress_fn=progress, abort_fn=time_limit(args.time_limit))
    bar.close()
    print(f"{result.step} steps in {result.wall_time_s / 60:.1f} min; model in {Path(args.out) / 'export'}")
    return 0


def _seams(args, argv: list[str]) -> int:
    import numpy as np

    from gan_core.core.checkpoints import CARD_FILE, read_json, write_json
    from gan_core.data.sr_pairs import _entries
    import gan_core
    from gan_core.core.hub import STYLE_TRANSFER
    from gan_core.pipelines.style import load_picture, seam_score

    entries = _entries([args.photos])[: args.max_images]
    pictures = [load_picture(read(), args.size) for _, read in entries]
    painters = [gan_core.load(m, task=STYLE_TRANSFER) for m in args.models]
    judge = None
    if args.judge:
        from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION
        from gan_core.evaluation.painting_score import painting_share, photo_filter

        judge = gan_core.load(args.judge, task=ATTRIBUTE_CLASSIFICATION).classifier
    if args.figure is not None and not 1 <= args.figure_photos <= len(pictures):
        raise ValueError(f"--figure-photos must be from 1 to the {len(pictures)} photos")
    figure_rows = [pictures[: args.figure_photos]] if args.figure is not None else []
    references: dict[int, float] = {}  # the photos' own seam score at each model's tile size

    def reference_at(tile: int) -> float:
        if tile not in references:
            references[tile] = float(np.mean([seam_score(p, tile) for p in pictures]))
        return references[tile]

    tile = painters[0].tile
    reference = reference_at(tile)
    rows = {"photos (untranslated)": {"seam_score": reference}}
    if judge is not None:
        rows["photos (untranslated)"]["painting_share"] = painting_share(judge, pictures)
        rows["photos through a filter"] = {"painting_share": painting_share(judge, [photo_filter(p) for p in pictures])}
        print(f"untranslated photos called paintings by {args.judge}: "
              f"{rows['photos (untranslated)']['painting_share']:.0%}; the control, the photos with a cool cast and "
              f"a soft focus (painting_score.photo_filter, no painting): "
              f"{rows['photos through a filter']['painting_share']:.0%}")
    print(f"{len(pictures)} photos from {args.photos}, {tile} px tiles; seam score = mean |neighbour difference| "
          "across tile borders / inside tiles (1 = no grid)\n")
    print(f"{'':34s} {'tiles':>8s} {'resized baseline':>17s} {'s/photo':>8s}")
    print(f"{'photos (untranslated)':34s} {reference:8.3f}")
    for name, painter in zip(args.models, painters):
        start = time.perf_counter()
        translated = [painter(p, working_size=None) for p in pictures]
        if args.figure is not None:
            figure_rows.append(translated[: args.figure_photos])
        tiled = [seam_score(t, painter.tile) for t in translated]
        per_photo = (time.perf_counter() - start) / len(pictures)
        resized = [seam_score(painter(p, working_size=None, method="resized"), painter.tile) for p in pictures]
        combo = painter.card.get("config", {}).get("combo")
        label = f"{painter.name} ({'combo' if combo else 'no combo'})"
        row = {"seam_score": float(np.mean(tiled)), "seam_score_resized_baseline": float(np.mean(resized)),
               "seam_score_photos": reference_at(painter.tile), "photos": len(pictures), "source": args.photos,
               "working_size": args.size or "each photo's own", "tile": painter.tile, "combo": combo,
               "seconds_per_photo": round(per_photo, 3)}
        if judge is not None:
            row["painting_share"] = painting_share(judge, translated)
            row["painting_share_photos"] = rows["photos (untranslated)"]["painting_share"]
            row["painting_share_filtered_photos"] = rows["photos through a filter"]["painting_share"]
            row["judge"] = args.judge
            row["painting_command"] = command_line(argv)  # beside the seam figures' own command
            print(f"{label}: {row['painting_share']:.0%} of the translated photos called paintings")
        rows[label] = row
        print(f"{label:34s} {row['seam_score']:8.3f} {row['seam_score_resized_baseline']:17.3f} {per_photo:8.2f}"
              + (f"   (photos at {painter.tile} px tiles: {reference_at(painter.tile):.3f})"
                 if painter.tile != tile else ""))
        if args.write_card and painter.path is not None:
            card = read_json(painter.path / CARD_FILE)
            # Merged into what the card holds, so that figures recorded another way (the
            # no-combo ablation's "without_combo") stay.
            seams = card.setdefault("metrics", {}).setdefault("seams", {})
            seams.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
            write_json(painter.path / CARD_FILE, card)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if args.figure is not None:
        picture_rows(figure_rows).save(args.figure)
        print(f"wrote {args.figure}: the photos, then {', '.join(args.models)}, a row each")
    return 0


def picture_rows(rows: list[list], height: int = 160, gap: int = 4):
    """Rows of pictures, each scaled to `height` px (aspect kept), on white: a before/after figure."""
    from PIL import Image

    scaled = [[p.resize((max(1, round(p.width * height / p.height)), height), Image.Resampling.LANCZOS) for p in row]
              for row in rows]
    width = max(sum(p.width for p in row) + gap * (len(row) + 1) for row in scaled)
    sheet = Image.new("RGB", (width, len(rows) * (height + gap) + gap), "white")
    for r, row in enumerate(scaled):
        x = gap
        for p in row:
            sheet.paste(p.convert("RGB"), (x, gap + r * (height + gap)))
            x += p.width + gap
    return sheet


def _judge(args, argv: list[str]) -> int:
    from tqdm import tqdm

    from gan_core.training.painting_judge import JudgeConfig, train_painting_judge

    if not 1 <= args.steps <= 10**6 or not 1 <= args.batch_size <= 1024:
        raise ValueError("--steps must be 1 or more and --batch-size 1-1024")
    cfg = JudgeConfig(photos=args.photos, paintings=args.paintings, out=args.out, name=args.name, steps=args.steps,
                      batch_size=args.batch_size, width=args.width, seed=args.seed, resume=args.resume,
                      command=command_line(argv))
    bar = tqdm(total=cfg.steps, desc="training the judge", unit="step")

    def progress(step, metrics, picture):
        bar.update(step - bar.n)
        if "test_accuracy" in metrics:
            bar.write(f"step {step}: held-out accuracy {metrics['test_accuracy']:.1%}")

    result = train_painting_judge(cfg, progress_fn=progress)
    bar.close()
    card = json.loads((Path(args.out) / "export" / "model_card.json").read_text())
    test = card["metrics"]["test"]
    print(f"{result.step} steps in {result.wall_time_s / 60:.1f} min; held out: "
          f"{test['photos_called_painting']:.0%} of {test['photos_held_out']} photos and "
          f"{test['paintings_called_painting']:.0%} of {test['paintings_held_out']} paintings called paintings; "
          f"model in {Path(args.out) / 'export'}")
    return 0


def _translate(args, argv: list[str]) -> int:
    import gan_core
    from gan_core.core.hub import STYLE_TRANSFER

    painter = gan_core.load(args.model, task=STYLE_TRANSFER)
    out = painter(args.photo, working_size=args.size or None, method=args.method)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out.save(args.out)
    print(f"{args.out}: {out.width}x{out.height}, {painter.name}, {args.method}")
    return 0

