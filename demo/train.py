"""The "Train" tab: train a GAN on this server and watch it learn.

The server trains one model at a time (gan_core.training.jobs.JobRunner); the others wait in
line and see their place. A page holds only its own job's id, so nobody sees or
stops another person's run; its browser keeps a random owner key (localStorage), so
after a reload, or a restart of the server, the page finds its run again and can
resume it. Closing the page, or leaving it unseen for IDLE_TIMEOUT_S (the tab's timer
is the heartbeat), stops the run after it saves a checkpoint. One run of each owner
trains or waits at a time, and one run asks for at most about an hour of this
machine's computing (`GAN_STUDIO_TRAIN_HOURS` raises it). The handlers are plain
functions, so tests call them directly.
"""
from __future__ import annotations

import functools
import html
import json
import math
import os
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr
import pandas as pd
from PIL import Image

from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.errors import DataError
from gan_core.data.downloads import CIFAR10_CLASSES, fetch_cifar10
from gan_core.data.image_set import is_built_in_shapes
from gan_core.data.uploads import MAX_UPLOAD_BYTES, check_training_archive
from gan_core.models import get_model
from gan_core.training.jobs import (
    ACTIVE, BUDGET_HOURS, FAILED, FINISHED, MAX_AGE_S, QUEUED, STOPPED, STOPPING, JobNotFound, JobRunner, QueueFull,
    TooMuchWork,
    work_budget,
)
from gan_core.training.gan import SHAPE_SHARE, TrainConfig
from gan_core.training.recipes import CLASSROOM, CLASSROOM_IMAGES

from . import trained
from .common import check_name, duration, error_text, generator_choices, input_error, whole_number

MODELS = ["dcgan32", "keras-gan32", "dcgan64", "celeb28"]  # the first is the classroom default
# Widths (fractions of the paper's channels). The papers' networks are sized for GPUs:
# keras-gan32 costs ~4 G multiply-adds per image, a few images a second on 2 CPU cores.
WIDTHS = [("paper (1)", 1.0), ("1/2", 0.5), ("1/4", 0.25), ("1/8", 0.125)]
CPU_WIDTH = {"keras-gan32": 0.25, "celeb28": 0.25, "dcgan64": 0.5, "dcgan32": 1.0}
DEFAULT_STEPS = {"keras-gan32": 600, "dcgan64": 400, "celeb28": 400}
MAX_STEPS = 100_000
SOURCES = [("Shapes (built in)", "shapes"), ("Upload a .zip of images", "upload"),
           ("Folder on this server", "server"), ("CIFAR-10 (download)", "cifar10")]
SHAPES_IMAGES = CLASSROOM_IMAGES


def data_sources() -> list[tuple[str, str]]:
    """The choices of training images: "Folder on this server" only when the operator offers one."""
    return [(label, value) for label, value in SOURCES if value != "server" or SERVER_DATA]


LOG_EVERY = 5  # steps per curve point: the loop syncs with the device this often
CHECKPOINT_EVERY = 200

IDLE_TIMEOUT_S = 10 * 60  # a run whose page has not polled it for this long stops (after a checkpoint)


def train_hours() -> float:
    """The computing one run may ask for, in hours of this machine (see
    gan_core.training.jobs.work_budget): BUDGET_HOURS, or $GAN_STUDIO_TRAIN_HOURS."""
    try:
        hours = float(os.environ.get("GAN_STUDIO_TRAIN_HOURS", BUDGET_HOURS))
    except ValueError:
        return BUDGET_HOURS
    return hours if math.isfinite(hours) and hours > 0 else BUDGET_HOURS


# The budget is measured when asked: app.py sets torch's threads after importing this module.
RUNNER = JobRunner(Path(tempfile.gettempdir()) / "gan-studio-jobs", max_work=lambda: work_budget(hours=train_hours()),
                   one_per_owner=True, idle_timeout_s=IDLE_TIMEOUT_S)
# Folders the operator offers for training (`python app.py --train-data NAME=PATH`, or
# GAN_STUDIO_TRAIN_DATA="NAME=PATH;NAME=PATH"). Users choose a name, never type a path.
SERVER_DATA: dict[str, str] = {}
# session -> job id, so that closing a page stops that page's run.
_SESSIONS: dict[str, str] = {}
_SESSIONS_LOCK = threading.Lock()


