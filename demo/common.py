"""What every tab checks and says the same way: input errors, seeds, model names, durations,
and the generator models the Generate, Explore and Forget tabs share.

Plain functions (and one number box, whole_number), so the tabs and their tests share one wording.
"""
from __future__ import annotations

import functools
import math
import re

import gradio as gr

import gan_core
from gan_core.core import hub
from gan_core.core.errors import CheckpointError

from . import trained

# torch accepts 64-bit seeds; 32 bits are plenty and survive JSON/JavaScript intact.
MAX_SEED = 2**32 - 1
# The shipped model the tabs open on: the face generator the Explore tab's presets are for.
PREFERRED_MODEL = "faces-dcgan64"


# What a message quotes of a user's value (a token, a file name, a link's parameter): enough to
# recognise it, never a megabyte of it.
QUOTE_LIMIT = 60
# Characters that would be markup in a toast (HTML) or a Markdown component: written as numeric
# character references, which both show as the character itself.
_MARKUP = {c: f"&#{ord(c)};" for c in "&<>\"'`*_[]#|~\\@"}
# Markdown turns "https://..." and "www.x" into links by themselves: one reference breaks them.
_AUTOLINK = re.compile(r"(?<=[A-Za-z]):(?=//)|(?<=www)\.", re.IGNORECASE)


