"""Style refuses what Upscale refuses: pictures under 8 px a side, and strips whose short side
would be under 8 px at the working size, in the tab, the Python API and the command line."""
from __future__ import annotations

import gradio as gr
import pytest
from PIL import Image

import gan_core
from demo import style as tab
from gan_core.cli import main
from gan_core.core.errors import DataError
from gan_core.data.image_set import MIN_IMAGE_SIDE
from gan_core.pipelines.style import load_picture

from ..helpers import TINY_STYLE

TOO_SMALL = [((1, 1), "too small: 1x1"), ((10000, 3), "too small: 10000x3"), ((7, 300), "too small: 7x300")]


def _save(tmp_path, size) -> str:
    path = tmp_path / f"{size[0]}x{size[1]}.png"
    Image.new("RGB", size, (90, 140, 200)).save(path)
    return str(path)


@pytest.mark.parametrize("size, message", TOO_SMALL + [((2000, 20), "too long and thin.*short side would be 5 px")])
def test_the_tab_refuses_pictures_too_small_to_paint(style_checkpoint, tmp_path, size, message):
    with pytest.raises(gr.Error, match=message) as exc:
        tab.style_files(_save(tmp_path, size), TINY_STYLE, 512, tab.TILES)
    assert exc.value.print_exception is False


def test_a_strip_is_refused_at_a_small_working_size_and_taken_at_a_larger_one():
    strip = Image.new("RGB", (2000, 20))
    with pytest.raises(DataError, match="working size of at least 800 px"):
        load_picture(strip, 512)
    assert load_picture(strip, 1024).size == (1024, 10)
    assert load_picture(Image.new("RGB", (MIN_IMAGE_SIDE, MIN_IMAGE_SIDE)), None).size == (8, 8)
    with pytest.raises(DataError, match="too small"):
        load_picture(Image.new("RGB", (MIN_IMAGE_SIDE - 1, 100)), None)


def test_the_python_api_and_the_command_line_refuse_them_too(style_checkpoint, tmp_path, capsys):
    painter = gan_core.load(TINY_STYLE)
    for size, message in TOO_SMALL:
        with pytest.raises(DataError, match=message):
            painter(_save(tmp_path, size), working_size=512)
    out = tmp_path / "painting.png"
    assert main(["style", "translate", TINY_STYLE, _save(tmp_path, (10000, 3)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "too small: 10000x3" in err and "Traceback" not in err
    assert not out.exists()