def configure_server_data(pairs: list[str] | None = None) -> dict[str, str]:
    """Parse NAME=PATH pairs (from the command line and the environment) into SERVER_DATA."""
    env = [p for p in os.environ.get("GAN_STUDIO_TRAIN_DATA", "").split(";") if p.strip()]
    for pair in [*env, *(pairs or [])]:
        name, sep, path = pair.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ValueError(f"training data must be given as NAME=PATH, not {pair!r}")
        if not Path(path.strip()).expanduser().exists():
            raise ValueError(f"training data {name.strip()!r}: {path.strip()} does not exist")
        SERVER_DATA[name.strip()] = str(Path(path.strip()).expanduser())
    return SERVER_DATA


# ----------------------------------------------------------------------------- handlers


def defaults_for(model: str, on_gpu: bool | None = None):
    """The settings a run of `model` starts from: width, steps, batch, lr_g, lr_d, beta1,
    beta2, label noise and the generator average's half-life. The classroom model takes
    the classroom recipe (gan_core.training.recipes.CLASSROOM, at the paper's width on a
    GPU); the others their paper's values, at a CPU width on a CPU."""
    spec = get_model(check_name(model, MODELS, "architecture"))
    if on_gpu is None:
        import torch
        on_gpu = torch.cuda.is_available()
    if model == CLASSROOM.model:
        c = CLASSROOM
        return (1.0 if on_gpu else c.width, c.steps, c.batch_size, c.lr_g, c.lr_d, c.beta1, c.beta2,
                c.label_noise or 0.0, c.ema_images)
    d = spec.defaults
    return (1.0 if on_gpu else CPU_WIDTH.get(model, 1.0), DEFAULT_STEPS.get(model, 500), d["batch_size"],
            d["lr_g"], d["lr_d"], d.get("beta1") or 0.5, d.get("beta2") or 0.999, d.get("label_noise") or 0.0, 0)


