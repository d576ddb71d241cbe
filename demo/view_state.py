"""What the Explore tab shows, as a query string: a link re-creates the same images.

Faces are named by seed, so a link stays short; a projected photo travels as its
latent (float16, base64): 100 numbers are about 270 characters, and the photo
itself never leaves the server that projected it.
"""
from __future__ import annotations

import base64
import math
from dataclasses import asdict, dataclass, fields
from urllib.parse import parse_qsl, quote, urlencode

import numpy as np
import torch

from gan_core.explore.latents import check_latent

from .common import MAX_SEED, quoted

PHOTO = "photo"  # the token naming the projected photo wherever faces are listed
TABS = ("walk", "turn", "arithmetic", "attributes", "photo")
WALK_METHODS = ("slerp", "lerp")
TURN_SOURCES = ("picks", "pose")
GALLERY_SIZE = 32  # faces on a gallery page: page p shows seeds 32p .. 32p + 31
MAX_GALLERY_PAGE = MAX_SEED // GALLERY_SIZE
MAX_FACES = 16  # per list: more gives no better mean and a URL nobody can read
WALK_FRAMES = (2, 16)
SLIDER_RANGE = 2.0  # turn and attribute sliders run over [-2, 2]
FACE_FIELDS = {"subject", "walk", "left", "right", "a", "b", "c"}
DROPDOWNS = {"model", "preset", "attribute"}
# Query names that once meant a field, and the field they mean now (old links keep working).
RENAMED = {"page": "gallery"}


@dataclass
class ExploreView:
    """Everything a link restores. Face lists are text as typed ("3, 17, photo")."""

    tab: str = "walk"
    model: str = ""
    subject: str = "0"
    gallery: int = 0  # the gallery page; not `page`, which Gradio reads as one of its multipage routes
    walk: str = "0, 1, 2"
    method: str = "slerp"
    walk_t: float = 0.5
    frames: int = 8
    left: str = ""
    right: str = ""
    turn_from: str = "pose"
    turn_t: float = 0.0
    preset: str = ""
    a: str = ""
    b: str = ""
    c: str = ""
    noise: int = 0
    attribute: str = ""
    attribute_t: float = 0.0
    photo: str = ""

    @classmethod
    def from_values(cls, values) -> "ExploreView":
        """A view from the UI components' values, in field order (the event's inputs);
        an empty dropdown or number box (None) takes the field's default."""
        view = cls()
        for f, value in zip(fields(cls), values, strict=True):
            if value is not None:
                setattr(view, f.name, {"int": int, "float": float}.get(f.type, str)(value))
        return view

    def values(self) -> list:
        """The components' values, in field order; dropdowns get None for "nothing chosen"."""
        return [None if (k in DROPDOWNS and not v) else v for k, v in asdict(self).items()]

    def to_query(self, baseline: "ExploreView | None" = None) -> str:
        """The fields that differ from `baseline` (what the page shows with no link; the
        model always goes in), as `key=value&...` with commas kept readable."""
        default = baseline or ExploreView()
        items = {k: _format(v) for k, v in asdict(self).items() if v != getattr(default, k) or k == "model"}
        if not items.get("model"):
            items.pop("model", None)
        for key in FACE_FIELDS & items.keys():  # "3, 17" -> "3,17": no %20 in the link
            items[key] = ",".join(t for t in items[key].replace(",", " ").split())
        return urlencode(items, quote_via=quote, safe=",")

    @classmethod
    def from_query(cls, query: str | dict) -> tuple["ExploreView", list[str]]:
        """(view, problems): values that do not parse are left at their defaults and
        named in `problems`, so a mangled link still opens."""
        params = canonical_params(parse_qsl(query.lstrip("?"), keep_blank_values=True)
                                  if isinstance(query, str) else query)
        view, problems = cls(), []
        types = {f.name: f.type for f in fields(cls)}
        for key, raw in params.items():
            if key not in types:
                continue  # other apps' parameters (Spaces adds some) are not ours to judge
            try:
                setattr(view, key, _parse(key, types[key], raw))
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
        return view, problems


