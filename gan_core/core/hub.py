"""Where checkpoints are: find, open and list them by name and task.

A checkpoint is a folder holding `model_card.json` beside its weights. The card's
"task" says what the network does, and so which pipeline `gan_core.load` builds
from it (as diffusers' from_pretrained reads a saved config):

    gan                       a GAN generator (cards without a "task" are GANs: the first cards had none)
    super-resolution          an SR network (SRResNet, RRDBNet)
    style-transfer            a photo-to-painting tile translator
    window-detection          a facade window detector (a small U-Net)
    attribute-classification  a face attribute classifier
    shape-classification      a judge of the built-in shapes (five shapes or "none")
    image-classification      a classifier of 32 px images by class (the metrics' feature network)
    latent-encoder            an encoder from pictures to one generator's latent space (projection's first guess)

A checkpoint is named by
  * a shipped name (`faces-dcgan64`), looked up in the folders of $GAN_CORE_CHECKPOINTS
    (os.pathsep separated), then in the repository's `checkpoints/`;
  * a folder with a model card, or a file inside one;
  * a training run's folder, whose `export/` holds the card.

>>> from gan_core.core.hub import SUPER_RESOLUTION, list_checkpoints, open_checkpoint
>>> list_checkpoints(task=SUPER_RESOLUTION)                        # doctest: +SKIP
['faces-litesrgan-x4', 'photo-litesr-x4', 'photo-litesrgan-x4']
>>> folder, card = open_checkpoint("photo-litesr-x4", SUPER_RESOLUTION)   # doctest: +SKIP
"""
from __future__ import annotations

import os
from pathlib import Path

from gan_core.core.checkpoints import CARD_FILE, read_json
from gan_core.core.errors import CheckpointError

GAN = "gan"
SUPER_RESOLUTION = "super-resolution"
STYLE_TRANSFER = "style-transfer"
WINDOW_DETECTION = "window-detection"
ATTRIBUTE_CLASSIFICATION = "attribute-classification"
SHAPE_CLASSIFICATION = "shape-classification"
IMAGE_CLASSIFICATION = "image-classification"
LATENT_ENCODER = "latent-encoder"
# What a checkpoint of each task is, for messages.
TASKS = {GAN: "a GAN generator", SUPER_RESOLUTION: "a super-resolution network",
         STYLE_TRANSFER: "a style-transfer network", WINDOW_DETECTION: "a window detector",
         ATTRIBUTE_CLASSIFICATION: "an attribute classifier", SHAPE_CLASSIFICATION: "a shape classifier",
         IMAGE_CLASSIFICATION: "an image classifier", LATENT_ENCODER: "a latent encoder"}

REPO_CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def checkpoint_dirs() -> list[Path]:
    """Where shipped names are looked up: $GAN_CORE_CHECKPOINTS (os.pathsep separated),
    then the repository's `checkpoints/`."""
    extra = [Path(p) for p in os.environ.get("GAN_CORE_CHECKPOINTS", "").split(os.pathsep) if p]
    return extra + [REPO_CHECKPOINTS]


def checkpoint_name(card: dict, path: Path | None, default: str) -> str:
    """A loaded checkpoint's name: its card's, else its folder's, else `default` (a model
    built in memory)."""
    return card.get("name") or (path.name if path else default)


def card_task(card: dict) -> str:
    """The task a model card names: GAN when it names none."""
    task = card.get("task", GAN)
    if not isinstance(task, str):
        raise CheckpointError(f"a model card's \"task\" must be one of {', '.join(TASKS)}, not {task!r}")
    return task


def list_checkpoints(task: str | None = GAN) -> list[str]:
    """Names of the checkpoints (folders holding a model card) of one task, GAN
    generators by default; task=None lists all of them. A card that cannot be read
    counts as a GAN, so that loading it gives its error."""
    names = []
    for root in checkpoint_dirs():
        if root.is_dir():
            names += [p.name for p in sorted(root.iterdir()) if (p / CARD_FILE).is_file() and p.name not in names
                      and (task is None or _task_of_folder(p) == task)]
    return names


def _task_of_folder(folder: Path) -> str:
    try:
        card = read_json(folder / CARD_FILE)
        return card_task(card) if isinstance(card, dict) else GAN
    except CheckpointError:
        return GAN


def find_checkpoint(name_or_path: str | Path, task: str | None = None) -> Path:
    """The folder of a checkpoint: a shipped name, a folder with a model card, a
    training run's folder (its export/), or a file inside one. Raises CheckpointError
    naming the checkpoints there are (of `task`, when given) if there is none."""
    p = Path(name_or_path).expanduser()
    if p.is_file():
        p = p.parent
    if (p / CARD_FILE).is_file():
        return p
    if p.is_dir() and (p / "export" / CARD_FILE).is_file():  # a training run's folder
        return p / "export"
    if len(p.parts) == 1:
        for root in checkpoint_dirs():
            if (root / str(name_or_path) / CARD_FILE).is_file():
                return root / str(name_or_path)
    what = f"{task} checkpoint" if task not in (None, GAN) else "checkpoint"
    known = ", ".join(list_checkpoints(task=task)) or "none here"
    raise CheckpointError(f"no {what} {str(name_or_path)!r}: give a shipped name ({known}) "
                          f"or a folder with {CARD_FILE}")


