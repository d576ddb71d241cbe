"""The "Explore" tab: section 6 of the DCGAN paper in the browser.

A gallery of faces named by seed; clicking one adds it to the list chosen below
it (walk waypoints, turn picks, arithmetic terms). Sub-tabs: latent walk, turn
vector, face arithmetic, attribute sliders and "your photo". Everything on
screen is in the page's link, so a copied link shows the same images.

All the mathematics is in gan_core (latent, directions, arithmetic, pose,
attributes, projection, animation); the handlers here parse, call and lay out.
They are plain functions so tests and benchmarks can call them without a browser.
"""
from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gradio as gr
import torch
from PIL import Image

import gan_core
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import GAN
from gan_core.explore.arithmetic import arithmetic_grid_latents, term_columns
from gan_core.core.images import make_grid, to_pil
from gan_core.explore.directions import along, turn_vector
from gan_core.explore.latents import latent_at, latent_walk, latents_for_seeds
from gan_core.explore.presets import Presets, load_presets

from . import trained
from .common import (check_generator, check_seed, default_model, error_text, generator_choices, input_error,
                     keep_on_error, model_location, quote_user_text, quoted, status_message, whole_number)
from .files import ROOT, serve_files, write_file
from .gpu import best_device, gpu
from .view_state import (GALLERY_SIZE, MAX_GALLERY_PAGE, PHOTO, SLIDER_RANGE, TURN_SOURCES, WALK_FRAMES, WALK_METHODS,
                         ExploreView, FaceListError, canonical_params, decode_latent, encode_latent, format_faces,
                         parse_faces, toggle_face)

ROW_TS = [-1.0, -2 / 3, -1 / 3, 0.0, 1 / 3, 2 / 3, 1.0]  # the paper's figure 8 row: t from -1 to +1
ANIMATIONS = ROOT / "animations"
VARIATION_SPREAD = 0.25  # the paper's uniform noise around an arithmetic result
FACE_NETWORK = "face-attributes"  # its feature maps compare a photo with its projection

PICK_TARGETS = {  # radio label -> the field a gallery click edits
    "Subject": "subject",
    "Walk waypoints": "walk",
    "Turn: looking left": "left",
    "Turn: looking right": "right",
    "Arithmetic A": "a",
    "Arithmetic B": "b",
    "Arithmetic C": "c",
}

EXPLAIN = {
    "gallery": (
        "Each picture is the generator's image of one random latent vector **z** ({nz} numbers drawn from a "
        "normal distribution); its seed names it. Click a picture to add it to the list chosen on the right; "
        "click it again to take it out."),
    "walk": (
        "**Latent walk.** The generator is a smooth function of z, so points between two latents give "
        "images between two faces. *lerp* moves along the straight line z = (1 - t) z₁ + t z₂; *slerp* moves "
        "along the arc of the sphere between them, keeping the length of z typical (a straight line passes "
        "close to the centre, where faces are greyer and more average). With more than two waypoints, each "
        "leg gets an equal share of t. Smooth changes, not sudden jumps, are a sign that the model has not "
        "memorised its training faces."),
    "turn": (
        "**Turn vector.** The paper's way: average the latents of faces looking left, average those of faces "
        "looking right, and subtract: turn = mean(z_left) - mean(z_right). Adding t × turn to the subject's z "
        "turns its head; the row shows t from -1 to +1. *Measured* instead finds the direction from the "
        "pictures: a face and its own mirror image have opposite head turns, so how far a face must shift to lie "
        "over its mirror image reads its turn; the direction is fitted on 20,000 generated faces, with light "
        "from one side taken out. Checked with a second pose measure on 40 faces, it turns most heads where "
        "random directions of the same length turn few (the README's table). Faces drift a little in age and "
        "hair at the ends of the row."),
    "arithmetic": (
        "**Face arithmetic.** One face's latent carries many things at once; the mean of three faces that "
        "share a concept (smiling, glasses) keeps mostly that concept. A - B + C adds the difference between "
        "A and B to C: smiling woman - neutral woman + neutral man gives a smiling man. The grid shows the "
        "result in the middle and eight neighbours, each with uniform noise in [-0.25, 0.25] added to every "
        "coordinate of the result: the answer is a region of faces, not a single point."),
    "attributes": (
        "**Attribute sliders.** A small classifier trained on labelled real faces (UTKFace gender and age, "
        "CelebA attributes) scores thousands of generated faces; the direction from the lowest- to the "
        "highest-scored latents becomes a slider: z + t × direction. The table says how far a small step "
        "moves the classifier's score on new faces, next to a random direction of the same length; "
        "*consistency* is the share of faces whose score rose."),
    "photo": (
        "**Your photo.** The generator cannot read a photo, so we search for the latent whose image is "
        "closest to it: start from a guess (an encoder trained for this generator gives one in a single "
        "pass, when there is one) and from random z, and change each by gradient descent to lower the pixel "
        "difference plus differences of learned features (the face network's and the discriminator's, "
        "trained here: nothing is downloaded). The best start wins. With an encoder one start and 60 steps "
        "take a few seconds on a CPU; without one, 6 random starts of 200 steps take about half a minute. "
        "Crop the photo to the face first: the "
        "model only knows faces framed like its training data. Then use **photo** in any list or as the "
        "subject."),
}


FACE_ONLY_NOTE = (
    "**Turn vector, attribute sliders and Your photo are for face generators.** {model} draws {draws}: there is "
    "no head to turn, no face attribute to score, and a photo of a face would not project into it. Latent walks "
    "and arithmetic (A − B + C, without the face presets) work on any generator.")


# ----------------------------------------------------------------------------- face-only tools


def draws_faces(model_name: str | None) -> bool:
    """Whether the model draws faces (its card's "draws"): the face-only tools are offered then."""
    if not model_name:
        return False
    try:
        return check_generator(model_name).draws_faces
    except gr.Error:
        return False


def gallery_explain(model_name: str | None) -> str:
    """The gallery's text, with the model's own latent size."""
    try:
        nz = check_generator(model_name).spec.nz if model_name else 100
    except gr.Error:
        nz = 100
    return EXPLAIN["gallery"].format(nz=nz)


def face_only_note(model_name: str | None) -> str:
    """Why the face-only tools are hidden ("" for a face generator)."""
    if not model_name or draws_faces(model_name):
        return ""
    try:
        draws = check_generator(model_name).draws
    except gr.Error:
        draws = "images"
    return FACE_ONLY_NOTE.format(model=quote_user_text(model_name), draws=quote_user_text(draws))


