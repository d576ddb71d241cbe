"""The Style tab's handlers, called as plain functions (no server, no browser).

One tiny style checkpoint is trained for the session (two steps on a few synthetic
pictures, seconds on a CPU) and installed under a temporary checkpoints root.
"""
from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import gan_core
from demo import style as tab

from ..helpers import TINY_STYLE, save_picture, unreadable_uploads, write_upload

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_handler_gives_a_slider_pair_at_the_working_size(style_checkpoint, tmp_path):
    assert gan_core.list_checkpoints(task="style-transfer") == [TINY_STYLE]
    photo = save_picture(tmp_path / "my photo.png", (60, 40))
    pair, seams, download = tab.style_files(photo, TINY_STYLE, 512, tab.TILES)
    left, right = (Image.open(p) for p in pair)
    assert left.size == right.size == (512, 341)  # longest side at 512, the aspect kept
    assert left.format == right.format == "PNG"
    out = Image.open(download)
    assert out.format == "PNG" and out.size == (512, 341)
    assert download.endswith("my_photo-tiny-style-tiles-512px.png")
    assert np.array_equal(np.asarray(out), np.asarray(right.convert("RGB")))
    assert "16 px tile grid" in seams and "1.0 = tile borders as smooth as anywhere else" in seams

    result = tab.paint_photo(str(tmp_path / "my photo.png"), TINY_STYLE, "512", "tiles")  # the API may send strings
    assert result.tile == 16
    assert result.seams == pytest.approx(tab.seam_score(result.painting, 16))
    assert result.seams_photo == pytest.approx(tab.seam_score(result.picture, 16))
    assert f"{result.seams:.3f}" in seams and f"{result.seams_photo:.3f}" in seams


def test_the_method_changes_the_painting(style_checkpoint, tmp_path):
    path = save_picture(tmp_path / "p.png", (50, 70))
    tiles = tab.paint_photo(path, TINY_STYLE, 512, tab.TILES)
    resized = tab.paint_photo(path, TINY_STYLE, 512, tab.RESIZED)
    assert tiles.painting.size == resized.painting.size == (366, 512)
    assert resized.method == "resized" and tiles.method == "tiles"
    assert not np.array_equal(np.asarray(tiles.painting), np.asarray(resized.painting))
    _, _, download = tab.style_files(path, TINY_STYLE, 512, tab.RESIZED)
    assert download.endswith("p-tiny-style-resized-512px.png")


def test_the_model_summary_reads_the_card(style_checkpoint):
    card_file = style_checkpoint / TINY_STYLE / "model_card.json"
    card = gan_core.load(TINY_STYLE).card
    card.setdefault("metrics", {})["seams"] = {"seam_score": 1.0412, "seam_score_photos": 0.998,
                                               "seam_score_resized_baseline": 1.0, "combo": True,
                                               "without_combo": {"seam_score": 2.0973, "combo": False}}
    card_file.write_text(json.dumps(card))
    summary = tab.model_summary(TINY_STYLE)
    assert summary.startswith(f"**{card['name']}**: Photos to paintings")
    assert "16x16 px" in summary and "trained through the combo" in summary
    assert "2 steps of 3 crops" in summary
    assert "1.041" in summary and "0.998" in summary and "combo: yes" in summary
    assert "without the combo: 2.097" in summary
    assert "Unknown model" in tab.model_summary("nope")


def test_the_judge_gives_its_verdict_on_the_painting_and_the_photo(style_checkpoint, tmp_path):
    """With the photo-or-painting judge installed beside the model, each result says how
    painted the painting and the photo look; the summary quotes the card's held-out share."""
    import torch

    from gan_core.evaluation.painting_score import painting_probabilities
    from gan_core.models.attribute_classifier import AttributeClassifier
    from gan_core.pipelines.classifier import CLASSIFIER_FILE
    from gan_core.training.attributes import save_classifier

    photo = save_picture(tmp_path / "p.png", (60, 40))
    assert tab.paint_photo(photo, TINY_STYLE, 512, tab.TILES).painted is None  # no judge: no verdict
    assert "Painted?" not in tab.style_files(photo, TINY_STYLE, 512, tab.TILES)[1]

    torch.manual_seed(0)
    judge = AttributeClassifier([{"name": "painting", "kind": "binary"}], image_size=128, width=4)
    save_classifier(style_checkpoint / tab.JUDGE, judge, {"name": tab.JUDGE, "task": "attribute-classification",
                                                          "files": {"weights": CLASSIFIER_FILE}})
    tab._judge.cache_clear()
    result = tab.paint_photo(photo, TINY_STYLE, 512, tab.TILES)
    expected = painting_probabilities(tab._judge(), [result.painting, result.picture]).tolist()
    assert [result.painted, result.painted_photo] == pytest.approx(expected)
    text = tab.seams_text(result)
    assert f"**{result.painted:.2f}**" in text and f"your photo {result.painted_photo:.2f}" in text

    card_file = style_checkpoint / TINY_STYLE / "model_card.json"
    card = gan_core.load(TINY_STYLE).card
    card.setdefault("metrics", {})["seams"] = {"seam_score": 1.04, "painting_share": 0.735,
                                               "painting_share_photos": 0.04}
    card_file.write_text(json.dumps(card))
    tab._painter.cache_clear()
    assert ("74% of those photos, translated, are called paintings by the photo-or-painting judge (the photos "
            "themselves: 4%)") in tab.model_summary(TINY_STYLE)
    card["metrics"]["seams"]["painting_share_filtered_photos"] = 0.12  # the control filter's share
    card_file.write_text(json.dumps(card))
    tab._painter.cache_clear()
    assert "(the photos themselves: 4%; the photos with a cool cast and a soft focus: 12%)" in \
        tab.model_summary(TINY_STYLE)


