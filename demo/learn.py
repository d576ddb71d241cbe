"""The "Learn" tab: the discriminator as a feature extractor (DCGAN section 5).

Shows the linear probe of a shipped checkpoint beside the paper's figures: the
results come from its model card (`metrics.probe`, written by
`python -m gan_core probe CHECKPOINT --data ... --write-card`) or from a
`probe.json` in its folder. Without them the tab says what is missing.

>>> from demo.learn import learn_view
>>> markdown, picture = learn_view("no-such-checkpoint")
>>> markdown.startswith("**No probe results")
True
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr
from PIL import Image

from gan_core.core.checkpoints import CARD_FILE, read_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import find_checkpoint
from gan_core.evaluation.probe import KMEANS_ACCURACY, PAPER_ACCURACY, PROBE_CONFUSION_FILE, confusion_image

from .common import duration
from .files import png_file

LEARN_CHECKPOINT = "cifar10-dcgan32"
PROBE_RESULTS_FILE = "probe.json"  # `probe --out` written into the checkpoint folder

INTRO = """\
### The discriminator as a feature extractor

Section 5 of the DCGAN paper asks what the discriminator learned on the way: freeze it, take every
layer's activations max-pooled to a 4x4 grid, and train only a linear classifier on top for
CIFAR-10's ten classes. The better a linear read-out does, the more of "what is in the picture"
the features already hold, though the GAN never saw a label.
"""

WHY = """\
**Why this works.** To tell real photographs from forgeries, the discriminator has to notice
everything that makes an image look real (edges, colours, textures, parts of objects and how they
fit together), so its layers become a general description of natural images, learned without a
single label. The untrained row is the same network before that game: random filters already
give something, and the gap is what adversarial training added.
"""

HOW = ("Run it yourself: `python -m gan_core probe {name} --data ../shared/data/cifar10/cifar10.tar.gz "
       "--write-card` (4 minutes on a 2-core CPU with all 50,000 training images; `--max-train 5000` "
       "for a quick look).")


def _percent(value) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, (int, float)) else "?"


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def load_results(name_or_path: str = LEARN_CHECKPOINT) -> tuple[dict | None, dict | None, str | None]:
    """(probe results, model card, folder) of a checkpoint; None for what is absent."""
    try:
        folder = find_checkpoint(name_or_path)
    except CheckpointError:
        return None, None, None
    try:
        card = read_json(folder / CARD_FILE)
    except CheckpointError:
        return None, None, str(folder)
    card = card if isinstance(card, dict) else {}
    probe = (card.get("metrics") or {}).get("probe") if isinstance(card.get("metrics"), dict) else None
    if not isinstance(probe, dict) and (folder / PROBE_RESULTS_FILE).is_file():
        try:
            probe = read_json(folder / PROBE_RESULTS_FILE)
        except CheckpointError:
            probe = None
    ok = isinstance(probe, dict) and isinstance(probe.get("trained"), dict)
    return (probe if ok else None), card, str(folder)


def training_budget(card: dict) -> str:
    """How the checkpoint was trained, in the card's figures: steps, epochs, wall time and
    hardware, and for a run started --init-from another, both runs and their sum."""
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    steps, seconds = training.get("steps"), training.get("wall_time_s")
    epochs = training.get("epochs")
    epochs = f"{epochs:g} epochs" if isinstance(epochs, (int, float)) else "? epochs"
    budget = f"{_count(steps)} steps ({epochs}) of CIFAR-10 in {duration(seconds)}"
    origin = training.get("init_from")
    if isinstance(origin, dict):  # the weights carry both runs' training: say both and their sum
        first_steps, first_seconds = origin.get("steps"), origin.get("wall_time_s")
        numbers = all(isinstance(v, (int, float)) for v in (steps, seconds, first_steps, first_seconds))
        total_steps = _count(steps + first_steps) if numbers else "?"
        total_time = duration(seconds + first_seconds) if numbers else "?"
        budget = (f"{total_steps} steps of CIFAR-10 in {total_time}, in two runs: an earlier run's "
                  f"{_count(first_steps)} steps ({duration(first_seconds)}), then {_count(steps)} "
                  f"({epochs}, {duration(seconds)})")
    return f"{budget}; {training.get('hardware', '?')}"


def results_markdown(probe: dict, card: dict, name: str) -> str:
    """The paper, K-means, this checkpoint, its earlier versions and its untrained baseline as a table."""
    trained, random = probe["trained"], probe.get("random") or {}
    reference = probe.get("reference") if isinstance(probe.get("reference"), dict) else {}
    rows = [
        ("DCGAN paper: its discriminator", reference.get("paper_dcgan", PAPER_ACCURACY),
         "Imagenet-1k, not CIFAR-10 (28,672 features, L2-SVM)"),
        ("K-means, 1 layer, 4,800 features (the paper's baseline)", reference.get("kmeans", KMEANS_ACCURACY),
         "no GAN"),
        (f"`{name}`: its trained discriminator", trained.get("test_accuracy"), training_budget(card)),
    ]
    history = probe.get("history") if isinstance(probe.get("history"), dict) else {}
    for when, score in history.items():  # earlier versions the card kept a score of
        accuracy = score.get("test_accuracy") if isinstance(score, dict) else None
        if accuracy != trained.get("test_accuracy"):
            rows.append((f"`{name}` after {when}", accuracy, "an earlier version of it"))
    if random:
        rows.append((f"`{name}`: the same discriminator, untrained", random.get("test_accuracy"),
                     "none: its starting weights"))
    lines = ["| features | CIFAR-10 test accuracy | training |", "|---|---:|---|"]
    lines += [f"| {what} | {_percent(acc)} | {note} |" for what, acc, note in rows]
    lines.append("")
    l2 = trained.get("l2")
    l2 = format(l2, "g") if isinstance(l2, (int, float)) else "?"
    lines.append(f"Logistic regression on {_count(trained.get('feature_dim'))} features per image, L2 strength "
                 f"{l2} chosen on "
                 f"{_count(probe.get('validation_images'))} held-out training images, refitted on "
                 f"{_count(probe.get('train_images'))} and scored on {_count(probe.get('test_images'))} "
                 "test images.")
    gain = [score.get("test_accuracy") for score in (trained, random)]
    if all(isinstance(v, (int, float)) for v in gain):
        lines.append(f"Adversarial training moved the test accuracy by {100 * (gain[0] - gain[1]):+.1f} points "
                     "over the untrained network.")
    return "\n".join(lines)


def confusion_picture(probe: dict, folder: str) -> Image.Image | None:
    """The saved confusion matrix, or one drawn from the numbers in the results."""
    path = Path(folder) / PROBE_CONFUSION_FILE
    if path.is_file():
        try:
            with Image.open(path) as img:
                return img.convert("RGB")
        except OSError:
            pass  # damaged: draw it again from the numbers
    matrix, names = probe["trained"].get("confusion"), probe.get("class_names") or []
    if not matrix:
        return None
    return confusion_image(matrix, names, title=f"test accuracy {_percent(probe['trained'].get('test_accuracy'))}")


def learn_view(name_or_path: str = LEARN_CHECKPOINT) -> tuple[str, str | None]:
    """(markdown with the results table or a note saying what is missing, PNG file of
    the confusion matrix or None)."""
    probe, card, folder = load_results(name_or_path)
    if folder is None:
        return (f"**No probe results: the checkpoint `{name_or_path}` is not installed.** It is the DCGAN-32 "
                "trained on CIFAR-10 whose discriminator this tab probes; put its folder in `checkpoints/` "
                "(or in a folder named by `GAN_CORE_CHECKPOINTS`).", None)
    if probe is None:
        return (f"**No probe results for `{name_or_path}` yet.** " + HOW.format(name=name_or_path), None)
    name = card.get("name") or name_or_path
    picture = confusion_picture(probe, folder)
    return results_markdown(probe, card, name), (png_file(picture) if picture is not None else None)


def build_learn_tab() -> None:
    markdown, picture = learn_view()
    with gr.Tab("Learn", id="learn"):
        gr.Markdown(INTRO)
        gr.Markdown(markdown, elem_id="learn-results")
        # The picture carries its own title; a label badge would sit over it.
        gr.Image(value=picture, label="Confusion matrix on the test images (rows: true class)", show_label=False,
                 type="filepath", interactive=False, visible=picture is not None, elem_id="learn-confusion", format="png")
        gr.Markdown(WHY)