FACE_ONLY_TABS = ("turn", "attributes", "photo")


def pick_targets(faces: bool) -> list[str]:
    """Where a click on a gallery picture can go: the turn picks for face generators only."""
    return [name for name in PICK_TARGETS if faces or PICK_TARGETS[name] not in ("left", "right")]


def face_tools_outputs(model_name: str | None, tab: str | None, target: str | None):
    """The face-only sub-tabs shown or hidden for `model_name`, the preset menu and the turn
    picks' click targets likewise, the note saying why, the gallery's text, and, when the
    open sub-tab is hidden, the walk opened instead (with the view's tab to match)."""
    faces = draws_faces(model_name)
    note = face_only_note(model_name)
    # The selection changes only when the open sub-tab goes: a visitor's own click stays.
    moved = not faces and tab in FACE_ONLY_TABS
    targets = pick_targets(faces)
    return (*(gr.Tab(visible=faces) for _ in FACE_ONLY_TABS), gr.Dropdown(visible=faces),
            gr.Markdown(note, visible=bool(note)), gallery_explain(model_name),
            gr.Tabs(selected="walk") if moved else gr.skip(), "walk" if moved else gr.skip(),
            gr.Radio(choices=targets, value=target if target in targets else "Subject"))


# ----------------------------------------------------------------------------- cached model data


@functools.lru_cache(maxsize=8)
def presets_for(model_name: str) -> Presets:
    try:
        return load_presets(model_name)
    except CheckpointError:
        return Presets()


@functools.lru_cache(maxsize=8)
def pose_direction_for(model_name: str) -> torch.Tensor:
    """The measured turn (shipped, or fitted in seconds), once per model and process."""
    from gan_core.explore.pose import measured_turn

    return measured_turn(check_generator(model_name), model_location(model_name))


@functools.lru_cache(maxsize=8)
def attribute_directions_for(model_name: str) -> dict:
    from gan_core.explore.attributes import load_directions

    try:
        return load_directions(model_name)
    except CheckpointError:
        return {}


# ----------------------------------------------------------------------------- latents from text


def _photo_latent(photo: str | None, nz: int) -> torch.Tensor | None:
    if not photo:
        return None
    try:
        return decode_latent(photo, nz)
    except ValueError as exc:
        raise input_error(f"Your photo: {exc}. Project the photo again.") from None


def faces_to_latents(pipe, text: str | None, label: str, photo: str | None = None, minimum: int = 1) -> torch.Tensor:
    """The latents of a typed face list, (k, nz); gr.Error saying what to fix otherwise."""
    try:
        faces = parse_faces(text, label, minimum=minimum)
    except FaceListError as exc:
        raise input_error(str(exc)) from None
    rows = []
    for face in faces:
        if face == PHOTO:
            z = _photo_latent(photo, pipe.spec.nz)
            if z is None:
                raise input_error(f"{label}: there is no projected photo yet; upload one in the 'Your photo' tab.")
            rows.append(z.view(1, -1))
        else:
            rows.append(latents_for_seeds(pipe.spec, [face]))
    return torch.cat(rows) if rows else torch.zeros(0, pipe.spec.nz)


def subject_problem(subject: str | None, photo: str | None) -> str:
    """The status beside the subject box: what is wrong with it, or "" (the panels that use
    it say so too, and keep their images)."""
    try:
        faces = parse_faces(subject, "Subject")
    except FaceListError as exc:
        return status_message(str(exc))
    if len(faces) != 1:
        return status_message("Subject: give one face (a seed or 'photo').")
    if faces[0] == PHOTO and not photo:
        return status_message("Subject: there is no projected photo yet; upload one in the 'Your photo' tab.")
    return ""


def _subject_latent(pipe, subject: str | None, photo: str | None) -> torch.Tensor:
    z = faces_to_latents(pipe, subject, "Subject", photo)
    if z.shape[0] != 1:
        raise input_error("Subject: give one face (a seed or 'photo').")
    return z[0]


def _row(pipe, row_latents: torch.Tensor, main_latent: torch.Tensor) -> tuple[Image.Image, Image.Image]:
    """(the image of `main_latent`, a row of the images of `row_latents`).

    A slider moves only the main image: the row comes from a small cache, so an
    update decodes one image instead of eight."""
    row = _decode_cached(pipe, row_latents)
    main = pipe.decode(main_latent.view(1, -1))
    return to_pil(main)[0], make_grid(row, nrow=row.shape[0])


_ROW_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()
_ROW_CACHE_SIZE = 64  # rows of 64x64 images: about 0.5 MB each as float


def _decode_cached(pipe, latents: torch.Tensor) -> torch.Tensor:
    key = (id(pipe), tuple(latents.shape), hashlib.sha1(latents.numpy().tobytes()).digest())
    if key in _ROW_CACHE:
        _ROW_CACHE.move_to_end(key)
        return _ROW_CACHE[key][1]
    images = pipe.decode(latents)
    _ROW_CACHE[key] = (pipe, images)  # holding the pipeline keeps its id from being reused
    while len(_ROW_CACHE) > _ROW_CACHE_SIZE:
        _ROW_CACHE.popitem(last=False)
    return images


# ----------------------------------------------------------------------------- gallery


def gallery_seeds(page: int | float | None) -> list[int]:
    page = _check_page(page)
    return list(range(page * GALLERY_SIZE, page * GALLERY_SIZE + GALLERY_SIZE))


def _check_page(page) -> int:
    try:
        if isinstance(page, float) and page != int(page):  # 3.7 is refused, not read as page 3
            raise ValueError(page)
        page = int(page)
    except (TypeError, ValueError, OverflowError):
        raise input_error("The gallery page must be a whole number.") from None
    if not 0 <= page <= MAX_GALLERY_PAGE:
        raise input_error(f"The gallery page must be between 0 and {MAX_GALLERY_PAGE}.")
    return page


def render_gallery(model_name: str, page: int) -> list[tuple[Image.Image, str]]:
    pipe = check_generator(model_name)
    seeds = gallery_seeds(page)
    return list(zip(to_pil(pipe.decode(latents_for_seeds(pipe.spec, seeds))), map(str, seeds)))


def gallery_page(model_name: str, page, picked_seed: int | None) -> gr.Gallery:
    """The gallery's faces for `page`, the last picked face highlighted when it is on that page
    and none otherwise: Gradio would keep the old page's position highlighted, a face not picked."""
    faces = render_gallery(model_name, page)
    seeds = gallery_seeds(page)
    return gr.Gallery(faces, selected_index=seeds.index(picked_seed) if picked_seed in seeds else None)


