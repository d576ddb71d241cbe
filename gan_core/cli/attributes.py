"""Command line for face attributes: `python -m gan_core attributes train | directions | turn | render`.

  train       learn attributes (gender, age, CelebA's Smiling, Eyeglasses...) from labelled faces
  directions  find each attribute's direction in a generator's latent space, with that classifier
  turn        find the head-turn direction by mirror consistency, check it against random directions
  render      draw rows of faces moved along a direction, to look at what a direction does

Errors in the input (a missing folder, an unknown attribute, a bad number) end
with a one-line message and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from gan_core.cli.common import command_line

PROG = "python -m gan_core attributes"
IDENTITY_FILE = "identity_CelebA.txt"
MIN_VALIDATION_CLASS = 5  # default directions need this many held-out positives and negatives
SUBJECTIVE = ("Attractive",)  # a judgement, not a feature of a face: never a default direction
CITATIONS = {
    "celeba": "Liu, Luo, Wang, Tang, Deep Learning Face Attributes in the Wild, ICCV 2015 (CelebA)",
    "utkface": "Zhang, Song, Qi, Age Progression/Regression by Conditional Adversarial Autoencoder, CVPR 2017 (UTKFace)",
}

EPILOG_TRAIN = """\
example:
  python -m gan_core attributes train --data ../shared/data/faces/celeba/img_align_celeba \\
      --data ../shared/data/faces/utkface --epochs 8 --out checkpoints/face-attributes

Without --attributes, every label with at least --min-count positives and negatives
(or known values, for age) is learnt; race is a category and is never picked by
default. CelebA images are held out by person when identity_CelebA.txt lies beside
or above their folder, other images by file name.
"""

EPILOG_DIRECTIONS = """\
example (the shipped faces-dcgan64 directions):
  python -m gan_core attributes directions --generator faces-dcgan64 --classifier checkpoints/face-attributes \\
      --out checkpoints/faces-dcgan64/directions --condition gender age \\
      --attributes gender age Smiling Eyeglasses Mouth_Slightly_Open Bangs No_Beard \\
      Wearing_Lipstick Blond_Hair Black_Hair