def canonical_params(params) -> dict[str, str]:
    """A link's parameters (a mapping or (key, value) pairs) under today's names: an old
    link's `page=3` is `gallery=3` (a `gallery` beside it wins)."""
    items = list(params.items()) if hasattr(params, "items") else list(params)
    keys = {k for k, _ in items}
    return {RENAMED.get(k, k): v for k, v in items if RENAMED.get(k) not in keys}


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parse(key: str, kind: str, raw: str):
    raw = raw.strip()
    if kind == "float":
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{quoted(raw)} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{quoted(raw)} is not a finite number")
        if key == "walk_t":
            return min(max(value, 0.0), 1.0)
        return min(max(value, -SLIDER_RANGE), SLIDER_RANGE)
    if kind == "int":
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{quoted(raw)} is not a whole number") from None
        if key == "frames":
            return min(max(value, WALK_FRAMES[0]), WALK_FRAMES[1])
        if key == "gallery" and not 0 <= value <= MAX_GALLERY_PAGE:
            raise ValueError(f"page {quoted(value)} is out of range (0 to {MAX_GALLERY_PAGE})")
        if not 0 <= value <= MAX_SEED:
            raise ValueError(f"{quoted(value)} is out of range")
        return value
    choices = {"tab": TABS, "method": WALK_METHODS, "turn_from": TURN_SOURCES}.get(key)
    if choices and raw not in choices:
        raise ValueError(f"{quoted(raw)} is not one of {', '.join(choices)}")
    if len(raw) > 2000:
        raise ValueError(f"{quoted(raw)} is too long ({len(raw):,} characters)")
    return raw


# ----------------------------------------------------------------------------- face lists


class FaceListError(ValueError):
    pass


def parse_faces(text: str | None, label: str, *, minimum: int = 1, photo_allowed: bool = True) -> list[int | str]:
    """"3, 17, photo" -> [3, 17, "photo"], or FaceListError saying what to fix."""
    tokens = [t.strip() for t in (text or "").replace(";", ",").replace(" ", ",").split(",") if t.strip()]
    faces: list[int | str] = []
    for token in tokens:
        if token.lower() == PHOTO:
            if not photo_allowed:
                raise FaceListError(f"{label}: '{PHOTO}' cannot be used here.")
            faces.append(PHOTO)
            continue
        try:
            seed = int(token)
        except ValueError:
            raise FaceListError(f"{label}: {quoted(token)} is not a seed (a whole number) or '{PHOTO}'.") from None
        if not 0 <= seed <= MAX_SEED:
            raise FaceListError(f"{label}: seed {quoted(seed)} is out of range (0 to {MAX_SEED}).")
        faces.append(seed)
    if len(faces) < minimum:
        need = "a face" if minimum == 1 else f"at least {minimum} faces"
        raise FaceListError(f"{label}: give {need} (seeds from the gallery, comma separated).")
    if len(faces) > MAX_FACES:
        raise FaceListError(f"{label}: at most {MAX_FACES} faces, not {len(faces)}.")
    return faces


def format_faces(faces: list[int | str]) -> str:
    return ", ".join(str(f) for f in faces)


def toggle_face(text: str | None, face: int) -> str:
    """Add `face` to a list typed as text, or take it out when it is already there
    (a second click undoes a pick). Unparseable text is replaced."""
    try:
        faces = parse_faces(text, "list", minimum=0)
    except FaceListError:
        faces = []
    faces = [f for f in faces if f != face] if face in faces else [*faces, face][-MAX_FACES:]
    return format_faces(faces)


# ----------------------------------------------------------------------------- photo latent


def encode_latent(z: torch.Tensor) -> str:
    """A latent as URL-safe text: float16 is exact enough (1e-3 relative) for the image."""
    data = z.detach().float().cpu().numpy().astype("<f2").tobytes()
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_latent(text: str, nz: int) -> torch.Tensor:
    """The inverse of encode_latent; ValueError when it is not a latent of length nz with
    finite entries within gan_core's bound (MAX_LATENT_ABS)."""
    if len(text) > 16 * nz + 1024:  # base64 of nz float16s is 8 nz / 3 characters: not decoded at all
        raise ValueError(f"the photo's latent in the link is too long ({len(text):,} characters) for this model")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        raise ValueError("the photo's latent in the link is damaged") from None
    if len(data) != 2 * nz:
        raise ValueError(f"the photo's latent in the link has {len(data) // 2} numbers; this model needs {nz}")
    z = torch.from_numpy(np.frombuffer(data, dtype="<f2").astype(np.float32).copy())
    try:
        return check_latent(z, nz)
    except ValueError as exc:
        raise ValueError(f"the photo's latent in the link is damaged: {exc}") from None