def open_checkpoint(name_or_path: str | Path, task: str | None = None) -> tuple[Path, dict]:
    """(folder, model card) of a checkpoint (see find_checkpoint), without loading weights.

    The card must name a task this library knows; with `task` given, that task
    (CheckpointError otherwise, saying what the checkpoint is instead)."""
    folder = find_checkpoint(name_or_path, task)
    card = read_json(folder / CARD_FILE)
    if not isinstance(card, dict):
        raise CheckpointError(f"{folder / CARD_FILE} must hold a JSON object (with \"model\" and \"files\"), "
                              f"not a {type(card).__name__}")
    found = card_task(card)
    if found not in TASKS:
        raise CheckpointError(f"{folder / CARD_FILE} names the task {found!r}, which this library does not load: "
                              f"the tasks are {', '.join(TASKS)}")
    if task is not None and found != task:
        others = ", ".join(list_checkpoints(task=task)) or "none here"
        article = "an" if found[0] in "aeiou" else "a"
        raise CheckpointError(f"{name_or_path} is {article} {found} checkpoint, not {TASKS[task]}: its card says "
                              f"\"task\": \"{found}\", and gan_core.load() without task= loads it as that. "
                              f"The {task} checkpoints: {others}")
    check_card_sizes(folder, card, found)
    return folder, card


# The sizes a card may ask the loaders to build, by task: (where in the card, field, lowest,
# highest). Each range holds every network this library trains with room to spare (the
# shipped SRResNet has 16 blocks of 64 channels; the style translator width 32 and 3
# blocks), and keeps the largest network a card can describe to a few hundred MB, so a
# card cannot make a loader allocate what the machine does not have.
CARD_LIMITS = {
    SUPER_RESOLUTION: [("", "scale", 2, 8), ("config", "scale", 2, 8), ("config", "blocks", 1, 64),
                       ("config", "channels", 8, 256)],
    STYLE_TRANSFER: [("config", "g_width", 4, 128), ("config", "g_blocks", 0, 16), ("config", "tile", 16, 1024)],
    WINDOW_DETECTION: [("detector", "width", 1, 128), ("detector", "image_size", 8, 1024)],
    ATTRIBUTE_CLASSIFICATION: [("classifier", "width", 1, 256), ("classifier", "image_size", 8, 1024)],
    SHAPE_CLASSIFICATION: [("classifier", "width", 1, 256), ("classifier", "image_size", 32, 32)],
    IMAGE_CLASSIFICATION: [("classifier", "width", 1, 256), ("classifier", "image_size", 32, 32)],
    LATENT_ENCODER: [("encoder", "width", 1, 512), ("encoder", "image_size", 16, 256), ("encoder", "nz", 1, 4096)],
}
MAX_HEADS = 256  # attributes one classifier may score (CelebA has 40)


def check_card_sizes(folder: Path, card: dict, task: str) -> None:
    """CheckpointError when a field that sets a network's size is not a whole number in
    its range (CARD_LIMITS); a GAN's config.width is checked by its ModelSpec."""
    where = folder / CARD_FILE
    for section, field, lo, hi in CARD_LIMITS.get(task, []):
        part = card.get(section) if section else card
        if not isinstance(part, dict) or field not in part:
            continue
        value = part[field]
        name = f"{section}.{field}" if section else field
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
                or value in (float("inf"), float("-inf")) or int(value) != value:
            raise CheckpointError(f"{where}: {name} must be a whole number from {lo} to {hi}, not {value!r}")
        if not lo <= value <= hi:
            raise CheckpointError(f"{where}: {name} is {value:,}, outside {lo} to {hi}: no network this library "
                                  "builds is that size (a damaged or hostile card); refused before building it")
    heads = (card.get("classifier") or {}).get("heads") if isinstance(card.get("classifier"), dict) else None
    if task == ATTRIBUTE_CLASSIFICATION and isinstance(heads, list) and len(heads) > MAX_HEADS:
        raise CheckpointError(f"{where}: classifier.heads lists {len(heads):,} attributes, over the limit of "
                              f"{MAX_HEADS}; refused before building it")


def weights_file(folder: Path, card: dict, key: str, default: str) -> Path:
    """The weights file the card names under files.`key`: a plain file name inside
    the checkpoint folder (a card cannot point elsewhere)."""
    files = card.get("files", {})
    name = files.get(key, default) if isinstance(files, dict) else None
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise CheckpointError(f"{folder / CARD_FILE}: files.{key} must be a file name inside the checkpoint "
                              f"folder, not {name!r}")
    return folder / name