Without --attributes, the attributes whose validation AUC (in the classifier's card)
is at least --min-auc, measured on at least 5 held-out positives and negatives, are
used, plus the regressions (age); CelebA's subjective "Attractive" never is.
"""


EPILOG_TURN = """\
example (the shipped faces-dcgan64 turn):
  python -m gan_core attributes turn --generator faces-dcgan64 --samples 20000

The direction is fitted with mirror_pose (a face laid over its own mirror image) and
checked with pose_score (where the nose-mouth band is most symmetric), which it never saw:
rows t = -1 ... +1 from seeds 0-39 against 10 random directions of the same length.
"""


def register(commands) -> None:
    """Add `attributes` and its commands to the subparsers of `python -m gan_core`."""
    p = commands.add_parser("attributes", help="face attributes: train the classifier, find latent directions, "
                                               "render them",
                            description="Face attributes: a classifier and latent directions.")
    sub = p.add_subparsers(dest="attributes_command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train an attribute classifier on labelled faces",
                       description="Train a small CNN with one output per attribute; write classifier.safetensors "
                                   "and model_card.json into --out.",
                       epilog=EPILOG_TRAIN, formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("--data", action="append", metavar="PATH", required=True,
                   help="image folder or archive (repeatable); UTKFace names and CelebA's list_attr_celeba.txt give labels")
    t.add_argument("--attributes", nargs="+", metavar="NAME", help="labels to learn (default: all with enough labels)")
    t.add_argument("--min-count", type=int, default=30, metavar="N",
                   help="default attributes need N positives and N negatives (30)")
    t.add_argument("--size", type=int, default=64, help="image size in pixels (64, the faces generator's)")
    t.add_argument("--epochs", type=int, default=8)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (one-cycle schedule)")
    t.add_argument("--width", type=int, default=32, help="feature maps of the first conv layer (32)")
    t.add_argument("--head-weighting", choices=["sqrt", "equal"], default="sqrt",
                   help="weight of each attribute's loss: sqrt of its share of labelled images (default), or equal")
    t.add_argument("--val-fraction", type=float, default=0.2, help="share held out for validation (0.2)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", help="folder to write (required unless --dry-run)")
    t.add_argument("--name", help="name in the card (default: the folder's name)")
    t.add_argument("--overwrite", action="store_true", help="replace a classifier already in --out")
    t.add_argument("--cache-dir", help="where preprocessed images are cached")
    t.add_argument("--dry-run", action="store_true", help="train 2 steps on 256 images, write nothing")
    t.set_defaults(run=_train)

    d = sub.add_parser("directions", help="find attribute directions in a generator's latent space",
                       description="Label generated faces with the classifier and read each attribute's latent "
                                   "direction off them; write directions.safetensors and directions.json.",
                       epilog=EPILOG_DIRECTIONS, formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--generator", required=True, help="generator checkpoint name or folder (faces-dcgan64)")
    d.add_argument("--classifier", required=True, help="classifier folder or name (checkpoints/face-attributes)")
    d.add_argument("--out", help="folder to write (default: <generator>/directions)")
    d.add_argument("--attributes", nargs="+", metavar="NAME", help="attributes (default: see below)")
    d.add_argument("--min-auc", type=float, default=0.75, help="default attributes need this validation AUC (0.75)")
    d.add_argument("--method", choices=["mean", "logistic"], default="mean",
                   help="mean: top minus bottom latent means; logistic: normal of a linear classifier on z")
    d.add_argument("--samples", type=int, default=5000, help="generated faces labelled to fit each direction (5000)")
    d.add_argument("--fraction", type=float, default=0.1, help="top and bottom share compared (0.1)")
    d.add_argument("--norm", type=float, default=None, help="L2 norm of each stored direction (default 3.0)")
    d.add_argument("--check-samples", type=int, default=500, help="other faces for the consistency check (500)")
    d.add_argument("--check-step", type=float, default=0.25, help="step t along the direction in the check (0.25)")
    d.add_argument("--condition", nargs="+", metavar="NAME", default=[],
                   help="project these attributes' directions out of the others (e.g. gender age: glasses "
                        "that do not also age the face)")
    d.add_argument("--seed", type=int, default=0, help="seed of the fitting latents; the check uses seed + 1")
    d.add_argument("--dry-run", action="store_true", help="use 64 samples and 16 checks, write nothing")
    d.set_defaults(run=_directions)

    u = sub.add_parser("turn", help="find the head-turn direction and check it against random directions",
                       description="Fit the direction that turns heads (mirror consistency, light from one side "
                                   "projected out), check it on 40 seeds with a second pose measure and write it "
                                   "to the generator's directions folder (turn.safetensors).",
                       epilog=EPILOG_TURN, formatter_class=argparse.RawDescriptionHelpFormatter)
    u.add_argument("--generator", required=True, help="generator checkpoint name or folder (faces-dcgan64)")
    u.add_argument("--out", help="folder to write (default: <generator>/directions)")
    u.add_argument("--samples", type=int, default=20000, help="generated faces the direction is fitted on (20000)")
    u.add_argument("--seeds", type=int, default=40, help="faces of the check: seeds 0 .. N-1 (40)")
    u.add_argument("--randoms", type=int, default=10, help="random directions in the check (10)")
    u.add_argument("--seed", type=int, default=11, help="seed of the fitting latents (11)")
    u.add_argument("--dry-run", action="store_true", help="200 samples, 4 seeds, 2 random directions; write nothing")
    u.set_defaults(run=_turn)

    r = sub.add_parser("render", help="draw faces moved along attribute directions, one row per seed",
                       description="A PNG grid: for each seed and attribute, z + t * direction for each t.")
    r.add_argument("--generator", required=True, help="generator checkpoint name or folder")
    r.add_argument("--directions", help="directions folder (default: <generator>/directions)")
    r.add_argument("--attributes", nargs="+", metavar="NAME", required=True,
                   help="directions to draw; 'turn' is the shipped turn (`attributes turn`)")
    r.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    r.add_argument("--ts", nargs="+", type=float, default=[-1.0, -0.5, 0.0, 0.5, 1.0], help="steps t (-1 -0.5 0 0.5 1)")
    r.add_argument("-o", "--output", default="attributes.png")
    r.set_defaults(run=_render)


def identity_groups(sources: list[str], files: list[str]) -> tuple[list[str], int]:
    """One split key per file: `celeba:<person>` for files in an identity_CelebA.txt
    beside or above a source folder, else the file name. Returns (keys, files keyed by person)."""
    people: dict[str, str] = {}
    for src in sources:
        folder = Path(src).expanduser()
        for d in (folder, folder.parent):
            if folder.is_dir() and (d / IDENTITY_FILE).is_file():
                for line in (d / IDENTITY_FILE).read_text(errors="replace").splitlines():
                    parts = line.split()
                    if len(parts) == 2:
                        people[parts[0]] = f"celeba:{parts[1]}"
                break
    keys = [people.get(Path(f).name, f) for f in files]
    return keys, sum(1 for f in files if Path(f).name in people)


def _check_positive(**values) -> None:
    for name, v in values.items():
        if v is not None and v <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, not {v}")


def _train(args, argv: list[str]) -> int:
    import torch

    from gan_core import __version__
    from gan_core.core.checkpoints import CARD_FILE
    from gan_core.training.attributes import (
        label_counts, save_classifier, train_attribute_classifier, usable_attributes,
    )
    from gan_core.data.image_set import load_images
    from gan_core.core.hardware import describe

    _check_positive(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, width=args.width, size=args.size)
    if not args.out and not args.dry_run:
        raise ValueError("--out is required: the folder to write the classifier to (or give --dry-run)")
    if args.out and not args.dry_run and (Path(args.out) / CARD_FILE).exists() and not args.overwrite:
        raise FileExistsError(f"{Path(args.out) / CARD_FILE} exists: give --overwrite to replace it")
    print("loading images...", file=sys.stderr)
    ds = load_images(args.data, args.size, cache_dir=args.cache_dir)
    attributes = args.attributes or usable_attributes(ds.labels, args.min_count)
    if not attributes:
        raise ValueError(f"no label has {args.min_count} positives and negatives in {ds.description} "
                         f"(labels: {', '.join(sorted(ds.labels)) or 'none'}); lower --min-count or give --attributes")
    unknown = [a for a in attributes if a not in ds.labels]
    if unknown:
        raise ValueError(f"no label {unknown[0]!r} in {ds.description}; it has: {', '.join(sorted(ds.labels)) or 'none'}")
    groups, by_person = identity_groups(args.data, ds.files)
    epochs, batch_size, max_steps = args.epochs, args.batch_size, None
    if args.dry_run:  # a quick end-to-end check: 256 labelled images drawn from all sources, 2 steps
        labelled = torch.nonzero((~torch.isnan(torch.stack([ds.labels[a] for a in attributes], 1))).any(1)).flatten()
        keep = labelled[torch.randperm(len(labelled), generator=torch.Generator().manual_seed(args.seed))[:256]]
        from dataclasses import replace
        ds = replace(ds, images=ds.images[keep], files=[ds.files[i] for i in keep],
                     labels={k: v[keep] for k, v in ds.labels.items()})
        groups = [groups[i] for i in keep]
        epochs, batch_size, max_steps = 1, min(batch_size, 16), 2

    def progress(step, total, info):
        end = "\n" if "validation" in info else "\r"
        extra = ""
        if "validation" in info:
            v = info["validation"]
            aucs = [m["auc"] for m in v.values() if m.get("auc") is not None]
            extra = f"  mean val AUC {sum(aucs) / len(aucs):.3f}" if aucs else ""
            extra += "".join(f"  {k} MAE {m['mae']}" for k, m in v.items() if "mae" in m)
        print(f"step {step}/{total} epoch {info['epoch']} loss {info['loss']:.3f}{extra}", end=end, file=sys.stderr)

    model, report = train_attribute_classifier(ds, attributes, epochs=epochs, batch_size=batch_size, seed=args.seed,
                                               progress_fn=progress, val_fraction=args.val_fraction,
                                               groups=groups, lr=args.lr, width=args.width, max_steps=max_steps,
                                               head_weighting=args.head_weighting)
    if args.dry_run:
        print(f"dry run ok: {len(attributes)} attributes ({', '.join(attributes)}), {report['steps']} steps "
              f"on {report['split']['train_images']} images; nothing written")
        return 0
    out = Path(args.out)
    kinds = {"celeba": any("celeba" in str(s).lower() for s in args.data),
             "utkface": any("utkface" in str(s).lower() for s in args.data)}
    card = {
        "name": args.name or out.name,
        "description": f"Face attribute classifier at {ds.size}x{ds.size}: a {int(math.log2(ds.size)) - 2}-block CNN "
                       "with one output per attribute (binary logits; age as a normalised regression)",
        "attributes": attributes,
        "data": {
            "description": ds.description,
            "sources": [str(s) for s in args.data],
            "images": len(ds),
            "labelled_images": report["split"]["train_images"] + report["split"]["validation_images"],
            "labels": label_counts(ds.labels, attributes),
            "split": {**report["split"], "by": f"person for {by_person} CelebA images ({IDENTITY_FILE}), "
                                               "file name for the rest (hash of the key)"},
            "counts": report["counts"],
            "citations": [CITATIONS[k] for k, used in kinds.items() if used],
            **({"licence": "CelebA and UTKFace: research and teaching, non-commercial"} if any(kinds.values()) else {}),
        },
        "training": {
            "command": command_line(argv),
            "epochs": report["epochs"], "steps": report["steps"], "batch_size": report["batch_size"],
            "lr": report["lr"], "seed": report["seed"], "width": args.width,
            "head_weighting": report["head_weighting"], "head_weights": report["head_weights"],
            "augmentation": "left-right flips, shifts of up to 3 px",
            "wall_time_s": report["wall_time_s"],
            "hardware": describe("cpu"),
            "torch": torch.__version__, "gan_core": __version__,
            "history": report["history"],
        },
        "metrics": {"validation": report["validation"],
                    "note": "binary: ROC AUC and accuracy at p = 0.5 (majority_accuracy: always guessing the "
                            "commoner class); regression: mean absolute error in label units (years)"},
    }
    save_classifier(out, model, card)
    print(f"wrote {out / 'classifier.safetensors'} and {out / CARD_FILE} "
          f"({report['wall_time_s'] / 60:.1f} min)")
    print(json.dumps(report["validation"], indent=1))
    return 0


def _directions(args, argv: list[str]) -> int:
    import torch

    import gan_core
    from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION, GAN
    from gan_core.explore.attributes import DEFAULT_NORM, NORM_CONVENTION, attribute_directions, directions_folder
    from gan_core.explore.attributes import save_directions

    _check_positive(samples=args.samples, fraction=args.fraction, norm=args.norm, check_step=args.check_step)
    if args.check_samples < 0:
        raise ValueError("--check-samples must be 0 or more")
    pipe = gan_core.load(args.generator, task=GAN)
    classifier = gan_core.load(args.classifier, task=ATTRIBUTE_CLASSIFICATION)
    clf = classifier.classifier
    validation = classifier.card.get("metrics", {}).get("validation", {})
    if args.attributes:
        unknown = [a for a in args.attributes if a not in clf.names]
        if unknown:
            raise ValueError(f"the classifier has no attribute {unknown[0]!r}; it has: {', '.join(clf.names)}")
        attributes = args.attributes
    else:  # regressions have no AUC: they are kept, and their MAE is in the card
        def trusted(m: dict) -> bool:  # an AUC from a handful of positives says little
            few = min(m.get("positive", 0), m.get("n", 0) - m.get("positive", 0))
            return (m.get("auc") or 0.0) >= args.min_auc and few >= MIN_VALIDATION_CLASS

        attributes = [h.name for h in clf.heads if h.name not in SUBJECTIVE
                      and (h.kind == "regression" or trusted(validation.get(h.name, {})))]
        if not attributes:
            raise ValueError(f"no attribute of the classifier reaches validation AUC {args.min_auc}: lower --min-auc")
    unknown = [a for a in args.condition if a not in clf.names]
    if unknown:
        raise ValueError(f"--condition: the classifier has no attribute {unknown[0]!r}")
    samples, check = (64, 16) if args.dry_run else (args.samples, args.check_samples)
    norm = args.norm or DEFAULT_NORM

    def progress(stage, done, total):
        print(f"{stage} {done}/{total}", end="\n" if done == total else "\r", file=sys.stderr)

    found = attribute_directions(pipe, clf, attributes, samples=samples, method=args.method, fraction=args.fraction,
                                 norm=norm, generator=torch.Generator().manual_seed(args.seed),
                                 conditioned_on=args.condition,
                                 check_samples=check, check_step=args.check_step, progress_fn=progress)
    for name, d in found.items():
        auc = validation.get(name, {}).get("auc")
        d.details["classifier_validation"] = {k: v for k, v in validation.get(name, {}).items()
                                              if k in ("auc", "accuracy", "mae", "n")}
        change, control = d.details.get("change"), d.details.get("random_direction_change")
        print(f"{name:<20} consistency {d.consistency}  change {change} (random directions: +-{control})"
              + (f"  classifier val AUC {auc}" if auc is not None else ""))
    if args.dry_run:
        print(f"dry run ok: {len(found)} directions from {samples} samples; nothing written")
        return 0
    out = Path(args.out) if args.out else directions_folder(args.generator)
    info = {
        "generator": pipe.name,
        "classifier": classifier.card.get("name", str(classifier.path)),
        "classifier_path": str(classifier.path),
        "unit": NORM_CONVENTION.format(norm=norm),
        "norm": norm,
        "ui_range": [-1.0, 1.0],
        "consistency": f"share of {check} latents of another seed ({args.seed + 1}) whose classifier score "
                       f"rises from z to z + {args.check_step} * direction",
        "change": f"mean change of the attribute's score from z to z + {args.check_step} * direction "
                  "(probability; years for age)",
        "random_direction_change": "mean size of that change along 8 random directions of the same length "
                                   "(the control)",
        "side_effects": f"mean change of each classifier output from z to z + {args.check_step} * direction "
                        "(probability; years for age)",
        "method": args.method,
        "conditioned_on": args.condition,
        "command": command_line(argv),
        "seed": args.seed,
    }
    save_directions(out, found, info)
    print(f"wrote {len(found)} directions to {out}")
    return 0


def _turn(args, argv: list[str]) -> int:
    import torch

    import gan_core
    from gan_core.core.hub import GAN
    from gan_core.explore.attributes import directions_folder
    from gan_core.explore.pose import MONOTONE, TURN_LENGTH, check_turn, pose_direction, save_turn

    _check_positive(samples=args.samples, seeds=args.seeds)
    if args.randoms < 0:
        raise ValueError("--randoms must be 0 or more")
    samples, seeds, randoms = (200, 4, 2) if args.dry_run else (args.samples, args.seeds, args.randoms)
    pipe = gan_core.load(args.generator, task=GAN)
    direction = pose_direction(pipe, samples=samples, generator=torch.Generator().manual_seed(args.seed))
    check = check_turn(pipe, direction, seeds=seeds, randoms=randoms)
    random = sorted(check.random_turned)
    print(f"| direction | rows that turn (of {seeds}) | mean pose change, t = -1 to +1 |\n|---|---:|---:|\n"
          f"| turn (mirror_pose, fitted on {samples:,} faces) | {check.turned} | {check.change:+.3f} |")
    if random:
        print(f"| {randoms} random directions, same length | {random[len(random) // 2]} (median; "
              f"{random[0]}-{random[-1]}) | {check.random_change:.3f} (size) |")
    print(f"A row turns when pose_score rises with t (Spearman >= {MONOTONE}) by at least {check.spread:.3f}, "
          "one standard deviation over faces; random directions count turning either way.")
    if args.dry_run:
        print("dry run ok: nothing written")
        return 0
    info = {"generator": pipe.name, "method": "ridge regression of mirror_pose on the latents, the ridge "
                                               "direction of side_light projected out",
            "samples": samples, "fit_seed": args.seed, "length": f"{TURN_LENGTH} x sqrt(nz)",
            "meaning": "+ turned towards the viewer's left, - towards the right",
            "check": {"measure": "pose_score", "seeds": f"0-{seeds - 1}", "ts": "9 steps from -1 to +1",
                      "monotone": f"Spearman >= {MONOTONE} and a change of at least {check.spread:.4f}",
                      "turned": check.turned, "mean_change": round(check.change, 4),
                      "random_turned": list(check.random_turned), "random_change": round(check.random_change, 4)},
            "command": command_line(argv)}
    path = save_turn(Path(args.out) if args.out else directions_folder(args.generator), direction, info)
    print(f"wrote {path}")
    return 0


def _render(args, argv: list[str]) -> int:
    import torch

    import gan_core
    from gan_core.core.hub import GAN
    from gan_core.explore.attributes import AttributeDirection, load_directions
    from gan_core.explore.directions import along
    from gan_core.explore.pose import load_turn
    from gan_core.core.images import make_grid
    from gan_core.explore.latents import latents_for_seeds

    pipe = gan_core.load(args.generator, task=GAN)
    dirs = load_directions(args.directions or args.generator)
    turn = load_turn(args.directions or args.generator)
    if turn is not None:  # the shipped turn (`attributes turn`) draws like any direction
        dirs["turn"] = AttributeDirection("turn", turn[0], turn[1].get("method", ""), int(turn[1].get("samples", 0)),
                                          None, turn[1])
    if not dirs:
        raise ValueError(f"no directions for {args.generator}: run `{PROG} directions` first")
    unknown = [a for a in args.attributes if a not in dirs]
    if unknown:
        raise ValueError(f"no direction {unknown[0]!r}; there are: {', '.join(sorted(dirs))}")
    rows = []
    for a in args.attributes:
        for z in latents_for_seeds(pipe.spec, args.seeds):
            rows.append(along(z, dirs[a].direction, args.ts))
    make_grid(pipe.decode(torch.cat(rows)), nrow=len(args.ts)).save(args.output)
    print(f"wrote {args.output}: rows {', '.join(f'{a} seed {s}' for a in args.attributes for s in args.seeds)}; "
          f"columns t = {' '.join(map(str, args.ts))}")
    return 0

