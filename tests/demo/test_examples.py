"""The pictures the app draws itself: the example inputs and the combo figure."""
from __future__ import annotations

import numpy as np
from PIL import Image

from demo import examples


def test_the_combo_figure(tmp_path):
    figure = examples.combo_figure()
    assert figure.mode == "RGB" and 800 <= figure.width <= 2000 and 300 <= figure.height <= 1000
    assert len(np.unique(np.asarray(figure).reshape(-1, 3), axis=0)) > 50  # a drawing, not a blank
    saved = Image.open(examples.write_combo_figure(tmp_path / "combo.png"))
    assert saved.format == "PNG" and saved.size == figure.size
    shipped = Image.open(examples.COMBO_PNG)  # docs/combo.png, drawn by the same function
    assert shipped.size == figure.size


def test_the_mountain_lake_example_is_a_landscape_made_the_same_every_time(tmp_path, monkeypatch):
    monkeypatch.setattr(examples, "EXAMPLES", tmp_path / "examples")
    a, b = examples.mountain_lake(), examples.mountain_lake()
    assert a.size == (960, 640) and np.array_equal(np.asarray(a), np.asarray(b))
    arr = np.asarray(a, np.float32)
    assert arr[:100, :, 2].mean() > arr[:100, :, 0].mean() + 40  # blue sky at the top
    paths = examples.style_examples()
    assert paths[0].endswith("mountain-lake.png") and Image.open(paths[0]).size == (960, 640)


def test_the_upscale_examples_are_the_same_pictures_each_time_they_are_drawn(tmp_path, monkeypatch):
    monkeypatch.setattr(examples, "EXAMPLES", tmp_path / "examples")
    paths = examples.upscale_examples()
    assert [p.rsplit("/", 1)[-1] for p in paths] == ["faces.png", "letters.png", "landscape.png"]
    first = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    for p in paths:
        (tmp_path / "examples" / p.rsplit("/", 1)[-1]).unlink()
    again = [np.asarray(Image.open(p).convert("RGB")) for p in examples.upscale_examples()]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    faces, letters, landscape = first
    assert faces.shape == (132, 132, 3) and faces.std() > 20  # four faces from the shipped grid, not a blank
    assert len(np.unique(letters.reshape(-1, 3), axis=0)) > 5  # text and lines in several colours
    assert landscape.shape == (96, 128, 3) and landscape[:20, :, 2].mean() > landscape[:20, :, 0].mean()  # sky
