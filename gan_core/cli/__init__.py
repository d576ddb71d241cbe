"""Command line: `python -m gan_core train | sample | evaluate | probe | pack | info | train-sr | evaluate-sr`.

Run `python -m gan_core COMMAND --help` for each command's options.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

EPILOG_TRAIN = """\
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


EPILOG_PROBE = """\
examples:
  # the shipped CIFAR-10 DCGAN, all 50,000 training and 10,000 test images (4 minutes on a 2-core CPU)
  python -m gan_core probe cifar10-dcgan32 --data ../shared/data/cifar10/cifar10.tar.gz \\
      --out probe.json --write-card

  # a quick look: 5,000 training images, no baseline
  python -m gan_core probe runs/cifar10 --data ../shared/data/cifar10/cifar10.tar.gz --max-train 5000 --no-baseline
"""


def _build_parser() -> argparse.ArgumentParser:
    from gan_core.models import model_names
    from gan_core.evaluation.probe import L2_GRID, PROBE_CONFUSION_FILE, VALIDATION_IMAGES

    p = argparse.ArgumentParser(
        prog="python -m gan_core",
        description="Train, sample and inspect classic GANs (DCGAN, the Keras-book GAN, a 28 px face GAN).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a GAN on a folder or archive of images",
                       description="Train a GAN. Writes a run folder that can be resumed and sampled.",
                       epilog=EPILOG_TRAIN, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    g = t.add_argument_group("device")
    g.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    g.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    g.add_argument("--compile", action="store_true", help="torch.compile both nets (CUDA; slower start, faster steps)")
    g.add_argument("--cache-dir", help="where preprocessed images are cached (default ~/.cache/gan_core or $GAN_CORE_CACHE)")

    s = sub.add_parser("sample", help="render images from a trained generator",
                       description="Render a grid (or single images) from a shipped name or a checkpoint folder.",
                       epilog="examples:\n  python -m gan_core sample faces-dcgan64 --seed 7 -n 64 -o faces.png\n"
                              "  python -m gan_core sample runs/faces --separate -n 8 -o out/\n",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("checkpoint", help="shipped name (see `info`) or checkpoint/run folder")
    s.add_argument("-n", "--num-images", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--nrow", type=int, help="images per row (default: square)")
    s.add_argument("-o", "--output", default="samples.png", help="PNG file, or a folder with --separate")
    s.add_argument("--separate", action="store_true", help="write one PNG per image into the --output folder")
    s.add_argument("--device", default="cpu")

    e = sub.add_parser("evaluate", help="measure a generator against real images (diversity, novelty, SWD)",
                       description="Sample-quality measures computed from pixels (no downloaded network): "
                                   "diversity ratio (mode collapse), nearest-neighbour ratio (copying) and "
                                   "sliced Wasserstein distance. See gan_core/evaluation/gan_metrics.py.",
                       epilog="example:\n  python -m gan_core evaluate checkpoints/faces-dcgan64 --write-card \\\n"
                              "      --data ../shared/data/faces/celeba/img_align_celeba --data ../shared/data/faces/utkface\n",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("checkpoint", help="shipped name or checkpoint/run folder")
    e.add_argument("--data", action="append", metavar="PATH", help="real images (default: the card's data sources)")
    e.add_argument("--classes", nargs="+", metavar="NAME")
    e.add_argument("--split", metavar="NAME")
    e.add_argument("-n", type=int, default=1000, help="generated and real images compared (1000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--write-card", action="store_true", help="store the result under metrics.evaluation in the model card")

    r = sub.add_parser("probe", help="the discriminator as a feature extractor: a linear probe on CIFAR-10",
                       description="DCGAN section 5: every discriminator block's activations, max-pooled to a "
                                   "4x4 grid and concatenated, standardised, and an L2-regularised linear "
                                   "classifier on top; the strength is chosen on held-out training images, "
                                   "then the classifier is refitted on all of them and scored on the test "
                                   "split. The same pipeline on the discriminator's untrained starting weights "
                                   "is the baseline. Prints a table; see gan_core/evaluation/probe.py.",
                       epilog=EPILOG_PROBE, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("checkpoint", help="shipped name or checkpoint/run folder (its discriminator is probed)")
    r.add_argument("--data", action="append", metavar="PATH", required=True,
                   help="class-folder images with train and test folders (CIFAR-10: train/<class>/*.jpg)")
    r.add_argument("--train-split", default="train", metavar="NAME", help="folder of the training images (train)")
    r.add_argument("--test-split", default="test", metavar="NAME", help="folder of the test images (test)")
    r.add_argument("--max-train", type=int, metavar="N", help="use N training images drawn at random (default all)")
    r.add_argument("--max-test", type=int, metavar="N", help="use N test images drawn at random (default all)")
    r.add_argument("--validation", type=int, default=VALIDATION_IMAGES, metavar="N",
                   help=f"training images held out to choose the L2 strength ({VALIDATION_IMAGES:,}; at most a fifth)")
    r.add_argument("--l2", type=float, nargs="+", default=list(L2_GRID), metavar="L2",
                   help=f"L2 strengths to try ({' '.join(f'{v:g}' for v in L2_GRID)}); one value skips the choice")
    r.add_argument("--no-baseline", action="store_true", help="skip the untrained-weights baseline (half the time)")
    r.add_argument("--seed", type=int, default=0, help="seed of the subsamples and the validation split (0)")
    r.add_argument("--out", metavar="JSON", help="write the results as JSON")
    r.add_argument("--confusion", metavar="PNG",
                   help="write the test confusion matrix as a picture (default: beside --out, *_confusion.png)")
    r.add_argument("--write-card", action="store_true",
                   help=f"store the results under metrics.probe in the model card, and the confusion matrix as "
                        f"{PROBE_CONFUSION_FILE} beside it (what the app's Learn tab shows)")
    r.add_argument("--device", default="cpu", help="where the discriminator runs (cpu, cuda)")
    r.add_argument("--cache-dir", help="where preprocessed images are cached (default ~/.cache/gan_core)")
    r.add_argument("--dry-run", action="store_true",
                   help="200 training and 100 test images, one strength, a short fit: checks the set-up, writes nothing")

    k = sub.add_parser("pack", help="write a data set as a small .zip of framed JPEGs that travels",
                       description="Frame and resize images as `train` would, and write them as one .zip of JPEGs "
                                   "(labels kept) that `--data` reads back without framing them again.",
                       epilog="example:\n  python -m gan_core pack --size 64 --out data_pack/faces64.zip \\\n"
                              "      --data ../shared/data/faces/celeba/img_align_celeba --data ../shared/data/faces/utkface\n",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("--data", action="append", metavar="PATH", required=True)
    k.add_argument("--size", type=int, required=True, help="image size in pixels (the model's)")
    k.add_argument("--classes", nargs="+", metavar="NAME")
    k.add_argument("--split", metavar="NAME")
    k.add_argument("--framing", choices=["auto", "face", "center"], default="auto")
    k.add_argument("--quality", type=int, default=92, help="JPEG quality (92)")
    k.add_argument("--out", required=True, help="the .zip to write")

    from gan_core.cli.sr import add_parsers as add_sr_parsers

    add_sr_parsers(sub)  # train-sr, evaluate-sr
    sub.add_parser("attributes", add_help=False,
                   help="face attributes: train the classifier, find latent directions, render them "
                        "(python -m gan_core attributes --help)")
    sub.add_parser("forget", add_help=False,
                   help="make a generator forget a concept (DCGAN 6.1) and measure it "
                        "(python -m gan_core forget --help)")
    sub.add_parser("style", add_help=False,
                   help="photos to paintings with the Siamese GAN, tile by tile at any size "
                        "(python -m gan_core style --help)")
    sub.add_parser("facades", add_help=False,
                   help="CMP facades: pack crops for a facade GAN, train the window detector "
                        "(python -m gan_core facades --help)")
    i = sub.add_parser("info", help="list models and checkpoints, or describe one",
                       description="Without an argument: the registered models and shipped checkpoints. "
                                   "With a model name: its paper defaults. With a checkpoint: its model card.")
    i.add_argument("what", nargs="?", help="model name, checkpoint name or folder")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from gan_core.core.hardware import limit_torch_threads

    limit_torch_threads()  # a container's CPU quota, not the host's core count
    if argv and argv[0] == "attributes":  # its own command line, in attributes_cli
        from gan_core.cli.attributes import main as attributes_main

        return attributes_main(argv[1:], prog="python -m gan_core attributes")
    if argv and argv[0] == "forget":  # its own command line, in forget_cli
        from gan_core.cli.forget import main as forget_main

        return forget_main(argv[1:])
    if argv and argv[0] == "style":  # its own command line, in style_cli
        from gan_core.cli.style import main as style_main

        return style_main(argv[1:])
    if argv and argv[0] == "facades":  # its own command line, in facades
        from gan_core.data.facades import main as facades_main

        return facades_main(argv[1:], prog="python -m gan_core facades")
    args = _build_parser().parse_args(argv)

    def command() -> int:
        from gan_core.cli.sr import COMMANDS as SR_COMMANDS

        commands = {"train": _train, "sample": _sample, "evaluate": _evaluate, "probe": _probe, "pack": _pack,
                    "info": _info, **SR_COMMANDS}
        return commands[args.command](args, argv)

    return run_reporting_errors(command)


def run_reporting_errors(command) -> int:
    """Run a command-line action and turn its failures into one line and an exit code:
    bad input (unreadable data or checkpoint, a missing or existing file, a bad value)
    prints `error: ...` and gives 2, a diverged training run `stopped: ...` and 3,
    Ctrl-C 130. Shared by every `python -m gan_core` command line."""
    from gan_core.core.errors import CheckpointError, DataError
    from gan_core.training.loop import TrainingDiverged

    try:
        return command()
    except (DataError, CheckpointError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TrainingDiverged as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _train(args, argv) -> int:
    import tempfile

    from tqdm import tqdm

    from gan_core.training.loop import TrainConfig, train

    if not args.out and not args.dry_run:
        raise ValueError("--out is required: the run folder to write (or resume)")
    cfg_file = Path(args.out or ".") / "config.json"
    if args.resume and cfg_file.exists():
        cfg = TrainConfig.from_dict(json.loads(cfg_file.read_text()))
        cfg.resume = True
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
        if not args.data:
            raise ValueError("--data is required (a folder, .zip or .tar of images, or `shapes` for the "
                             "built-in set)")
        cfg = TrainConfig(
            model=args.model or "dcgan64", width=1.0 if args.width is None else args.width,
            data=args.data, out=args.out or "", name=args.name, steps=args.steps,
            epochs=args.epochs, batch_size=args.batch_size, lr_g=args.lr_g, lr_d=args.lr_d, beta1=args.beta1,
            label_noise=args.label_noise, clip_grad=args.clip_grad, classes=args.classes, split=args.split,
            framing=args.framing, max_images=args.max_images, flip=args.flip, cache_dir=args.cache_dir,
            seed=args.seed, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
            log_every=args.log_every, device=args.device, amp=False if args.no_amp else None,
            compile=args.compile, resume=args.resume, init_from=args.init_from,
            command=" ".join(shlex.quote(a) for a in ["python", "-m", "gan_core", *argv]),
        )
    tmp = None
    if args.dry_run:
        tmp = tempfile.TemporaryDirectory(prefix="gan_core-dry-run-")
        cfg.out, cfg.steps, cfg.epochs, cfg.resume = tmp.name, 2, None, False
        cfg.log_every = cfg.sample_every = cfg.checkpoint_every = 1
        cfg.batch_size = min(cfg.hyperparameters()["batch_size"], 8)
        cfg.max_images = cfg.max_images or 64

    def data_progress(done, total, bar=[None]):  # noqa: B006 - a one-slot holder for the bar
        if bar[0] is None:
            bar[0] = tqdm(total=total, desc="preparing images", unit="img", leave=False)
        bar[0].update(done - bar[0].n)
        if done >= total:
            bar[0].close()

    bar = tqdm(desc="training", unit="step", dynamic_ncols=True)

    def progress(step, metrics, samples):
        if metrics.get("total_steps") and bar.total != metrics["total_steps"]:
            bar.total = metrics["total_steps"]
            bar.refresh()
        bar.update(step - bar.n)
        if metrics:
            bar.set_postfix({k: f"{metrics[k]:.3f}" for k in ("loss_d", "loss_g", "d_x", "d_g_z1")} |
                            {"img/s": f"{metrics.get('img_per_s', 0):.0f}"})

    result = train(cfg, progress_fn=progress, data_progress=data_progress)
    bar.close()
    if args.dry_run:
        print(f"dry run ok: 2 steps of {cfg.model}, metrics {json.dumps(result.metrics)}")
        tmp.cleanup()
    else:
        print(f"{result.step} steps in {result.wall_time_s / 60:.1f} min; run folder {result.out}; "
              f"model: {result.out / 'export'}")
    return 0


def _sample(args, argv) -> int:
    import gan_core
    from gan_core.core.hub import GAN

    pipe = gan_core.load(args.checkpoint, device=args.device, task=GAN)
    if args.num_images < 1 or args.num_images > 4096:
        raise ValueError("--num-images must be between 1 and 4096")
    if args.separate:
        folder = Path(args.output)
        folder.mkdir(parents=True, exist_ok=True)
        for k, img in enumerate(pipe(args.num_images, seed=args.seed)):
            img.save(folder / f"{pipe.name}_seed{args.seed}_{k:04d}.png")
        print(f"wrote {args.num_images} images to {folder}")
    else:
        pipe.grid(args.num_images, seed=args.seed, nrow=args.nrow).save(args.output)
        print(f"wrote {args.output}")
    return 0


def _evaluate(args, argv) -> int:
    import gan_core
    from gan_core.core.checkpoints import CARD_FILE, write_json
    from gan_core.core.hub import GAN
    from gan_core.data.image_set import load_images
    from gan_core.evaluation.gan_metrics import evaluate_generator

    pipe = gan_core.load(args.checkpoint, task=GAN)
    card_data = pipe.card.get("data", {})
    sources = args.data or card_data.get("sources")
    if not sources:
        raise ValueError("--data is required: the card names no data sources")
    ds = load_images(sources, pipe.spec.image_size, classes=args.classes or card_data.get("classes_filter"),
                     split=args.split or card_data.get("split"), framing=card_data.get("framing", "auto"))
    result = evaluate_generator(pipe, ds.images, n=args.n, seed=args.seed)
    result["data"] = ds.description
    print(json.dumps(result, indent=2))
    if args.write_card:
        pipe.card.setdefault("metrics", {})["evaluation"] = result
        write_json(pipe.path / CARD_FILE, pipe.card)
        print(f"written to {pipe.path / CARD_FILE}")
    return 0


def _probe(args, argv) -> int:
    from gan_core.core.checkpoints import CARD_FILE, write_json
    from gan_core.core.hub import open_checkpoint
    from gan_core.evaluation.probe import PROBE_CONFUSION_FILE, confusion_image, run_probe

    for name in ("max_train", "max_test", "validation"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "validation" else 1):
            raise ValueError(f"--{name.replace('_', '-')} must be a positive number, not {value}")
    if any(not (v > 0) for v in args.l2):
        raise ValueError("--l2 strengths must be positive")
    options = dict(max_train=args.max_train, max_test=args.max_test, validation=args.validation, l2_grid=args.l2)
    if args.dry_run:
        options = dict(max_train=200, max_test=100, validation=0, l2_grid=args.l2[:1], epochs=2)
    result = run_probe(args.checkpoint, args.data, train_split=args.train_split, test_split=args.test_split,
                       baseline=not args.no_baseline, seed=args.seed, device=args.device, cache_dir=args.cache_dir,
                       log=lambda message: print(message, file=sys.stderr), **options)
    print(result.table())
    if args.dry_run:
        print("dry run ok: nothing written")
        return 0
    folder, card = open_checkpoint(args.checkpoint)
    record = {**result.to_dict(), "command": " ".join(shlex.quote(a) for a in ["python", "-m", "gan_core", *argv])}
    picture = confusion_image(result.trained.confusion, result.class_names,
                              title=f"{result.checkpoint}: test accuracy {100 * result.trained.test_accuracy:.1f} %")
    confusion = args.confusion or (str(Path(args.out).with_suffix("")) + "_confusion.png" if args.out else None)
    if args.out:
        write_json(args.out, record)
        print(f"wrote {args.out}")
    if confusion:
        Path(confusion).parent.mkdir(parents=True, exist_ok=True)
        picture.save(confusion)
        print(f"wrote {confusion}")
    if args.write_card:
        card.setdefault("metrics", {})["probe"] = record
        write_json(folder / CARD_FILE, card)
        picture.save(folder / PROBE_CONFUSION_FILE)
        print(f"written to {folder / CARD_FILE} and {folder / PROBE_CONFUSION_FILE}")
    return 0


def _pack(args, argv) -> int:
    from gan_core.data.image_set import load_images, pack_images

    ds = load_images(args.data, args.size, classes=args.classes, split=args.split, framing=args.framing)
    path = pack_images(ds, args.out, quality=args.quality)
    print(f"wrote {len(ds)} images ({path.stat().st_size / 2**20:.1f} MB) to {path}")
    return 0


def _info(args, argv) -> int:
    import gan_core
    from gan_core.models import get_model, model_names
    from gan_core.core.hub import find_checkpoint

    if args.what is None:
        print("models:")
        for n in model_names():
            spec = get_model(n)
            print(f"  {n:<12} {spec.image_size:>3} px  nz {spec.nz:<4} {spec.description}")
        print("checkpoints:")
        for n in gan_core.list_checkpoints(task=None) or ["(none)"]:  # generators and upscalers
            print(f"  {n}")
        return 0
    if args.what in model_names():
        spec = get_model(args.what)
        print(json.dumps({"model": spec.name, "image_size": spec.image_size, "nz": spec.nz,
                          "paper": spec.paper, "defaults": spec.defaults}, indent=2))
        return 0
    folder = find_checkpoint(args.what)
    print((folder / "model_card.json").read_text())
    return 0
