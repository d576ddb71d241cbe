"""What the app echoes of a user's text (a link, a typed token, a file name, a card) is escaped
and shortened; link parameters Gradio also reads are renamed; a link's latent is bounded."""
from __future__ import annotations

import base64
import types
import warnings

import gradio as gr
import numpy as np
import pytest
import torch

from demo import explore, generate
from demo.app import renamed_query
from demo.common import QUOTE_LIMIT, check_generator, check_name, check_seed, error_text, quote_user_text
from demo.view_state import ExploreView, FaceListError, decode_latent, encode_latent, parse_faces

from ..helpers import TINY_CHECKPOINT

LINK = '<a href="https://example.org/login">Session expired: click here</a>'


def _latent_text(values) -> str:
    data = np.asarray(values, dtype="<f2").tobytes()
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _link_warning(params: dict) -> tuple[ExploreView, str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        view = explore.restore_view(types.SimpleNamespace(query_params=params))
    return view, " ".join(str(w.message) for w in caught)


# ----------------------------------------------------------------------------- the helper


def test_quote_user_text_leaves_no_markup_and_shortens():
    quoted = quote_user_text(LINK)
    assert "<" not in quoted and ">" not in quoted and '"' not in quoted
    assert "https://" not in quoted  # no autolink in Markdown either
    assert quoted.startswith("&#60;a href=&#34;https&#58;//example.org/login&#34;&#62;Session")
    assert len(quote_user_text("x" * 1_000_000)) == QUOTE_LIMIT and quote_user_text("x" * 100).endswith("…")
    assert quote_user_text("[click](http://x.org) *b* `c` www.x.org a\nb") == \
        "&#91;click&#93;(http&#58;//x.org) &#42;b&#42; &#96;c&#96; www&#46;x.org a b"
    assert quote_user_text("seed 12, photo 1.5") == "seed 12, photo 1.5"  # ordinary text is unchanged
    assert quote_user_text(3) == "3" and quote_user_text("abcdef", 4) == "abc…"


def test_error_text_keeps_the_servers_folders_out():
    assert error_text("/srv/checkpoints/x-1/card.json is not valid JSON") == "card.json is not valid JSON"
    assert error_text("C:\\models\\x\\generator.pt not found") == "generator.pt not found"
    assert error_text("steps 1/2 of https://example.org/a") == "steps 1/2 of https&#58;//example.org/a"
    assert len(error_text("x" * 10_000)) == 300


def test_a_damaged_model_is_named_without_the_servers_path(tiny_checkpoint_dir):
    from gan_core.core.checkpoints import GENERATOR_FILE

    (tiny_checkpoint_dir / TINY_CHECKPOINT / GENERATOR_FILE).write_bytes(b"not weights")
    with pytest.raises(gr.Error, match=f"Model '{TINY_CHECKPOINT}' could not be loaded: {GENERATOR_FILE}") as exc:
        check_generator(TINY_CHECKPOINT)
    assert str(tiny_checkpoint_dir) not in exc.value.message and "/" not in exc.value.message


def test_checks_echo_a_short_escaped_value():
    with pytest.raises(gr.Error) as seed_error:
        check_seed("9" * 10 + "<b>" + "x" * 1_000_000)
    assert len(seed_error.value.message) < 200 and "<b>" not in seed_error.value.message
    assert seed_error.value.print_exception is False  # a user's mistake: no traceback in the log
    with pytest.raises(gr.Error) as name_error:
        check_name(LINK, ["a", "b"])
    assert "<a" not in name_error.value.message and "available: a, b" in name_error.value.message


def test_a_long_token_in_a_face_list_is_shortened(tiny_checkpoint_dir):
    with pytest.raises(FaceListError) as exc:
        parse_faces("1, " + "7" * 1_000_000, "Walk")
    assert len(str(exc.value)) < 200
    with pytest.raises(gr.Error) as walk_error:
        explore.render_walk(TINY_CHECKPOINT, "1, <i>" + "x" * 100_000, "slerp", 0.5, 4)
    assert len(walk_error.value.message) < 200 and "<i>" not in walk_error.value.message
    assert walk_error.value.print_exception is False


# ----------------------------------------------------------------------------- links


def test_a_link_with_markup_shows_it_escaped_in_the_warning(tiny_checkpoint_dir):
    view, warning = _link_warning({"model": LINK, "tab": "x" * 100_000, "turn_t": "<b>1</b>"})
    assert view.model == TINY_CHECKPOINT  # opened on the default model
    assert "<" not in warning and ">" not in warning and "https://" not in warning
    assert "Session expired" in warning and "x" * 60 not in warning and len(warning) < 600


def test_the_gallery_page_is_not_called_page():
    """Gradio reads `?page=` as one of its multipage routes: the gallery's is `gallery`,
    and an old link's `page=` is read as it."""
    assert "page" not in {f for f in ExploreView.__dataclass_fields__}
    assert ExploreView(model="m", gallery=2).to_query() == "model=m&gallery=2"
    view, problems = ExploreView.from_query("model=m&page=3")
    assert view.gallery == 3 and problems == []
    assert ExploreView.from_query("page=3&gallery=4")[0].gallery == 4
    view, problems = ExploreView.from_query(f"gallery={2**32 // 32}")
    assert view.gallery == 0 and problems == [f"gallery: page '{2**32 // 32}' is out of range (0 to {2**32 // 32 - 1})"]
    assert renamed_query("model=faces-dcgan64&page=1") == "model=faces-dcgan64&gallery=1"
    assert renamed_query("page=0") == "gallery=0"
    assert renamed_query("model=m&gallery=1") is None and renamed_query("") is None


def test_an_old_link_restores_its_gallery_page(tiny_checkpoint_dir):
    view, warning = _link_warning({"model": TINY_CHECKPOINT, "page": "2"})
    assert view.gallery == 2 and warning == ""
    outputs = explore.restore_outputs(types.SimpleNamespace(query_params={"model": TINY_CHECKPOINT, "page": "2"}))
    fields = list(ExploreView.__dataclass_fields__)
    assert outputs[2 + fields.index("gallery")] == 2


def test_a_latent_out_of_bounds_is_refused():
    good = torch.randn(100, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(decode_latent(encode_latent(good), 100), good, rtol=1e-3, atol=1e-3)
    for values, why in (([65000.0] * 100, "64992, beyond"), ([np.inf] + [0.0] * 99, "not finite"),
                        ([0.0] * 99 + [np.nan], "not finite"), ([11.0] + [0.0] * 99, "beyond")):
        with pytest.raises(ValueError, match=why):
            decode_latent(_latent_text(values), 100)
    with pytest.raises(ValueError, match="too long"):
        decode_latent("A" * 1_000_000, 100)


def test_a_link_with_a_bad_latent_opens_without_it_and_says_so(tiny_checkpoint_dir):
    huge = _latent_text([65000.0] * 100)
    view, warning = _link_warning({"model": TINY_CHECKPOINT, "photo": huge, "subject": "photo"})
    assert view.photo == "" and "photo" in warning and "beyond" in warning
    fine = encode_latent(torch.zeros(100))
    view, warning = _link_warning({"model": TINY_CHECKPOINT, "photo": fine})
    assert view.photo == fine and warning == ""


def test_the_api_refuses_a_huge_photo_latent(tiny_checkpoint_dir):
    with pytest.raises(gr.Error, match="Project the photo again") as exc:
        explore.render_turn(TINY_CHECKPOINT, "photo", "1", "2", "picks", 0.0, photo=_latent_text([65000.0] * 100))
    assert exc.value.print_exception is False


# ----------------------------------------------------------------------------- cards


def test_a_trained_models_card_is_escaped_in_the_generate_tab(tiny_checkpoint_dir):
    from gan_core.core.checkpoints import CARD_FILE, read_json, write_json

    path = tiny_checkpoint_dir / TINY_CHECKPOINT / CARD_FILE
    card = read_json(path)
    card.update(name="<img src=x onerror=alert(1)>", description=LINK,
                data={"images": 3, "description": "[phish](https://example.org)"},
                training={"steps": 5, "hardware": "<b>cpu</b>", "command": "train `--out` <x>"})
    write_json(path, card)
    summary = generate.card_summary(TINY_CHECKPOINT)
    assert "<img" not in summary and "<a" not in summary and "<b>" not in summary
    assert "](https://" not in summary and "[phish]" not in summary
    assert "`train '--out' <x>`" in summary  # inside a code span markup is not read: no backtick to end it