def pick_from_gallery(evt: gr.SelectData, page, target: str, subject, walk, left, right, a, b, c):
    """A click on the gallery: put the face's seed in the list named by `target`. Returns the
    seven lists and the picked seed."""
    seed = gallery_seeds(page)[evt.index]
    values = dict(subject=subject, walk=walk, left=left, right=right, a=a, b=b, c=c)
    field = PICK_TARGETS.get(target, "subject")
    values[field] = str(seed) if field == "subject" else toggle_face(values[field], seed)
    return [*(values[k] for k in ("subject", "walk", "left", "right", "a", "b", "c")), seed]


# ----------------------------------------------------------------------------- walk


def render_walk(model_name: str, waypoints: str, method: str, t: float, frames: int,
                photo: str = "") -> tuple[Image.Image, Image.Image]:
    """Walk through the generator's latent space from face to face (DCGAN paper, section 6.1).

    Args:
        model_name: the generator, one of the app's models (faces-dcgan64 for faces).
        waypoints: 2 to 16 faces to pass through in order, comma-separated, each a seed from 0 to 4294967295 or 'photo' (the photo projected by the project tool); e.g. "3, 17, 42".
        method: "slerp" (along the arc of the sphere, keeps z's length typical) or "lerp" (along the straight line).
        t: the position along the whole path, from 0 (first waypoint) to 1 (last); each leg gets an equal share.
        frames: how many images the row shows from start to end, a whole number from 2 to 16.
        photo: the projected photo's latent, the text the project tool returns; needed only where a face list says 'photo', else empty.

    Returns:
        The image at t (PNG), and a row of `frames` images from start to end (PNG).
    """
    pipe = check_generator(model_name)
    _check_method(method)
    frames = _check_frames(frames)
    z = faces_to_latents(pipe, waypoints, "Walk waypoints", photo, minimum=2)
    return _row(pipe, latent_walk(z, frames, method), latent_at(z, _check_walk_t(t), method))


def _check_walk_t(t) -> float:
    try:
        t = float(t)
    except (TypeError, ValueError):
        t = -1.0
    if not 0.0 <= t <= 1.0:
        raise input_error("t along the path runs from 0 to 1.")
    return t


def _check_method(method) -> None:
    if method not in WALK_METHODS:
        raise input_error(f"Interpolation must be one of {', '.join(WALK_METHODS)}.")


def _check_frames(frames) -> int:
    lo, hi = WALK_FRAMES
    try:
        frames = int(frames)
    except (TypeError, ValueError):
        frames = -1
    if not lo <= frames <= hi:
        raise input_error(f"Frames must be a whole number from {lo} to {hi}.")
    return frames


def make_walk_animation(model_name: str, waypoints: str, method: str, frames: int, fps: float, fmt: str,
                        photo: str = "") -> str:
    """An animation of a latent walk, there and back, each image enlarged 4x (pixelated).

    Args:
        model_name: the generator, one of the app's models (faces-dcgan64 for faces).
        waypoints: 2 to 16 faces to pass through in order, comma-separated, each a seed from 0 to 4294967295 or 'photo' (the photo projected by the project tool).
        method: "slerp" (along the arc of the sphere) or "lerp" (along the straight line).
        frames: images from the first waypoint to the last, a whole number from 2 to 120.
        fps: frames per second, from 1 to 50.
        fmt: the file format, "GIF" or "WebP".
        photo: the projected photo's latent, the text the project tool returns; needed only where a face list says 'photo', else empty.

    Returns:
        The animated GIF or WebP file.
    """
    from gan_core.explore.animation import save_animation

    pipe = check_generator(model_name)
    _check_method(method)
    fmt = str(fmt).lower()
    if fmt not in ("gif", "webp"):
        raise input_error("The animation format must be GIF or WebP.")
    try:
        frames = int(frames)
        fps = float(fps)
    except (TypeError, ValueError):
        raise input_error("Frames and frames per second must be numbers.") from None
    if not 2 <= frames <= 120:
        raise input_error("An animation has from 2 to 120 frames.")
    if not 1 <= fps <= 50:
        raise input_error("Frames per second must be between 1 and 50.")
    z = faces_to_latents(pipe, waypoints, "Walk waypoints", photo, minimum=2)
    images = pipe.decode(latent_walk(z, frames, method))
    key = hashlib.sha1(f"{model_name}|{waypoints}|{method}|{frames}|{fps}|{photo}".encode()).hexdigest()[:12]
    data = save_animation(images, None, format=fmt, fps=fps, boomerang=True, scale=4)
    return write_file(data, ANIMATIONS / f"{model_name}-walk-{key}.{fmt}")


# ----------------------------------------------------------------------------- turn


def turn_direction(model_name: str, left: str, right: str, source: str, photo: str = "") -> torch.Tensor:
    pipe = check_generator(model_name)
    if source not in TURN_SOURCES:
        raise input_error(f"The turn vector comes from {' or '.join(TURN_SOURCES)}, not {quoted(source)}.")
    if source == "pose":
        return pose_direction_for(model_name)
    z_left = faces_to_latents(pipe, left, "Looking left", photo)
    z_right = faces_to_latents(pipe, right, "Looking right", photo)
    return turn_vector(z_left, z_right)


def render_turn(model_name: str, subject: str, left: str, right: str, source: str, t: float,
                photo: str = "") -> tuple[Image.Image, Image.Image]:
    """Turn a face's head with the DCGAN paper's turn vector: z + t x (mean of left-looking z - mean of right-looking z).

    Args:
        model_name: the generator, one of the app's models (the turn picks shipped are for faces-dcgan64).
        subject: the face to turn, one face: a seed from 0 to 4294967295 or 'photo' (the photo projected by the project tool).
        left: 1 to 16 faces looking left, comma-separated seeds (or 'photo'); used when source is "picks".
        right: 1 to 16 faces looking right, comma-separated seeds (or 'photo'); used when source is "picks".
        source: "picks" (the vector from the left and right faces) or "pose" (measured from generated faces by mirror consistency).
        t: how far to turn, from -2 to 2 (0 is the subject itself; positive turns towards the left-looking faces).
        photo: the projected photo's latent, the text the project tool returns; needed only where a face list says 'photo', else empty.

    Returns:
        The subject turned by t (PNG), and a row of the subject for t = -1 to +1 in 7 steps (PNG); no images while
        source is "picks" and left or right is empty.
    """
    pipe = check_generator(model_name)
    if source == "picks" and not ((left or "").strip() and (right or "").strip()):
        return None, None
    z = _subject_latent(pipe, subject, photo)
    direction = turn_direction(model_name, left, right, source, photo)
    return _row(pipe, along(z, direction, ROW_TS), along(z, direction, [_check_t(t)])[0])