@pytest.mark.parametrize("content, message", unreadable_uploads("painted"))
def test_bad_files_get_a_clear_message(style_checkpoint, tmp_path, content, message):
    with pytest.raises(gr.Error, match=message):
        tab.style_files(write_upload(tmp_path / "bad.png", content), TINY_STYLE, 512, tab.TILES)


def test_missing_input_unknown_model_and_too_large_sizes_are_refused(style_checkpoint, tmp_path, monkeypatch):
    path = save_picture(tmp_path / "p.png")
    with pytest.raises(gr.Error, match="Upload a photo first"):
        tab.style_files(None, TINY_STYLE, 512, tab.TILES)
    with pytest.raises(gr.Error, match=f"Unknown model 'nope'; available: {TINY_STYLE}"):
        tab.style_files(path, "nope", 512, tab.TILES)
    with pytest.raises(gr.Error, match="Choose a model first"):
        tab.style_files(path, None, 512, tab.TILES)
    with pytest.raises(gr.Error, match="Unknown method 'oil'"):
        tab.style_files(path, TINY_STYLE, 512, "oil")
    with pytest.raises(gr.Error, match="must be a number of pixels"):
        tab.style_files(path, TINY_STYLE, "big", tab.TILES)
    with pytest.raises(gr.Error, match="Choose a working size"):
        tab.style_files(path, TINY_STYLE, 777, tab.TILES)
    monkeypatch.setattr(tab, "_gpu_present", lambda: False)
    assert tab.working_size_choices() == [512, 1024, 2048]
    with pytest.raises(gr.Error, match="4096 px is too large: 2048 px .* on its CPU"):
        tab.style_files(path, TINY_STYLE, 4096, tab.TILES)
    monkeypatch.setattr(tab, "_gpu_present", lambda: True)
    assert tab.working_size_choices() == [512, 1024, 2048, 4096]
    with pytest.raises(gr.Error, match="8192 px is too large: 4096 px"):
        tab.style_files(path, TINY_STYLE, 8192, tab.TILES)


def test_without_a_model_the_tab_says_how_to_train_one(no_checkpoints, tmp_path):
    assert gan_core.list_checkpoints(task="style-transfer") == []
    with gr.Blocks() as app:
        tab.build_style_tab()
    notes = [c for c in app.blocks.values() if getattr(c, "elem_id", None) == "no-style-models"]
    assert len(notes) == 1 and "python -m gan_core style train" in notes[0].value
    assert "export/" in notes[0].value and "checkpoints/" in notes[0].value
    with pytest.raises(gr.Error, match="No style-transfer model is installed"):
        tab.style_files(save_picture(tmp_path / "p.png"), None, 512, tab.TILES)


def test_the_tab_builds_with_a_model(style_checkpoint):
    with gr.Blocks() as app:
        tab.build_style_tab()
    assert "style" in {dep.get("api_name") for dep in app.config["dependencies"]}
    ids = {getattr(c, "elem_id", None) for c in app.blocks.values()}
    assert {"style-slider", "style-download", "style-combo-figure", "style-card"} <= ids
    assert "no-style-models" not in ids
    dropdown = next(c for c in app.blocks.values() if getattr(c, "elem_id", None) == "style-model")
    assert dropdown.value == TINY_STYLE


@pytest.mark.browser  # starts the app: seconds, not milliseconds
def test_the_style_endpoint_through_the_api(style_checkpoint, tmp_path):
    gradio_client = pytest.importorskip("gradio_client")
    from tools.browser import AppDidNotStart, running_app

    env = {"GAN_CORE_CHECKPOINTS": str(style_checkpoint), "OMP_NUM_THREADS": "1"}
    try:
        with running_app(tmp_path / "app.log", env) as url:
            client = gradio_client.Client(url, verbose=False)
            pair, seams, download = client.predict(
                gradio_client.handle_file(save_picture(tmp_path / "p.png", (40, 80))), TINY_STYLE, 512, tab.RESIZED,
                api_name="/style")
            (tmp_path / "bad.png").write_bytes(b"not a picture")
            with pytest.raises(gradio_client.exceptions.AppError, match="not a readable image"):
                client.predict(gradio_client.handle_file(str(tmp_path / "bad.png")), TINY_STYLE, 512, tab.TILES,
                               api_name="/style")
            # Gradio checks the dropdown's choices before the handler does: either way, a clear no
            with pytest.raises(gradio_client.exceptions.AppError, match="nope"):
                client.predict(gradio_client.handle_file(str(tmp_path / "p.png")), "nope", 512, tab.TILES,
                               api_name="/style")
    except AppDidNotStart as exc:
        pytest.fail(str(exc))
    assert Image.open(pair[0]).size == Image.open(pair[1]).size == Image.open(download).size == (256, 512)
    assert "Seam score" in seams
