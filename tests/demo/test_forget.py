"""The Forget tab's handlers (demo/forget.py), as the app calls them."""
from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import forget

from ..helpers import TINY_CHECKPOINT


def _brushed(tiles: set[int], top_half: bool = True) -> dict:
    """A canvas value with brush marks over the top half of the given tiles."""
    marks = np.zeros((forget.CANVAS, forget.CANVAS, 4), dtype=np.uint8)
    t = forget.CANVAS // forget.GRID
    for i in tiles:
        r, c = divmod(i, forget.GRID)
        marks[r * t: r * t + (t // 2 if top_half else t), c * t: (c + 1) * t] = (255, 0, 80, 140)
    return {"background": None, "layers": [Image.fromarray(marks, "RGBA")], "composite": None}


def test_canvas_marks_become_one_mask_per_sample():
    masks = forget.masks_from_canvas(_brushed({0, 5}), 32)
    assert masks.shape == (16, 32, 32)
    assert masks[0, :16].min() == 1 and masks[0, 16:].max() == 0  # the top half of sample 0
    assert masks[5].mean() == 0.5 and masks[[1, 2, 3, 4, 6]].sum() == 0
    assert forget.masks_from_canvas(None, 32).sum() == 0


def test_label_fit_and_drop_on_a_real_checkpoint(tiny_checkpoint_dir):
    canvas = forget.label_canvas(TINY_CHECKPOINT, 3)
    assert canvas["background"].size == (forget.CANVAS, forget.CANVAS) and canvas["layers"] == []
    layers = forget.layer_choices(TINY_CHECKPOINT)
    names = [value for _, value in layers.choices]
    assert layers.value == names[-2]
    state, summary, plot, slider = forget.fit_units(TINY_CHECKPOINT, names[-1], 3, _brushed({0, 1, 2, 7, 9}),
                                                    "brush", None)
    assert state["layer"] == names[-1] and "units" in summary and len(plot.value["data"]) > 0
    n_units = len(state["ranking"])
    assert plot.title == (f"Units by weight (all {n_units})" if n_units <= forget.BAR_UNITS
                          else f"Units by weight (the top {forget.BAR_UNITS} of {n_units})")
    assert slider.value == state["positive"] and 0 < state["positive"] < len(state["ranking"])
    before, after, numbers = forget.render_ablation(TINY_CHECKPOINT, state, state["positive"], 3)
    assert before.size == after.size and np.asarray(before).shape == np.asarray(after).shape
    assert not np.array_equal(np.asarray(before), np.asarray(after))  # dropping units changed the images
    same_before, same_after, _ = forget.render_ablation(TINY_CHECKPOINT, state, 0, 3)
    assert np.array_equal(np.asarray(same_before), np.asarray(same_after))  # none dropped: unchanged
    assert np.array_equal(np.asarray(same_before), np.asarray(before))  # and the generator was restored
    assert "Whole image" in numbers


@pytest.mark.parametrize("editor, message", [
    (None, "Nothing is marked"),
    ({"layers": [Image.new("RGBA", (forget.CANVAS, forget.CANVAS), (255, 0, 0, 200))]}, "Almost everything"),
])
def test_fit_refuses_empty_or_total_marks(tiny_checkpoint_dir, editor, message):
    layer = forget.layer_choices(TINY_CHECKPOINT).value
    with pytest.raises(gr.Error, match=message):
        forget.fit_units(TINY_CHECKPOINT, layer, 0, editor, "brush", None)


def test_bad_inputs_get_messages(tiny_checkpoint_dir):
    with pytest.raises(gr.Error, match="Choose a layer"):
        forget.fit_units(TINY_CHECKPOINT, "nope", 0, _brushed({0}), "brush", None)
    with pytest.raises(gr.Error, match="Fit first"):
        forget.render_ablation(TINY_CHECKPOINT, None, 3, 0)
    with pytest.raises(gr.Error, match="seed"):
        forget.label_canvas(TINY_CHECKPOINT, -4)
    with pytest.raises(gr.Error, match="No detector"):
        forget.detect("no-such-detector", None)


# ----------------------------------------------------------------------------- the detector where it fits

from gan_core.core.hub import REPO_CHECKPOINTS  # noqa: E402

SHIPPED = pytest.mark.skipif(not all((REPO_CHECKPOINTS / n).is_dir() for n in ("facades-dcgan64", "faces-dcgan64",
                                                                                "window-detector")),
                             reason="the shipped facades, faces and window-detector checkpoints are needed")


@SHIPPED
def test_the_tab_opens_on_the_facades_and_offers_the_detector_only_there():
    import gan_core
    assert forget.opening_model(gan_core.list_checkpoints()) == "facades-dcgan64"
    assert forget.detectors_for("facades-dcgan64") == {"window-detector": "windows"}
    assert forget.detectors_for("faces-dcgan64") == {} and forget.detectors_for(None) == {}
    source, detector, auto, note = forget.detector_controls("faces-dcgan64")
    assert source.visible is False and source.value == "brush" and detector.visible is False
    assert auto.visible is False and note.visible is True and "facades" in note.value
    source, detector, auto, note = forget.detector_controls("facades-dcgan64")
    assert source.visible and detector.visible and detector.value == "window-detector" and auto.visible
    assert note.visible is False


@SHIPPED
def test_the_detector_is_refused_on_faces():
    with pytest.raises(gr.Error, match="only for a model trained on facades"):
        forget.auto_label("faces-dcgan64", 0, "window-detector")
    layer = forget.layer_choices("faces-dcgan64").value
    with pytest.raises(gr.Error, match="only for a model trained on facades"):
        forget.fit_units("faces-dcgan64", layer, 0, None, "detector", "window-detector")


@SHIPPED
def test_a_card_whose_data_names_facades_gets_the_detector(tiny_checkpoint_dir):
    import json
    card_path = tiny_checkpoint_dir / TINY_CHECKPOINT / "model_card.json"
    assert forget.detectors_for(TINY_CHECKPOINT) == {}
    card = json.loads(card_path.read_text())
    card["data"]["dataset"] = "CMP Facade Database"
    card_path.write_text(json.dumps(card))
    from demo import common
    common.load_pipeline.cache_clear()
    assert forget.detectors_for(TINY_CHECKPOINT) == {"window-detector": "windows"}
    # Without the facades model, the first model the detector fits is the one the tab opens on.
    assert forget.opening_model(["faces-dcgan64", TINY_CHECKPOINT]) == TINY_CHECKPOINT
    assert forget.opening_model([TINY_CHECKPOINT, "facades-dcgan64"]) == "facades-dcgan64"