def _check_t(t) -> float:
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise input_error("The slider value must be a number.") from None
    if not -SLIDER_RANGE <= t <= SLIDER_RANGE:
        raise input_error(f"The slider runs from {-SLIDER_RANGE:g} to {SLIDER_RANGE:g}.")
    return t


def shipped_turn_picks(model_name: str) -> tuple[str, str]:
    p = presets_for(model_name)
    if not p.turn_left:
        gr.Info("This model ships no turn picks: click faces in the gallery instead.")
    return format_faces(list(p.turn_left)), format_faces(list(p.turn_right))


# ----------------------------------------------------------------------------- arithmetic


def render_arithmetic(model_name: str, a: str, b: str, c: str, noise: int,
                      photo: str = "") -> tuple[Image.Image, Image.Image]:
    """Face arithmetic from the DCGAN paper: mean(A) - mean(B) + mean(C), e.g. smiling woman - woman + man.

    Args:
        model_name: the generator, one of the app's models (faces-dcgan64 for faces).
        a: term A, 1 to 16 comma-separated faces, each a seed from 0 to 4294967295 or 'photo' (the photo projected by the project tool); the term is their mean latent.
        b: term B (subtracted), 1 to 16 comma-separated faces, each a seed or 'photo'.
        c: term C (added), 1 to 16 comma-separated faces, each a seed or 'photo'.
        noise: a whole number from 0 to 4294967295 seeding the noise (uniform in [-0.25, 0.25]) of the 8 neighbours.
        photo: the projected photo's latent, the text the project tool returns; needed only where a face list says 'photo', else empty.

    Returns:
        The terms (one column per A, B, C: its faces above their mean; PNG), and a 3x3 grid (PNG) with A - B + C in
        the middle and eight noisy neighbours around it; no images while A, B or C is empty.
    """
    pipe = check_generator(model_name)
    # An empty term is a mistake to name ("B: give a face ..."), not a blank result.
    terms = [faces_to_latents(pipe, text, label, photo) for text, label in ((a, "A"), (b, "B"), (c, "C"))]
    noise = check_seed(noise, "noise seed")
    grid_latents = arithmetic_grid_latents(*terms, VARIATION_SPREAD, generator=torch.Generator().manual_seed(noise))
    latents, blank = term_columns(terms)
    images = pipe.decode(torch.cat([latents, grid_latents]))
    term_images, grid_images = images[:latents.shape[0]], images[latents.shape[0]:]
    term_images = torch.where(blank.view(-1, 1, 1, 1), 1.0, term_images)  # white: no exemplar there
    return make_grid(term_images, nrow=3), make_grid(grid_images, nrow=3)


def arithmetic_preset(model_name: str, name: str) -> tuple[str, str, str, str]:
    """(A, B, C, note) of a shipped preset."""
    preset = presets_for(model_name).arithmetic_by_name(name)
    if preset is None:
        raise input_error(f"No preset {quoted(name)} for {quote_user_text(model_name)}.")
    return format_faces(list(preset.a)), format_faces(list(preset.b)), format_faces(list(preset.c)), preset.note


# ----------------------------------------------------------------------------- attributes


def attribute_choices(model_name: str) -> list[str]:
    return sorted(attribute_directions_for(model_name)) if model_name else []


def render_attribute(model_name: str, subject: str, attribute: str, t: float,
                     photo: str = "") -> tuple[Image.Image, Image.Image]:
    """Push a face along an attribute direction (smiling, eyeglasses, age ...) found by a face classifier: z + t x direction.

    Args:
        model_name: the generator; only models with attribute directions have any (faces-dcgan64 does).
        subject: the face to change, one face: a seed from 0 to 4294967295 or 'photo' (the photo projected by the project tool).
        attribute: the direction's name, one the model ships (faces-dcgan64: Smiling, Eyeglasses, Bangs, age, gender ...).
        t: how far along the direction, from -2 to 2 (0 is the subject; positive adds the attribute, negative removes it).
        photo: the projected photo's latent, the text the project tool returns; needed only where a face list says 'photo', else empty.

    Returns:
        The subject moved by t (PNG), and a row of the subject for t = -1 to +1 in 7 steps (PNG).
    """
    pipe = check_generator(model_name)
    directions = attribute_directions_for(model_name)
    if not directions:
        return None, None  # the report under the dropdown says why
    if attribute not in directions:
        raise input_error(f"Choose an attribute: {', '.join(sorted(directions))}.")
    z = _subject_latent(pipe, subject, photo)
    direction = directions[attribute].direction
    return _row(pipe, along(z, direction, ROW_TS), along(z, direction, [_check_t(t)])[0])


def attribute_report(model_name: str) -> str:
    """A Markdown table: each direction, what + means, how much a small step along it
    moves the classifier's score, beside a random direction of the same length."""
    directions = attribute_directions_for(model_name) if model_name else {}
    if not directions:
        return "This model has no attribute directions."
    lines = ["| attribute | + means | score change | random direction | consistency |", "|---|---|---|---|---|"]
    step = None
    for name, d in sorted(directions.items(), key=lambda kv: kv[0].lower()):
        details = getattr(d, "details", {}) or {}
        step = details.get("check_step", step)
        unit = " years" if name == "age" else ""
        meaning = details.get("meaning", "").split(",")[0].lstrip("+ ")
        if not meaning or meaning.startswith("towards"):
            meaning = name.replace("_", " ").lower()
        lines.append(f"| {name} | {meaning} "
                     f"| {_number(details.get('change'), unit)} | {_number(details.get('random_direction_change'), unit)} "
                     f"| {_share(d.consistency)} |")
    lines.append(f"\nA step of t = {step or '?'} along each direction, from 500 new faces: the mean rise of the "
                 "classifier's score (a probability; years for age), the same for random directions of the same "
                 "length, and the share of faces whose score rose. The classifier that found a direction also "
                 "checks it, so look at the pictures too.")
    return "\n".join(lines)


def _number(value, unit: str = "") -> str:
    return f"{value:+.2f}{unit}" if isinstance(value, (int, float)) else "?"


def _share(value) -> str:
    return f"{value:.0%}" if isinstance(value, (int, float)) else "?"


# ----------------------------------------------------------------------------- photo


# Your photo's sliders: random starts need many steps; the encoder's guess needs few (its first
# guess is most of the way there: bench/projection.py measures both on a 2-core CPU).
PROJECTION_RANDOM = (6, 200)  # restarts, steps
PROJECTION_ENCODED = (1, 60)