def quote_user_text(value, limit: int = QUOTE_LIMIT) -> str:
    """`value` (from a link, a form, a file name or a user's model card) made safe to show
    in a gr.Warning / gr.Info / gr.Error toast or a Markdown component: control characters
    and line breaks become spaces, more than `limit` characters end in "…", and every
    character HTML or Markdown would read as markup is escaped, so it shows as typed and
    nothing in it becomes a link, a tag or formatting. Not for inside `code spans`."""
    text = "".join(" " if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029") else c for c in str(value))
    if len(text) > limit:
        text = text[:max(limit - 1, 0)] + "…"
    return _AUTOLINK.sub(lambda m: f"&#{ord(m.group())};", "".join(_MARKUP.get(c, c) for c in text))


def quoted(value, limit: int = QUOTE_LIMIT) -> str:
    """quote_user_text in single quotes: 'value', as a message names what was typed."""
    return f"'{quote_user_text(value, limit)}'"


# The folders of an absolute path ("/srv/checkpoints/x/", "C:\\data\\"): what a message from
# gan_core may hold of the server's disk, and the user is not shown.
_FOLDERS = re.compile(r"(?:(?<![\w.])[A-Za-z]:|(?<![\w.:/\\]))[\\/](?:[^\s'\"\\/:<>|]+[\\/])+")


def error_text(exc, limit: int = 300) -> str:
    """The message of an exception from gan_core (a damaged checkpoint, an unreadable file),
    as quote_user_text shows it, with the server's folders taken out of any path in it
    (`/srv/checkpoints/x/card.json` -> `card.json`)."""
    return quote_user_text(_FOLDERS.sub("", str(exc)), limit)


def keep_on_error(fn, outputs: int = 1):
    """The page's handler for `fn`, which draws `outputs` results: `fn`'s results and ""
    for the status beside the control (its message cleared); on bad input (a gr.Error),
    no change to any result (the last good one stays on screen) and the reason for that
    status. Raising gr.Error instead would put a red "Error" badge on every output.
    API endpoints keep `fn` itself, so their callers still get the error."""
    @functools.wraps(fn)
    def handler(*args, **kwargs):
        try:
            out = fn(*args, **kwargs)
        except gr.Error as exc:
            return (*[gr.update()] * outputs, status_message(exc.message))
        return (*(out if outputs > 1 else (out,)), "")
    return handler


def status_message(message: str) -> str:
    """A status Markdown's text for an error message. Messages are written like toasts: what
    they quote of a user's value is already escaped (quoted / quote_user_text), so they are
    not escaped twice; line breaks become spaces."""
    return "⚠️ " + " ".join(str(message).split())
# The folders before a file's or folder's name in a path of any kind ("../shared/data/faces/",
# "data_pack/", "/srv/x/"), not in a link ("https://...") nor a lone " / ".
_ANY_FOLDERS = re.compile(r"(?<![\w.~:/\\-])(?:[A-Za-z]:)?(?:[\w.~-]*[\\/])+(?=[\w.-])")


def without_folders(text) -> str:
    """`text` with every path shortened to its last name: `../shared/data/style/photos` ->
    `photos`, `data_pack/facades64.zip` -> `facades64.zip`; links are kept. Plain text, not
    escaped: what a card says of its data, without the folders it was read from."""
    return _ANY_FOLDERS.sub("", str(text))


def input_error(message: str) -> gr.Error:
    """The error for a user's mistake: shown, with the traceback kept out of the log
    (a typo is not a server fault)."""
    return gr.Error(message, print_exception=False)


def readable_number(value) -> str:
    """A number as a person would type it: `1e+30`, not the 31 digits of the float nearest
    to it; `3.7`, `12`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return quoted(value)
    if isinstance(value, int) and abs(value) < 10**15:
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e15:
        return str(int(value)) if value == int(value) else repr(value)
    try:
        return f"{value:g}"
    except OverflowError:  # an int beyond any float
        return f"a number of {len(str(abs(value)))} digits"


def check_seed(seed, name: str = "seed") -> int:
    """`seed` as an int in [0, MAX_SEED]; gr.Error saying what to type otherwise (a value
    that is not whole, 3.7, is refused, never rounded behind the user's back)."""
    if seed is None or seed == "":
        raise input_error(f"Enter a {name}: a whole number from 0 to {MAX_SEED}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, float)) or (
            isinstance(seed, float) and not (math.isfinite(seed) and seed == int(seed))):
        raise input_error(f"The {name} must be a whole number from 0 to {MAX_SEED}, not {readable_number(seed)}.")
    if not 0 <= seed <= MAX_SEED:
        raise input_error(f"The {name} must be between 0 and {MAX_SEED}, not {readable_number(seed)}.")
    return int(seed)


def whole_number(value=None, **kwargs) -> gr.Number:
    """A number box for a whole number (a seed, a count). gr.Number(precision=0) rounds what
    arrives, so 3.7 reached the handler as 4 while the box still said 3.7, and 1e+30 as its
    31 digits: this box passes the value on as typed (no precision), for the handler's check to
    refuse in the user's own words, and still tells API callers it takes an "integer".
    (Not a gr.Number subclass: Gradio writes a .pyi stub beside the module of every one.)"""
    box = gr.Number(value, precision=None, **kwargs)
    box.api_info = lambda: {"type": "integer"}
    return box


def check_name(name, available: list[str], kind: str = "model", *, none_message: str | None = None) -> str:
    """`name` when it is one of `available` (names from a browser or the API are checked);
    gr.Error saying what to choose otherwise, `none_message` when there is nothing to choose."""
    listed = ", ".join(available)
    if not available:
        raise input_error(none_message or f"No {kind} is available.")
    if not name:
        article = "an" if kind[:1] in "aeiou" else "a"
        raise input_error(f"Choose {article} {kind} first: one of {listed}.")
    if name not in available:
        raise input_error(f"Unknown {kind} {quoted(name)}; available: {listed}.")
    return name


def duration(seconds) -> str:
    """'45 s', '12 min' or '2.5 h': seconds below 90 s, minutes below 90 min (so no '1 min'
    or '1.0 h' hides half of it), hours beyond; '?' when unknown."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------- generator models


def default_model(models: list[str], preferred: str = PREFERRED_MODEL) -> str | None:
    """The model a tab opens on: the operator's first (from $GAN_CORE_CHECKPOINTS, listed
    first), else `preferred` when shipped, else the first."""
    if not models:
        return None
    if not (hub.REPO_CHECKPOINTS / models[0]).is_dir():  # looked up per call: tests re-point it
        return models[0]
    return preferred if preferred in models else models[0]


def generator_choices() -> list:
    """The generators a page lists: the shipped ones (names), then the models trained in the
    Train tab that the server keeps ((label, name), newest first), so a link or a reload
    naming any of them is a valid choice. Asked when a page loads: trained ones come and go."""
    return [*gan_core.list_checkpoints(), *trained.available()]


def model_location(name: str):
    """What gan_core.load takes for a model name: a shipped name, or the folder of a
    model trained in the Train tab (a snapshot that never changes under its name)."""
    return trained.path(name) if trained.is_trained(name) else name


@functools.lru_cache(maxsize=8)
def load_pipeline(name: str) -> gan_core.GeneratorPipeline:
    """Each model is read from disk once per process."""
    return gan_core.load(model_location(name), task=hub.GAN)


def check_generator_name(model_name: str | None) -> str:
    """A shipped generator's name, or a model trained in this session's Train tab."""
    if trained.is_trained(model_name):
        return model_name
    return check_name(model_name, gan_core.list_checkpoints(), none_message=(
        "No trained model is available: add a checkpoint first (see the note in the Generate tab)."))


def check_generator(model_name: str | None) -> gan_core.GeneratorPipeline:
    """The generator pipeline named `model_name`, loaded once per process."""
    check_generator_name(model_name)
    try:
        return load_pipeline(model_name)
    except CheckpointError as exc:
        raise gr.Error(f"Model {quoted(model_name)} could not be loaded: {error_text(exc)}") from None
