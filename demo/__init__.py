"""GAN studio: the Gradio UI over gan_core, one module per tab.

Only UI code lives here; every computation is a call into gan_core.
"""
from .app import CSS, THEME, TITLE, app_kwargs, build_app

__all__ = ["app_kwargs", "build_app", "CSS", "THEME", "TITLE"]