def projection_settings(model_name: str | None) -> tuple[int, int]:
    """(restarts, steps) Your photo opens with: fewer with an encoder for this generator."""
    from gan_core.pipelines.encoder import find_encoder

    try:
        return PROJECTION_ENCODED if model_name and find_encoder(check_generator(model_name)) else PROJECTION_RANDOM
    except gr.Error:  # an unknown model is refused, with its message, where it is used
        return PROJECTION_RANDOM


def projection_helpers(model_name: str, device: str = "cpu"):
    """(the latent encoder trained for this generator's weights or None, the face network
    whose feature maps compare faces or None): what makes projection fast and faithful."""
    from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION
    from gan_core.pipelines.encoder import encoder_for

    pipe = check_generator(model_name)
    encoder = encoder_for(pipe, device)
    face_network = None
    if pipe.draws_faces and FACE_NETWORK in gan_core.list_checkpoints(task=ATTRIBUTE_CLASSIFICATION):
        face_network = gan_core.load(FACE_NETWORK, device=device, task=ATTRIBUTE_CLASSIFICATION).classifier
    return encoder, face_network


@gpu(duration=120)
def project_photo(model_name: str, image: str | Path | Image.Image | None, restarts: int, steps: int,
                  progress=gr.Progress()) -> tuple[Image.Image, Image.Image, str, str, str]:
    """Find the latent whose generated image is closest to a photo (projection), to use the photo in the other tools.

    Minutes of CPU. The photo is opened only by gan_core's checked reader (damaged files and
    decompression bombs are refused with a message).

    Args:
        model_name: the generator, one of the app's models (faces-dcgan64 for faces: crop the photo to the face first).
        image: the photo (JPEG, PNG, WebP ...), as a file.
        restarts: how many random starting latents to try, the best wins: a whole number from 1 to 16.
        steps: gradient descent steps from each start, a whole number from 10 to 1000.

    Returns:
        The photo as the model sees it (PNG), the reconstruction (PNG), a report of the pixel error (Markdown),
        the latent as text (pass it as `photo` to walk, turn, arithmetic and attribute, and write 'photo' in their
        face lists), and the new subject, 'photo'.
    """
    from gan_core.core.errors import DataError
    from gan_core.data.image_set import open_image
    from gan_core.explore.projection import project_image

    pipe = check_generator(model_name)
    if image is None:
        raise input_error("Upload a photo first.")
    if not isinstance(image, Image.Image):
        try:
            image = open_image(image)
        except DataError as exc:
            raise input_error(f"This file cannot be used as a photo: {error_text(exc)}") from None
    try:
        restarts, steps = int(restarts), int(steps)
    except (TypeError, ValueError):
        raise input_error("Restarts and steps must be whole numbers.") from None
    if not 1 <= restarts <= 16 or not 10 <= steps <= 1000:
        raise input_error("Restarts go from 1 to 16 and steps from 10 to 1000.")
    device = best_device()
    if device != "cpu":  # hundreds of steps: worth a GPU when a Space lends one
        pipe = gan_core.load(model_location(model_name), device=device, task=GAN)
    try:
        discriminator = gan_core.load_discriminator(model_location(model_name), device=device)
    except (CheckpointError, OSError):
        discriminator = None  # the pixel loss alone still works
    encoder, face_network = projection_helpers(model_name, device)
    result = project_image(pipe, image.convert("RGB"), steps=steps, restarts=restarts, discriminator=discriminator,
                           encoder=encoder, face_network=face_network, generator=torch.Generator().manual_seed(0),
                           progress_fn=lambda step, total: progress(step / total, desc="projecting"))
    randoms = restarts - (encoder is not None)
    starts = f"{randoms} random start{'' if randoms == 1 else 's'}"
    guess = f"the encoder's guess ({quote_user_text(encoder.name)})" if encoder is not None else ""
    start = starts if not guess else guess if randoms == 0 else f"{guess} and {starts}"
    report = (f"Pixel error (mean squared, on [-1, 1]): **{result.start_error:.3f}** at the best start, "
              f"**{result.error:.3f}** after {steps} steps from {start}. "
              f"The subject is now **{PHOTO}**; type `{PHOTO}` in any list to use it there.")
    return result.target, result.image, report, encode_latent(result.latent), PHOTO


def photo_edits(model_name: str, photo: str | None) -> tuple[Image.Image | None, str]:
    """The projected photo's reconstruction and what Explore's edits do to it, side by side
    (gan_core.explore.attributes.showcase_edits: turned left and right for a face generator,
    then the attribute edits it has directions for). (None, "") with no projected photo."""
    from gan_core.explore.attributes import SHOWCASE_TURN, showcase_edits

    pipe = check_generator(model_name)
    z = _photo_latent(photo, pipe.spec.nz)
    if z is None:
        return None, ""
    cells = showcase_edits(z, attribute_directions_for(model_name),
                           pose_direction_for(model_name) if pipe.draws_faces else None)
    strip = make_grid(pipe.decode(torch.stack([latent for _, latent in cells])), nrow=len(cells))
    labels = ["the reconstruction", *(label for label, _ in cells[1:])]
    return strip, f"Left to right: {', '.join(labels)} (each edit at t = {SHOWCASE_TURN:g} of its slider)."


def photo_from_link(model_name: str, photo: str | None):
    """What Your photo shows when the page opens with a projected photo in its link: the
    reconstruction from the latent (the photo itself never travels), or nothing new."""
    if not photo:
        return gr.skip(), gr.skip()
    pipe = check_generator(model_name)
    z = _photo_latent(photo, pipe.spec.nz)
    return to_pil(pipe.decode(z[None]))[0], ("This link carries a projected photo: above is its reconstruction, "
                                             "drawn from the latent in the link (the photo itself is not in it). "
                                             f"The subject can be **{PHOTO}** in every tool.")


# ----------------------------------------------------------------------------- link


def view_query(*values) -> str:
    """The link's query string for the values of the view's components (in
    ExploreView's field order); only what differs from the model's opening view,
    since restore_view starts from the same one."""
    view = ExploreView.from_values(values)
    return view.to_query(baseline=initial_view(view.model) if view.model else None)


