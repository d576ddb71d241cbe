"""The whole GAN studio UI: a header and one tab per module of this package."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import gradio as gr
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse

from .about import build_about_tab
from .common import generator_choices
from .explore import build_explore_tab
from .forget import build_forget_tab
from .generate import build_generate_tab
from .learn import build_learn_tab
from .style import build_style_tab
from .train import build_train_tab, end_session, owner_key
from .upscale import build_upscale_tab
from .view_state import RENAMED, canonical_params

TITLE = "GAN studio"

HEADER = """\
# GAN studio
Sample images from classic generative adversarial networks (DCGAN and friends) trained with
`gan_core`, and explore what a generator has learned. The same seed always gives the same images,
and the Explore tab's link re-creates what you see.
"""

# Gradio 6 takes theme and CSS at launch(), not in gr.Blocks(); app.py passes these.
THEME = gr.themes.Soft()
CSS = """
/* Samples are tiny (32-128 px): fill the frame, scaled up sharp instead of blurred. */
#grid img, .pixelated img { width: 100%; height: 100%; object-fit: contain; image-rendering: pixelated; }
#explore-gallery img { image-rendering: pixelated; }
/* Seven click targets at the theme's spacing make the column beside the gallery the taller
   one, leaving a blank band under the gallery: a tighter list. */
#pick-target { --checkbox-label-gap: 2px; --checkbox-label-padding: 3px 10px; }
/* The reason an input was refused, beside it (the last good result stays on screen). */
.input-status p { color: var(--error-text-color, #b91c1c); margin: 0; }
.train-progress progress { width: 100%; height: 14px; }
/* Gradio floats the label of an image, gallery or file over its top-left corner, where it
   covers the first picture of a row (or a file's drop zone): give it its own line above. */
.block:has(> label[data-testid="block-label"].float) { display: flex; flex-direction: column; }
.block > label[data-testid="block-label"].float { position: static; flex: none; }
.block > label[data-testid="block-label"].float ~ * { flex: 1 1 auto; }
/* Explore's face-only sub-tabs: a Tab's visible=False update does not hide its button in
   Gradio 6, so the buttons go while the note saying why they are hidden is on the page. */
body:has(#explore-face-note) :is(#explore-turn-tab-button, #explore-attributes-tab-button,
                                 #explore-photo-tab-button) { display: none !important; }
"""


def build_app() -> gr.Blocks:
    # Clear Gradio's cache of served images every hour, dropping files older than a day.
    with gr.Blocks(title=TITLE, delete_cache=(3600, 86400)) as app:
        gr.Markdown(HEADER, elem_id="header")
        owner = owner_key()  # here, not in the Train tab: mounted (so read) as the page opens
        with gr.Tabs(elem_id="main-tabs") as tabs:
            generate_model = build_generate_tab()
            explore = build_explore_tab(app, tabs)
            forget_model = build_forget_tab()
            build_train_tab(tabs, generate_model, explore, app, owner)
            build_upscale_tab()
            build_style_tab()
            build_learn_tab()
            build_about_tab()
        # Opening the page: the model lists as the server has them now, models trained in the
        # Train tab included (Explore's load does the same with the link's model), so a
        # trained model is a valid choice everywhere.
        app.load(lambda: [gr.Dropdown(choices=generator_choices())] * 2, None, [generate_model, forget_model],
                 api_visibility="private")
        app.unload(end_session)  # a closed page's training run stops (after a checkpoint)
    return app


# ----------------------------------------------------------------------------- old links


def renamed_query(query: str) -> str | None:
    """The query string under today's parameter names when `query` uses an old one
    (`page=1` -> `gallery=1`), else None."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(key in RENAMED for key, _ in pairs):
        return None
    return urlencode(canonical_params(pairs), safe=",")


class OldLinks:
    """ASGI middleware: an old link to the page, `/?model=...&page=1`, is redirected to its
    new name, `/?model=...&gallery=1`, before Gradio sees it. Gradio reads `?page=` as the
    name of one of its multipage routes and answers an unknown one with HTTP 500."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            path, root = scope.get("path", ""), scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            query = renamed_query(scope.get("query_string", b"").decode("latin-1")) if path in ("", "/") else None
            if query is not None:
                # Relative to the page itself, so a proxy's path prefix stays.
                await RedirectResponse("?" + query, status_code=307)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def app_kwargs() -> dict:
    """What `launch(app_kwargs=...)` passes to the server's FastAPI app: the old-link redirect."""
    return {"middleware": [Middleware(OldLinks)]}


def fix_number_choice_schemas(app: gr.Blocks) -> gr.Blocks:
    """Say "integer" in the API schema of radios whose choices are whole numbers (grid size,
    working size). Gradio 6 declares every radio a string while listing the numbers as its
    choices, a schema no value satisfies: an MCP client (which checks arguments against it)
    could never call generate or style. The values the handlers get are unchanged."""
    for block in app.blocks.values():
        if isinstance(block, gr.Radio) and block.choices and all(
                isinstance(value, int) and not isinstance(value, bool) for _, value in block.choices):
            block.api_info = _integer_choices_info(block)
    return app


def _integer_choices_info(radio: gr.Radio):
    def api_info() -> dict:
        return {"enum": [value for _, value in radio.choices], "title": "Radio", "type": "integer"}
    return api_info