def _number(value, name: str, low: float | None = None, high: float | None = None, whole: bool = False) -> float:
    """A field's value as a number (an int when whole); the bounds of a training setting
    are TrainConfig.check()'s, those given here are this server's own."""
    if value is None or value == "" or isinstance(value, bool):
        raise input_error(f"Enter a value for {name}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise input_error(f"{name} must be a number, not {value!r}.") from None
    if low is not None and (not math.isfinite(v) or not low <= v <= high or (whole and v != int(v))):
        kind = "a whole number" if whole else "a number"
        raise input_error(f"{name} must be {kind} from {low:g} to {high:g}, not {value!r}.")
    return int(v) if math.isfinite(v) and v == int(v) else v


def _job_of(job_id) -> str | None:
    return job_id if isinstance(job_id, str) and job_id else None


def start_training(model, width, source, upload, server_name, cifar_classes, steps, batch_size, lr_g, lr_d,
                   beta1, label_noise, sample_every, job_id, owner="", beta2=None, ema_images=0,
                   request: gr.Request | None = None):
    """Handler of Start: check everything, keep the data in a new job folder, queue
    the job for `owner` (the browser's key; else the page's session). Returns the new
    job's id. Bad input raises gr.Error and queues nothing."""
    current = _job_of(job_id)
    if current:
        try:
            if RUNNER.snapshot(current).state in ACTIVE:
                raise input_error("Your run is still training or waiting: stop it before starting another.")
        except JobNotFound:
            pass
    model = check_name(model, MODELS, "architecture")
    width = _number(width, "the width")
    steps = _number(steps, "Steps", 1, MAX_STEPS, whole=True)  # this server's cap
    batch_size = _number(batch_size, "The batch size")
    lr_g = _number(lr_g, "The generator's learning rate")
    lr_d = _number(lr_d, "The discriminator's learning rate")
    beta1 = _number(beta1, "Adam's beta1")
    beta2 = None if beta2 is None else _number(beta2, "Adam's beta2")
    ema_images = _number(ema_images, "The average's half-life")
    label_noise = _number(label_noise, "The label noise")
    sample_every = _number(sample_every, "Samples every")
    spec = get_model(model)
    config = TrainConfig(model=model, width=width, steps=steps, batch_size=batch_size, lr_g=lr_g, lr_d=lr_d,
                         beta1=beta1 if "beta1" in spec.defaults else None,
                         beta2=beta2 if "beta1" in spec.defaults else None, ema_images=ema_images,
                         label_noise=label_noise,
                         sample_every=sample_every, log_every=LOG_EVERY,
                         checkpoint_every=max(CHECKPOINT_EVERY, sample_every), n_samples=64,
                         name=f"{model}-{source}", command=None)
    try:
        config.check()
    except ValueError as exc:
        raise input_error(str(exc)[:1].upper() + str(exc)[1:] + ".") from None
    prepare = _data_preparer(source, upload, server_name, cifar_classes, config)
    session = getattr(request, "session_hash", None) or ""
    owner = owner if isinstance(owner, str) and owner else (f"session-{session}" if session else "")
    try:
        job = RUNNER.submit(config, prepare=prepare, owner=owner)
    except QueueFull as exc:
        raise gr.Error(_sentence(str(exc)), print_exception=False) from None
    except TooMuchWork as exc:
        raise input_error(_sentence(str(exc))) from None
    except DataError as exc:
        raise input_error(f"The data was refused: {error_text(exc)}") from None
    _watch(request, job.id)
    return job.id


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _watch(request, job_id: str) -> None:
    """Remember the page's job, so that closing the page stops it."""
    if request is not None and getattr(request, "session_hash", None):
        with _SESSIONS_LOCK:
            _SESSIONS[request.session_hash] = job_id


def restore(owner, request: gr.Request | None = None) -> tuple[str, str]:
    """Opening the page: (the browser's owner key, made on its first visit; its newest
    run's id, or "" without one), so a reload or a server restart finds the run again."""
    if not (isinstance(owner, str) and re.fullmatch(r"[0-9a-f]{32}", owner)):
        owner = secrets.token_hex(16)
    jobs = RUNNER.jobs_of(owner)
    if jobs and RUNNER.snapshot(jobs[0]).state in ACTIVE:
        _watch(request, jobs[0])
    return owner, jobs[0] if jobs else ""


def _data_preparer(source, upload, server_name, cifar_classes, config: TrainConfig):
    """Check the chosen data now (so a refusal comes before the wait in line) and
    return what puts it into the job's folder and names it in the config."""
    if source == "shapes":
        return lambda folder: _recorded(replace(config, data=[f"shapes:{SHAPES_IMAGES}"]))
    if source == "upload":
        if not upload:
            raise input_error("Choose a .zip (or .tar) of images to upload first.")
        upload = Path(upload if isinstance(upload, str) else getattr(upload, "name", ""))
        try:
            report = check_training_archive(upload)
        except DataError as exc:
            raise input_error(f"The upload was refused: {exc}") from None
        suffix = ".zip" if upload.suffix.lower() == ".zip" else "".join(upload.suffixes[-2:]) or ".tar"

        def keep_upload(folder: Path) -> TrainConfig:
            # A copy in the job's folder: Resume reads the same bytes after Gradio's
            # upload cache is cleared. Only this checked copy is ever read.
            dest = folder / f"data{suffix if suffix.startswith('.') else '.zip'}"
            shutil.copyfile(upload, dest)
            return _recorded(replace(config, data=[str(dest)], cache_dir=str(folder / "cache"),
                                     name=f"{config.model}-upload-{report.images}img"), ["images.zip"])
        return keep_upload
    if source == "server":
        if server_name not in SERVER_DATA:
            offered = ", ".join(SERVER_DATA) or "none (the operator starts the app with --train-data NAME=PATH)"
            raise input_error(f"Choose one of the folders this server offers: {offered}.")
        return lambda folder: _recorded(replace(config, data=[SERVER_DATA[server_name]],
                                                name=f"{config.model}-{server_name}"), [server_name])
    if source == "cifar10":
        classes = [c for c in (cifar_classes or []) if c]
        unknown = [c for c in classes if c not in CIFAR10_CLASSES]
        if unknown:
            raise input_error(f"CIFAR-10 has no class {', '.join(unknown)}.")

        def download(folder: Path) -> TrainConfig:
            dest = fetch_cifar10(folder / "cifar10.zip", classes=classes or None)
            label = "-".join(classes) if classes and len(classes) <= 3 else "all"
            return _recorded(replace(config, data=[str(dest)], cache_dir=str(folder / "cache"),
                                     name=f"{config.model}-cifar10-{label}"), [f"cifar10-{label}.zip"])
        return download
    raise input_error("Choose where the training images come from.")


def _recorded(config: TrainConfig, data: list[str] | None = None) -> TrainConfig:
    """`config` with the command its card records: the `python -m gan_core train` line that
    trains the same run, with `data` naming the images where they lie under a server path."""
    return replace(config, command=replace(config, out=f"runs/{config.name}").command_line(data))


def stop_training(job_id):
    job_id = _job_of(job_id)
    if not job_id:
        raise input_error("Nothing to stop: start a run first.")
    try:
        RUNNER.stop(job_id)
    except JobNotFound:
        raise input_error("This run is gone (the server deletes runs left alone for a day).") from None


def resume_training(job_id, steps, request: gr.Request | None = None):
    job_id = _job_of(job_id)
    if not job_id:
        raise input_error("Nothing to resume: start a run first.")
    steps = _number(steps, "Steps", 1, MAX_STEPS, whole=True)
    try:
        RUNNER.resume(job_id, steps=steps)
    except JobNotFound:
        raise input_error("This run is gone (the server deletes runs left alone for a day).") from None
    except QueueFull as exc:
        raise gr.Error(_sentence(str(exc)), print_exception=False) from None
    except TooMuchWork as exc:
        raise input_error(_sentence(str(exc))) from None
    except ValueError as exc:  # e.g. finished: Steps must be raised to train on
        raise input_error(f"Cannot resume: {exc} (raise Steps to train on).") from None
    _watch(request, job_id)


def end_session(request: gr.Request) -> None:
    """Closing the page: stop that page's run (it saves a checkpoint first)."""
    with _SESSIONS_LOCK:
        job_id = _SESSIONS.pop(getattr(request, "session_hash", None) or "", None)
    if job_id:
        try:
            RUNNER.stop(job_id)
        except JobNotFound:
            pass


@dataclass
class View:
    """What the tab shows of a job at one moment."""

    progress: str
    status: str
    losses: pd.DataFrame | None
    outputs: pd.DataFrame | None
    shapes: pd.DataFrame | None  # the share of samples the shapes judge takes for a shape, in %
    sample: object
    real: object  # the grid of training images the run set beside its samples
    active: bool
    has_checkpoint: bool
    can_resume: bool
    on_shapes: bool = True  # the run (or, without one, the default) trains on the built-in shapes


# No curve yet is None, not an empty table: the plot fixes its colours on the first
# table it gets, and an empty one would leave every later line without a colour.
EMPTY_CURVES = None
LOSS_COLOURS = {"D loss": "#d62728", "G loss": "#1f77b4"}
SHAPE_CURVE = "look like a shape"
SHAPE_COLOURS = {SHAPE_CURVE: "#9467bd"}
OUTPUT_COLOURS = {"D(x): real images": "#2ca02c", "D(G(z)): generated": "#ff7f0e"}


def job_view(job_id) -> View:
    job_id = _job_of(job_id)
    if not job_id:
        return View(_progress_html(0, 0, "no run yet"), "No run yet: choose a model and data, then **Start**.",
                    EMPTY_CURVES, EMPTY_CURVES, EMPTY_CURVES, None, None, False, False, False)
    try:
        RUNNER.touch(job_id)  # the page's timer asks: the run is watched
        job = RUNNER.snapshot(job_id)
        position = RUNNER.position(job_id)
    except JobNotFound:
        return View(_progress_html(0, 0, "no run"), "This run is gone (runs left alone for a day are deleted).",
                    EMPTY_CURVES, EMPTY_CURVES, EMPTY_CURVES, None, None, False, False, False)
    eta = job.eta_s()
    if job.state == QUEUED:
        ahead = (position or 1) - 1
        status = (f"**Waiting in line: number {position}.** The server trains one model at a time; "
                  + ("yours starts when the current run ends." if ahead == 0 else
                     f"{ahead} other run{'s' if ahead > 1 else ''} wait{'s' if ahead == 1 else ''} before yours, "
                     "besides the one training now."))
        note = "waiting"
    elif job.state in (STOPPING,):
        status, note = "**Stopping:** saving a checkpoint…", "stopping"
    elif job.state == FAILED:
        status, note = f"**Stopped with a problem:** {without_paths(job.message, job.folder.parent)}", "stopped"
    elif job.state in (STOPPED, FINISHED):
        status = f"**{job.message[:1].upper() + job.message[1:]}.** " + (
            "Resume continues from the last checkpoint; Use in Explore opens the generator in the other tabs."
            if job.has_checkpoint else "")
        note = "finished" if job.state == FINISHED else "stopped"
    elif job.step == 0:
        status, note = "**Preparing:** reading the images and building the networks…", "starting"
    else:
        last = job.history[-1] if job.history else {}
        judged = [h[SHAPE_SHARE] for h in job.history if SHAPE_SHARE in h]
        status = (f"**Training:** step {job.step:,} of {job.total:,}"
                  + (f" · {last['img_per_s']:,.0f} images/s" if last.get("img_per_s") else "")
                  + (f" · **{100 * judged[-1]:.0f} % of samples look like a shape**" if judged else ""))
        note = "training"
    left = f"about {duration(eta)} left" if eta is not None else note
    rows = [(h["step"], h[k], label) for h in job.history for k, label in
            (("loss_d", "D loss"), ("loss_g", "G loss")) if k in h]
    losses = pd.DataFrame(rows, columns=["step", "value", "curve"]) if rows else EMPTY_CURVES
    rows = [(h["step"], h[k], label) for h in job.history for k, label in
            (("d_x", "D(x): real images"), ("d_g_z1", "D(G(z)): generated")) if k in h]
    outputs = pd.DataFrame(rows, columns=["step", "value", "curve"]) if rows else EMPTY_CURVES
    rows = [(h["step"], 100 * h[SHAPE_SHARE], SHAPE_CURVE) for h in job.history if SHAPE_SHARE in h]
    shapes = pd.DataFrame(rows, columns=["step", "value", "curve"]) if rows else EMPTY_CURVES
    on_shapes = is_built_in_shapes(job.config.data)
    return View(_progress_html(job.step, job.total, left), status, losses, outputs, shapes, job.sample,
                _picture(job.real_sample), job.state in ACTIVE, job.has_checkpoint, job.can_resume, on_shapes)


def _picture(path: Path | None) -> Image.Image | None:
    """The picture at `path`, read once: the page's timer asks for it every second."""
    try:
        return None if path is None else _read_picture(str(path), path.stat().st_mtime_ns)
    except OSError:  # the run's folder was deleted meanwhile
        return None


@functools.lru_cache(maxsize=32)
def _read_picture(path: str, mtime_ns: int) -> Image.Image:
    with Image.open(path) as picture:
        return picture.convert("RGB")


def without_paths(message: str, job_folder: Path) -> str:
    """A job's message without this server's paths: the files of the job's folder by
    what they are, the operator's folders by the names the tab shows."""
    def word(match: re.Match) -> str:
        inside = match.group(1) or ""
        if inside.startswith("/data."):
            return "the uploaded archive"
        if inside.startswith("/cifar10"):
            return "the downloaded CIFAR-10 images"
        return "the run's folder"

    message = re.sub(re.escape(str(job_folder)) + r"(/[^\s:;,'\"()]*)?", word, message)
    for name, path in SERVER_DATA.items():
        message = message.replace(path, f"the server's folder {name!r}")
    return re.sub(re.escape(str(RUNNER.root)) + r"[^\s:;,'\"()]*", "the server's training folder", message)


def _progress_html(step: int, total: int, note: str) -> str:
    """The progress bar and its line: "120 / 600 steps (20 %) · about 2 minutes left", or
    only the note (say, "no run yet") while there is no run to count."""
    if total:
        text = f"{step:,} / {total:,} steps ({100 * step / total:.0f} %)" + (f" · {note}" if note else "")
    else:
        text = note
    return (f'<div class="train-progress"><progress value="{step}" max="{max(total, 1)}"></progress>'
            f'<span>{html.escape(text)}</span></div>')


def use_in_explore(job_id) -> tuple[str, str]:
    """A snapshot of the run's checkpoint for the other tabs: (model name, label)."""
    job_id = _job_of(job_id)
    if not job_id:
        raise input_error("Train a model first.")
    try:
        job = RUNNER.snapshot(job_id)
    except JobNotFound:
        raise input_error("This run is gone (runs left alone for a day are deleted).") from None
    if not job.has_checkpoint:
        raise input_error("No checkpoint yet: one is saved every few hundred steps and when the run stops.")
    card = json.loads((job.export / CARD_FILE).read_text())
    step = card.get("training", {}).get("steps", job.step)
    name = trained.publish(job.export, job.id, int(step))
    return name, f"Yours: {job.config.name} (step {step})"


def download_checkpoint(job_id) -> str:
    job_id = _job_of(job_id)
    if not job_id:
        raise input_error("Train a model first.")
    try:
        return str(RUNNER.checkpoint_zip(job_id))
    except JobNotFound:
        raise input_error("This run is gone (runs left alone for a day are deleted).") from None
    except ValueError as exc:
        raise input_error(str(exc)[:1].upper() + str(exc)[1:] + ".") from None


# ----------------------------------------------------------------------------- layout

TEACHING_NOTES = """\
**Reading the curves.**
*D loss* is how wrong the discriminator is about real and generated images together; *G loss* is
how well the generator fools it. Neither should go to zero: in a healthy run both hover and wobble,
because each network's progress is the other's setback.
*D(x)* is the discriminator's average belief that real images are real, *D(G(z))* that generated
ones are. Early on D(x) rises towards 1 and D(G(z)) falls towards 0; as the generator improves they
drift back towards each other (0.5 each would be a perfect forger).

**What to watch in the samples.** First colour blobs, then the layout (where the shape or face
sits), then edges and details. The 64 samples use the same noise every time, so you can follow
each one as it forms.

**Mode collapse** looks like many samples turning into the same image, or a handful of them, while
G loss swings. **The discriminator winning**: D(x) stuck near 1, D(G(z)) near 0, G loss climbing;
the generator no longer gets a useful signal.

**Look like a shape.** On the built-in shapes a small judge network, trained on clean shapes and
on blurred, merged, lumpy or speckled failures, counts the samples it is sure show one clean disc,
square, triangle, ring or cross. Blobs come long before shapes: the count stays near zero while
the colours and the layout form, then climbs as edges sharpen. Compare the samples with the real
images beside them.

**What to try.** Lower the discriminator's learning rate, or raise the label noise (keras-gan32
uses 0.05) to keep D from winning; a bigger batch smooths the curves; a wider network learns
finer detail but costs time on a CPU (half the width is a quarter of the work). Set the
average's half-life to 0 to see the plain generator's samples jump from grid to grid. Stop,
change nothing, Resume: the run continues exactly where it was.
"""

HOW_IT_WORKS = f"""\
The server trains **one model at a time**; if someone else is training you wait in line and see
your place. Checkpoints are saved every few hundred steps and when you press Stop, so **Resume**
continues exactly. **Closing this page stops your run** (after it saves a checkpoint), and so does
leaving it unseen for {IDLE_TIMEOUT_S // 60} minutes; reopen the page to find it and Resume. One run
at a time per browser, of at most about {train_hours():g} hour{"s" if train_hours() != 1 else ""} of this
server's computing. **Use in Explore** keeps a copy of the model on this server for
{trained.MAX_AGE_S // 3600} hours: Generate, Explore and Forget list it, and the Explore link to it (or a reload)
opens it, until then; a run left alone for {MAX_AGE_S // 3600} hours is deleted. Download the checkpoint to keep it.
"""


def build_train_tab(main_tabs: gr.Tabs, generate_model: gr.Dropdown, explore, app: gr.Blocks,
                    owner: gr.BrowserState) -> None:
    """The tab's components and events. `explore` is demo.explore.ExploreTab; `app` the
    page and `owner` the browser's owner key it holds (see owner_key)."""
    width0, steps0, batch0, lr_g0, lr_d0, beta10, beta20, noise0, ema0 = defaults_for(MODELS[0])
    with gr.Tab("Train", id="train"):
        job = gr.State("")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                model = gr.Dropdown(MODELS, value=MODELS[0], label="Architecture", elem_id="train-model")
                width = gr.Dropdown(WIDTHS, value=width0, label="Network width (fraction of the paper's)",
                                    elem_id="train-width")
                source = gr.Radio(data_sources(), value="shapes", label="Training images", elem_id="train-source")
                upload = gr.File(label=f".zip or .tar of images (up to {MAX_UPLOAD_BYTES // 2**20} MB)",
                                 file_types=[".zip", ".tar", ".gz", ".tgz"], visible=False, elem_id="train-upload")
                server = gr.Dropdown(sorted(SERVER_DATA), value=next(iter(sorted(SERVER_DATA)), None),
                                     label="Folder on this server", visible=False, elem_id="train-server")
                classes = gr.Dropdown(list(CIFAR10_CLASSES), value=["frog"], multiselect=True,
                                      label="CIFAR-10 classes (none = all)", visible=False, elem_id="train-classes")
                steps = whole_number(steps0, label="Steps", minimum=1, elem_id="train-steps")
                with gr.Accordion("Hyperparameters", open=False):
                    batch = whole_number(batch0, label="Batch size", elem_id="train-batch")
                    lr_g = gr.Number(lr_g0, label="Generator learning rate", elem_id="train-lr-g")
                    lr_d = gr.Number(lr_d0, label="Discriminator learning rate", elem_id="train-lr-d")
                    beta1 = gr.Number(beta10, label="Adam beta1 (DCGAN and celeb28)", elem_id="train-beta1")
                    beta2 = gr.Number(beta20, label="Adam beta2 (DCGAN and celeb28)", elem_id="train-beta2")
                    noise = gr.Number(noise0, label="Label noise", elem_id="train-label-noise")
                    ema = gr.Number(ema0, label="Average the generator: half-life in images (0 = off)",
                                    elem_id="train-ema")
                    sample_every = whole_number(50, label="Sample grid every N steps",
                                             elem_id="train-sample-every")
                with gr.Row():
                    # Enabled once the page has its owner key (restore, then show): a run started
                    # before that would belong to the session only, and a reload would lose it.
                    start = gr.Button("Start", variant="primary", interactive=False, elem_id="train-start")
                    stop = gr.Button("Stop", variant="stop", interactive=False, elem_id="train-stop")
                    resume = gr.Button("Resume", interactive=False, elem_id="train-resume")
                with gr.Row():
                    use = gr.Button("Use in Explore", interactive=False, elem_id="train-use")
                    download = gr.DownloadButton("Download checkpoint", interactive=False, elem_id="train-download")
                gr.Markdown(HOW_IT_WORKS)
            with gr.Column(scale=2, min_width=360):
                progress = gr.HTML(_progress_html(0, 0, "no run yet"), elem_id="train-progress")
                status = gr.Markdown("No run yet: choose a model and data, then **Start**.", elem_id="train-status")
                with gr.Row():
                    losses = gr.LinePlot(None, x="step", y="value", color="curve", title="Losses", color_map=LOSS_COLOURS,
                                         height=240, elem_id="train-losses")
                    outputs = gr.LinePlot(None, x="step", y="value", color="curve",
                                          title="Discriminator outputs", y_lim=[0, 1], height=240,
                                          color_map=OUTPUT_COLOURS,
                                          elem_id="train-d-outputs")
                    shapes = gr.LinePlot(None, x="step", y="value", color="curve",
                                         title="Look like a shape (%)", y_lim=[0, 100], height=240,
                                         color_map=SHAPE_COLOURS, elem_id="train-shapes")
                with gr.Row():
                    # Captions of their own: side by side, a floated label would push the grid aside.
                    with gr.Column(min_width=200):
                        gr.Markdown("**Fixed-noise samples**: the generator, on the same 64 noise vectors each time")
                        sample = gr.Image(label="Fixed-noise samples", show_label=False, type="pil",
                                          interactive=False, height=300, elem_id="train-samples",
                                          elem_classes="pixelated")
                    with gr.Column(min_width=200):
                        gr.Markdown("**Real training images**: what it learns to imitate")
                        real = gr.Image(label="Real training images", show_label=False, type="pil",
                                        interactive=False, height=300, elem_id="train-real",
                                        elem_classes="pixelated")
                with gr.Accordion("Teaching notes: reading the curves", open=True):
                    gr.Markdown(TEACHING_NOTES)
        timer = gr.Timer(1.0, active=False)

    private = dict(api_visibility="private")
    model.input(lambda m: defaults_for(m), model, [width, steps, batch, lr_g, lr_d, beta1, beta2, noise, ema],
                **private)
    source.change(lambda s: (gr.File(visible=s == "upload"), gr.Dropdown(visible=s == "server"),
                             gr.Dropdown(visible=s == "cifar10")), source, [upload, server, classes],
                  queue=False, **private)

    def show(job_id):
        v = job_view(job_id)
        # The download is the zipped checkpoint of a run at rest (zipped once per step).
        zipped = download_checkpoint(job_id) if v.has_checkpoint and not v.active else None
        # The shape curve only for runs on the built-in shapes: nothing else is judged.
        return (v.progress, v.status, v.losses, v.outputs, gr.LinePlot(v.shapes, visible=v.on_shapes), v.sample,
                v.real, gr.Timer(active=v.active),
                gr.Button(interactive=not v.active), gr.Button(interactive=v.active),
                gr.Button(interactive=v.can_resume),
                gr.Button(interactive=v.has_checkpoint), gr.DownloadButton(value=zipped, interactive=bool(zipped)))

    shown = [progress, status, losses, outputs, shapes, sample, real, timer, start, stop, resume, use, download]
    started = start.click(start_training, [model, width, source, upload, server, classes, steps, batch, lr_g, lr_d,
                                           beta1, noise, sample_every, job, owner, beta2, ema], job,
                          concurrency_limit=4,
                          **private)
    started.success(show, job, shown, **private)
    app.load(restore, owner, [owner, job], **private).then(show, job, shown, **private)  # the browser's last run
    stop.click(stop_training, job, None, queue=False, **private).success(show, job, shown, **private)
    resume.click(resume_training, [job, steps], None, **private).success(show, job, shown, **private)
    timer.tick(show, job, shown, **private)

    def hand_over(job_id):
        name, label = use_in_explore(job_id)
        # Every generator the server has (other pages' trained models too), this one named as yours.
        choices = [*(c for c in _as_pairs(generator_choices()) if c[1] != name), (label, name)]
        return (gr.Dropdown(choices=choices, value=name), gr.Dropdown(choices=choices, value=name),
                gr.Tabs(selected="explore"))

    handed = use.click(hand_over, job, [explore.model, generate_model, main_tabs], **private)
    explore.model_set(handed)


def owner_key() -> gr.BrowserState:
    """The browser's owner key: it outlives a reload and a server restart (its secret is
    kept in the jobs root). The page makes it at its top level, not in the tab: a component
    in a tab not yet opened is not mounted, so on page load it would not have read the
    browser's storage yet."""
    return gr.BrowserState("", storage_key="gan-studio-train-owner", secret=_browser_secret())


def _browser_secret() -> str:
    """The key of the owner keys kept in browsers, made once and kept in the jobs root, so
    that a restarted server still reads them."""
    path = RUNNER.root / "browser-key"
    try:
        return path.read_text().strip()
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    return key


def _as_pairs(choices) -> list[tuple[str, str]]:
    """A dropdown's choices as (label, value) pairs."""
    return [(c[0], c[1]) if isinstance(c, (tuple, list)) else (c, c) for c in choices]