def initial_view(model_name: str) -> ExploreView:
    """What the tab shows with no link: the shipped picks and first preset, when there are any."""
    view = ExploreView(model=model_name)
    presets = presets_for(model_name) if model_name else Presets()
    view.left, view.right = format_faces(list(presets.turn_left)), format_faces(list(presets.turn_right))
    if presets.arithmetic:
        first = presets.arithmetic[0]
        view.preset, view.a, view.b, view.c = (first.name, format_faces(list(first.a)), format_faces(list(first.b)),
                                               format_faces(list(first.c)))
    else:
        view.a, view.b, view.c = "0", "1", "2"
    choices = attribute_choices(model_name)
    view.attribute = choices[0] if choices else ""
    return view


def restore_view(request: gr.Request) -> ExploreView:
    """The model's opening view with the link's values on top; problems become a warning
    (every value quoted from the link is escaped and shortened: a link is anyone's text)."""
    params = canonical_params(request.query_params) if request is not None else {}
    models = gan_core.list_checkpoints()
    asked, problems = ExploreView.from_query(params)
    known = asked.model in models or trained.is_trained(asked.model)
    model = asked.model if known else (default_model(models) or "")
    if asked.model and not known:
        problems.append(f"model {quoted(asked.model)} is no longer on this server (models trained here are kept "
                        f"for {trained.MAX_AGE_S // 3600} hours), so {quote_user_text(model)} opened instead"
                        if trained.NAME.match(asked.model) else f"model {quoted(asked.model)} is not available here")
    view = initial_view(model)
    for key in params:
        if hasattr(view, key) and key != "model":
            setattr(view, key, getattr(asked, key))
    if view.attribute and view.attribute not in attribute_choices(model):
        problems.append(f"attribute {quoted(view.attribute)} is not available for {quote_user_text(model)}")
        view.attribute = initial_view(model).attribute
    if view.photo and model:
        try:
            decode_latent(view.photo, check_generator(model).spec.nz)
        except ValueError as exc:
            problems.append(f"photo: {exc}")
            view.photo = ""
        except gr.Error:
            pass  # the model itself cannot be loaded: its panels say so
    if problems:
        gr.Warning("Parts of this link were not understood and were left at their defaults: " + "; ".join(problems))
    return view


# ----------------------------------------------------------------------------- layout

URL_JS = """(query) => {
    const url = location.origin + location.pathname + (query ? "?" + query : "");
    history.replaceState(null, "", url);
    return url;
}"""

COPY_JS = """async (url) => {
    try { await navigator.clipboard.writeText(url); } catch (e) { /* no clipboard: the box still shows it */ }
    return url;
}"""


