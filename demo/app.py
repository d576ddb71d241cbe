"""The whole GAN studio UI: a header and one tab per module of this package."""
from __future__ import annotations

import gradio as gr

from .about import build_about_tab
from .explore import build_explore_tab
from .forget import build_forget_tab
from .generate import build_generate_tab
from .learn import build_learn_tab
from .style import build_style_tab
from .train import build_train_tab, end_session
from .upscale import build_upscale_tab

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
.train-progress progress { width: 100%; height: 14px; }
"""


def build_app() -> gr.Blocks:
    # Clear Gradio's cache of served images every hour, dropping files older than a day.
    with gr.Blocks(title=TITLE, delete_cache=(3600, 86400)) as app:
        gr.Markdown(HEADER, elem_id="header")
        with gr.Tabs(elem_id="main-tabs") as tabs:
            generate_model = build_generate_tab()
            explore = build_explore_tab(app, tabs)
            build_forget_tab()
            build_train_tab(tabs, generate_model, explore)
            build_upscale_tab()
            build_style_tab()
            build_learn_tab()
            build_about_tab()
        app.unload(end_session)  # a closed page's training run stops (after a checkpoint)
    return app
