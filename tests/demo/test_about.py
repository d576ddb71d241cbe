"""The About tab: the papers, the class plan, and each checkpoint's data and licence from its card."""
from __future__ import annotations

import gradio as gr

from demo import about
from demo.about import shipped_models_markdown
from gan_core.core.checkpoints import CARD_FILE, read_json, write_json

from ..helpers import TINY_CHECKPOINT


def test_about_lists_each_model_with_its_data_licence(tiny_checkpoint_dir):
    card_path = tiny_checkpoint_dir / TINY_CHECKPOINT / CARD_FILE
    card = read_json(card_path)
    card["data"]["licence"] = "for teaching only"
    write_json(card_path, card)
    text = shipped_models_markdown()
    assert f"**{TINY_CHECKPOINT}**" in text and "for teaching only" in text


def test_about_lists_every_kind_of_checkpoint(tiny_checkpoint_dir):
    """Upscalers, detectors and style models have licences too: the About tab lists them all."""
    folder = tiny_checkpoint_dir / "tiny-painter"
    folder.mkdir()
    write_json(folder / CARD_FILE, {"name": "tiny-painter", "task": "style-transfer", "model": "siamese-tile-translator",
                                    "data": {"A (photos)": {"description": "3 photos"},
                                             "B (paintings)": {"description": "2 paintings"},
                                             "note": "paintings: research use only"}})
    text = shipped_models_markdown()
    assert "**tiny-painter** (`siamese-tile-translator`, style-transfer)" in text
    assert "3 photos" in text and "2 paintings" in text and "research use only" in text
    assert f"**{TINY_CHECKPOINT}**" in text


def test_a_card_that_cannot_be_read_is_named_not_fatal(tiny_checkpoint_dir):
    (tiny_checkpoint_dir / "broken").mkdir()
    (tiny_checkpoint_dir / "broken" / CARD_FILE).write_text("[1, 2]")  # JSON, but not a card
    text = shipped_models_markdown()
    assert "**broken**: its card could not be read (not a JSON object)." in text
    assert f"**{TINY_CHECKPOINT}** (`dcgan32`): no data: random weights." in text
    assert "Trained for 0 steps on none." in text


def test_without_checkpoints_it_says_none(no_checkpoints):
    assert shipped_models_markdown() == "### Shipped models\n\nNone yet."


def test_the_tab_shows_the_papers_the_plan_and_the_models(tiny_checkpoint_dir):
    with gr.Blocks() as app:
        about.build_about_tab()
    texts = [getattr(b, "value", "") for b in app.blocks.values() if isinstance(b, gr.Markdown)]
    assert texts[:2] == [about.PAPERS.strip(), about.CLASS_PLAN.strip()]  # Gradio strips the Markdown
    models = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "about-models")
    assert models.value == shipped_models_markdown() and f"**{TINY_CHECKPOINT}**" in models.value
    for tab in ("Generate", "Explore", "Forget", "Train", "Upscale", "Style", "Learn"):  # every tab has its paper
        assert f"\n| {tab}" in about.PAPERS