def build_explore_tab(app: gr.Blocks, main_tabs: gr.Tabs) -> "ExploreTab":
    """The tab's components and events; call inside `app`'s context, inside `main_tabs`."""
    models = gan_core.list_checkpoints()
    start = initial_view(default_model(models) or "")
    with gr.Tab("Explore", id="explore"):
        # A textbox, not a State: API callers can pass a projected latent too.
        photo = gr.Textbox(start.photo, visible=False, label="photo latent", elem_id="photo-latent")
        tab = gr.State(start.tab)
        picked_seed = gr.State(None)  # the face last clicked in the gallery, highlighted on its page
        query = gr.Textbox(visible=False, elem_id="explore-query")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                # Its height follows its width: all four rows of faces whole, at any window size.
                gallery = gr.Gallery(label="Gallery: click to pick", columns=8, height="auto", allow_preview=False,
                                     object_fit="contain", elem_id="explore-gallery")
                gallery_md = gr.Markdown(gallery_explain(start.model))
            with gr.Column(scale=1, min_width=240):
                model = gr.Dropdown(models, value=start.model or None, label="Model", interactive=bool(models),
                                    elem_id="explore-model")
                page = whole_number(start.gallery, label="Gallery page", minimum=0, elem_id="explore-page")
                target = gr.Radio(pick_targets(draws_faces(start.model)), value="Subject",
                                  label="A click on a picture goes to", elem_id="pick-target")
                subject = gr.Textbox(start.subject, label="Subject (a seed, or 'photo')", max_lines=1,
                                     elem_id="subject")
                # What is wrong with a gallery page or a subject, until it is fixed (the images stay).
                gallery_status = gr.Markdown("", elem_id="gallery-status", elem_classes="input-status")
                subject_status = gr.Markdown("", elem_id="subject-status", elem_classes="input-status")

        start_faces = draws_faces(start.model)
        face_note = gr.Markdown(face_only_note(start.model), visible=bool(face_only_note(start.model)),
                                elem_id="explore-face-note")
        with gr.Tabs(selected=start.tab) as sub_tabs:
            with gr.Tab("Latent walk", id="walk") as walk_tab:
                gr.Markdown(EXPLAIN["walk"])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=260):
                        walk = gr.Textbox(start.walk, label="Waypoints (two or more seeds, or 'photo')", max_lines=1,
                                          elem_id="walk-waypoints")
                        method = gr.Radio(list(WALK_METHODS), value=start.method, label="Interpolation",
                                          elem_id="walk-method")
                        frames = gr.Slider(*WALK_FRAMES, value=start.frames, step=1, label="Frames in the row",
                                           elem_id="walk-frames")
                        walk_t = gr.Slider(0, 1, value=start.walk_t, step=0.01, label="t along the path",
                                           elem_id="walk-t")
                        walk_status = gr.Markdown("", elem_id="walk-status", elem_classes="input-status")
                    with gr.Column(scale=1, min_width=200):
                        walk_image = gr.Image(label="At t", type="pil", interactive=False, height=256,
                                              elem_id="walk-image", elem_classes="pixelated")
                walk_row = gr.Image(label="The walk", type="pil", interactive=False, height=160, elem_id="walk-row",
                                    elem_classes="pixelated")
                with gr.Accordion("Play: export an animation", open=False):
                    with gr.Row():
                        anim_frames = gr.Slider(8, 120, value=48, step=1, label="Frames")
                        anim_fps = gr.Slider(1, 50, value=16, step=1, label="Frames per second")
                        anim_format = gr.Radio(["GIF", "WebP"], value="GIF", label="Format")
                    play = gr.Button("Make animation", elem_id="walk-play")
                    with gr.Row():
                        animation = gr.Image(label="Animation", type="filepath", interactive=False, height=256,
                                             elem_id="walk-animation")
                        animation_file = gr.File(label="Download", interactive=False)

            with gr.Tab("Turn vector", id="turn", visible=start_faces, elem_id="explore-turn-tab") as turn_tab:
                gr.Markdown(EXPLAIN["turn"])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=260):
                        turn_from = gr.Radio([("Faces picked by eye", "picks"), ("Measured (mirror consistency)", "pose")],
                                             value=start.turn_from, label="Turn vector from", elem_id="turn-from")
                        left = gr.Textbox(start.left, label="Looking left, to the viewer's left (seeds)", max_lines=1, elem_id="turn-left")
                        right = gr.Textbox(start.right, label="Looking right (seeds)", max_lines=1,
                                           elem_id="turn-right")
                        reset_turn = gr.Button("Use the shipped picks", size="sm")
                        turn_status = gr.Markdown("", elem_id="turn-status", elem_classes="input-status")
                        turn_t = gr.Slider(-SLIDER_RANGE, SLIDER_RANGE, value=start.turn_t, step=0.05,
                                           label="t × turn", elem_id="turn-t")
                    with gr.Column(scale=1, min_width=200):
                        turn_image = gr.Image(label="Subject + t × turn", type="pil", interactive=False, height=256,
                                              elem_id="turn-image", elem_classes="pixelated")
                turn_row = gr.Image(label="t from -1 to +1", type="pil", interactive=False, height=160, elem_id="turn-row",
                                    elem_classes="pixelated")

            with gr.Tab("Face arithmetic", id="arithmetic") as arith_tab:
                gr.Markdown(EXPLAIN["arithmetic"])
                preset_names = [p.name for p in presets_for(start.model).arithmetic] if start.model else []
                # The whole width: a preset's name is a long formula, cut short in a narrow column.
                preset = gr.Dropdown(preset_names, value=start.preset or None, label="Preset",
                                     allow_custom_value=True, elem_id="arith-preset", visible=start_faces)
                preset_note = gr.Markdown()
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=260):
                        a = gr.Textbox(start.a, label="A (seeds)", max_lines=1, elem_id="arith-a")
                        b = gr.Textbox(start.b, label="− B (seeds)", max_lines=1, elem_id="arith-b")
                        c = gr.Textbox(start.c, label="+ C (seeds)", max_lines=1, elem_id="arith-c")
                        noise = whole_number(start.noise, label="Noise seed (the eight neighbours)", minimum=0,
                                            elem_id="arith-noise")
                        arith_status = gr.Markdown("", elem_id="arith-status", elem_classes="input-status")
                    with gr.Column(scale=1, min_width=200):
                        terms_image = gr.Image(label="A, B, C; means at the bottom", type="pil",
                                               interactive=False, height=300, elem_id="arith-terms",
                                               elem_classes="pixelated")
                    with gr.Column(scale=1, min_width=200):
                        result_image = gr.Image(label="A − B + C, in the middle", type="pil",
                                                interactive=False, height=300, elem_id="arith-result",
                                                elem_classes="pixelated")

            with gr.Tab("Attribute sliders", id="attributes", visible=start_faces,
                        elem_id="explore-attributes-tab") as attr_tab:
                gr.Markdown(EXPLAIN["attributes"])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=260):
                        attribute = gr.Dropdown(attribute_choices(start.model), value=start.attribute or None,
                                                label="Attribute", allow_custom_value=True, elem_id="attr-name")
                        attribute_t = gr.Slider(-SLIDER_RANGE, SLIDER_RANGE, value=start.attribute_t, step=0.05,
                                                label="t × direction", elem_id="attr-t")
                        attr_status = gr.Markdown("", elem_id="attr-status", elem_classes="input-status")
                        report = gr.Markdown(attribute_report(start.model))
                    with gr.Column(scale=1, min_width=200):
                        attr_image = gr.Image(label="Subject + t × direction", type="pil", interactive=False,
                                              height=256, elem_id="attr-image", elem_classes="pixelated")
                attr_row = gr.Image(label="t from -1 to +1", type="pil", interactive=False, height=160, elem_id="attr-row",
                                    elem_classes="pixelated")

            with gr.Tab("Your photo", id="photo", visible=start_faces, elem_id="explore-photo-tab") as photo_tab:
                gr.Markdown(EXPLAIN["photo"])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=260):
                        # A file, not gr.Image: only gan_core's checked reader opens what users send.
                        upload = gr.File(label="A face photo (JPEG, PNG, WebP...)", file_types=["image"],
                                         type="filepath", height=120, elem_id="photo-upload")
                        opening = projection_settings(start.model)
                        restarts = gr.Slider(1, 16, value=opening[0], step=1, label="Restarts")
                        steps = gr.Slider(10, 1000, value=opening[1], step=10, label="Steps")
                        project = gr.Button("Project into the latent space", variant="primary",
                                            elem_id="photo-project")
                        photo_status = gr.Markdown("", elem_id="photo-status", elem_classes="input-status")
                    with gr.Column(scale=1, min_width=200):
                        target_image = gr.Image(label="As the model sees it", type="pil", interactive=False,
                                                height=256, elem_classes="pixelated")
                    with gr.Column(scale=1, min_width=200):
                        recon_image = gr.Image(label="Reconstruction", type="pil", interactive=False, height=256,
                                               elem_id="photo-recon", elem_classes="pixelated")
                photo_report = gr.Markdown()
                edits_image = gr.Image(label="Edits of the reconstruction", type="pil", interactive=False,
                                       height=160, elem_id="photo-edits", elem_classes="pixelated")
                edits_note = gr.Markdown(elem_id="photo-edits-note")

        with gr.Row(equal_height=True):
            link = gr.Textbox(label="Link to this view", interactive=False, max_lines=1, scale=5,
                              elem_id="explore-link")
            copy = gr.Button("Copy link", scale=1, min_width=120, size="md", elem_id="copy-link")
        # Never shown: the API's endpoints, whose callers get bad input as an error. The page's
        # events below keep the last good images instead and say why beside the control.
        api = gr.Button(visible=False)

    view_inputs = [tab, model, subject, page, walk, method, walk_t, frames, left, right, turn_from, turn_t, preset,
                   a, b, c, noise, attribute, attribute_t, photo]
    private = dict(api_visibility="private")

    def update_link(event):
        # After every change: the query string, then the browser's address bar and the link box.
        return event.then(view_query, view_inputs, query, queue=False, **private).then(
            None, query, link, js=URL_JS, **private)

    api_io = {
        "walk": dict(fn=serve_files(render_walk), inputs=[model, walk, method, walk_t, frames, photo],
                     outputs=[walk_image, walk_row]),
        "turn": dict(fn=serve_files(render_turn), inputs=[model, subject, left, right, turn_from, turn_t, photo],
                     outputs=[turn_image, turn_row]),
        "arithmetic": dict(fn=serve_files(render_arithmetic), inputs=[model, a, b, c, noise, photo],
                           outputs=[terms_image, result_image]),
        "attribute": dict(fn=serve_files(render_attribute), inputs=[model, subject, attribute, attribute_t, photo],
                          outputs=[attr_image, attr_row]),
    }
    for name, io in api_io.items():
        api.click(**io, api_name=name)

    def kept(io, status):
        """The page's event for an endpoint: bad input keeps the images and shows in `status`."""
        return dict(fn=keep_on_error(io["fn"], len(io["outputs"])), inputs=io["inputs"],
                    outputs=[*io["outputs"], status])

    walk_io, turn_io = kept(api_io["walk"], walk_status), kept(api_io["turn"], turn_status)
    arith_io, attr_io = kept(api_io["arithmetic"], arith_status), kept(api_io["attribute"], attr_status)
    gallery_io = dict(fn=keep_on_error(gallery_page), inputs=[model, page, picked_seed],
                      outputs=[gallery, gallery_status])

    def render_all(event):
        # Each panel renders on its own, so one bad list does not blank the others.
        for io in (gallery_io, walk_io, turn_io, arith_io, attr_io):
            event.then(**io, **private)
        return event

    # Sliders: `input` fires while dragging; always_last drops stale positions.
    slider_opts = dict(trigger_mode="always_last", **private)
    update_link(gr.on([walk.submit, walk.blur, method.input, walk_t.input, frames.input], **walk_io, **slider_opts))
    update_link(gr.on([left.submit, left.blur, right.submit, right.blur, turn_from.input, turn_t.input], **turn_io,
                      **slider_opts))
    update_link(gr.on([a.submit, a.blur, b.submit, b.blur, c.submit, c.blur, noise.submit], **arith_io,
                      **slider_opts))
    update_link(gr.on([attribute.input, attribute_t.input], **attr_io, **slider_opts))
    gr.on([subject.submit, subject.blur], subject_problem, [subject, photo], subject_status, queue=False, **private)
    subject_done = gr.on([subject.submit, subject.blur], **turn_io, **slider_opts)
    subject_done.then(**attr_io, **private)
    update_link(subject_done)
    update_link(gr.on([page.submit, page.input], **gallery_io, **slider_opts))

    picked = gallery.select(pick_from_gallery, [page, target, subject, walk, left, right, a, b, c],
                            [subject, walk, left, right, a, b, c, picked_seed], **private)
    update_link(render_all(picked))

    face_tools = dict(fn=face_tools_outputs, inputs=[model, tab, target],
                      outputs=[turn_tab, attr_tab, photo_tab, preset, face_note, gallery_md, sub_tabs, tab, target])

    def model_set(event):
        """After `event` puts a model in the dropdown: its opening view, every panel drawn."""
        event = event.then(initial_view_outputs, model, [subject, walk, left, right, a, b, c, preset, attribute,
                                                         report], **private)
        event = event.then(**face_tools, **private)
        event.then(lambda m: gr.Dropdown(choices=[p.name for p in presets_for(m).arithmetic] if m else []),
                   model, preset, **private)
        event.then(lambda m: gr.Dropdown(choices=attribute_choices(m)), model, attribute, **private)
        event.then(lambda m: tuple(gr.Slider(value=v) for v in projection_settings(m)), model, [restarts, steps],
                   **private)
        update_link(render_all(event))

    model_set(model.input(lambda: None, None, None, queue=False, **private))

    reset = reset_turn.click(shipped_turn_picks, model, [left, right], **private)
    update_link(reset.then(**turn_io, **private))
    chosen = preset.input(arithmetic_preset, [model, preset], [a, b, c, preset_note], **private)
    update_link(chosen.then(**arith_io, **private))

    play.click(make_walk_animation, [model, walk, method, anim_frames, anim_fps, anim_format, photo],
               animation, api_name="walk_animation").then(lambda p: p, animation, animation_file, **private)

    project_io = dict(inputs=[model, upload, restarts, steps],
                      outputs=[target_image, recon_image, photo_report, photo, subject],
                      concurrency_limit=1, concurrency_id="project")  # minutes of CPU each: one at a time
    api.click(serve_files(project_photo), **project_io, api_name="project")
    projected = project.click(keep_on_error(serve_files(project_photo), 5), **{
        **project_io, "outputs": [*project_io["outputs"], photo_status]}, **private)
    projected.then(photo_edits, [model, photo], [edits_image, edits_note], **private)
    update_link(render_all(projected))

    for tab_component, name in ((walk_tab, "walk"), (turn_tab, "turn"), (arith_tab, "arithmetic"),
                                (attr_tab, "attributes"), (photo_tab, "photo")):
        update_link(tab_component.select(lambda n=name: n, None, tab, queue=False, **private))

    copy.click(None, link, link, js=COPY_JS, **private).then(lambda: gr.Info("Link copied."), None, None,
                                                                queue=False, **private)

    # Opening the page: restore the linked view, then draw every panel.
    restored = app.load(restore_outputs, None, [main_tabs, sub_tabs, *view_inputs, report], **private)
    restored.then(lambda m: gr.Dropdown(choices=attribute_choices(m)), model, attribute, **private)
    restored = restored.then(**face_tools, **private)
    restored.then(photo_from_link, [model, photo], [recon_image, photo_report], **private).then(
        photo_edits, [model, photo], [edits_image, edits_note], **private)
    update_link(render_all(restored))
    return ExploreTab(model, model_set)


@dataclass
class ExploreTab:
    """What other tabs need of this one: its model dropdown, and `model_set(event)`,
    to chain after an event that sets that dropdown (the Train tab's "Use in Explore")."""

    model: gr.Dropdown
    model_set: Callable


def initial_view_outputs(model_name: str):
    v = initial_view(model_name)
    return v.subject, v.walk, v.left, v.right, v.a, v.b, v.c, v.preset or None, v.attribute or None, \
        attribute_report(model_name)


def restore_outputs(request: gr.Request):
    """What the page's load event sets. Only what the link names: the load can finish
    after the visitor has clicked a sub-tab or typed seeds (a slow or busy server), and
    putting back the opening view then would undo what they did."""
    v = restore_view(request)
    params = canonical_params(request.query_params) if request is not None else {}
    values = v.values() if params else [gr.skip()] * len(v.values())
    # The model list as this server has it now, trained models included: a link or a reload
    # naming one is then a valid choice for every event after this one.
    values[1] = gr.Dropdown(choices=generator_choices(), **({"value": v.model or None} if params else {}))
    return (gr.Tabs(selected="explore") if params else gr.skip(),
            gr.Tabs(selected=v.tab) if "tab" in params else gr.skip(), *values, attribute_report(v.model))
