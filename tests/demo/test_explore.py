"""The Explore tab's handlers and its link format, without a browser."""
from __future__ import annotations

import dataclasses
import types
import urllib.parse

import gradio as gr
import numpy as np
import pytest
import torch

import gan_core
from demo import common, explore
from demo.common import default_model
from demo.view_state import (ExploreView, FaceListError, decode_latent, encode_latent, parse_faces, toggle_face)
from gan_core.explore.arithmetic import arithmetic_grid_latents, term_columns
from gan_core.explore.latents import latents_for_seeds

from ..helpers import TINY_CHECKPOINT


def _frames(row, n: int, size: int = 32, padding: int = 2) -> list[np.ndarray]:
    arr = np.asarray(row)
    return [arr[padding:padding + size, padding + i * (size + padding):padding + i * (size + padding) + size]
            for i in range(n)]


def _images(seeds) -> list[np.ndarray]:
    pipe = gan_core.load(TINY_CHECKPOINT)
    return [np.asarray(im) for im in pipe(latents=latents_for_seeds(pipe.spec, seeds))]


# ----------------------------------------------------------------------------- link format


def test_a_view_survives_its_link():
    view = ExploreView(tab="turn", model="faces-dcgan64", subject="photo", gallery=3, walk="4, 8, photo",
                       method="lerp", walk_t=0.25, frames=5, left="1, 2", right="3, 4", turn_from="picks",
                       turn_t=-0.75, preset="glasses", a="1", b="2", c="3", noise=9, attribute="Smiling",
                       attribute_t=1.5, photo=encode_latent(torch.ones(100)))
    back, problems = ExploreView.from_query(view.to_query())
    assert problems == []
    assert back == dataclasses.replace(view, walk="4,8,photo", left="1,2", right="3,4")  # spaces dropped
    assert "walk=4,8,photo" in view.to_query()  # commas stay readable in the link


def test_a_mangled_link_still_opens_with_defaults_where_it_is_wrong():
    view, problems = ExploreView.from_query("tab=nowhere&turn_t=abc&walk_t=7&frames=999&noise=-1&utm_source=x")
    assert view.tab == "walk" and view.turn_t == 0.0 and view.noise == 0
    assert view.walk_t == 1.0 and view.frames == 16  # out of range numbers are clamped, not refused
    assert sorted(p.split(":")[0] for p in problems) == ["noise", "tab", "turn_t"]


def test_default_view_has_an_empty_query():
    assert ExploreView().to_query() == ""


def test_face_lists_parse_and_say_what_is_wrong():
    assert parse_faces("3, 17 photo;4", "Walk") == [3, 17, "photo", 4]
    with pytest.raises(FaceListError, match="'x1' is not a seed"):
        parse_faces("3, x1", "Walk")
    with pytest.raises(FaceListError, match="at least 2 faces"):
        parse_faces("3", "Walk", minimum=2)
    with pytest.raises(FaceListError, match="out of range"):
        parse_faces(str(2**40), "Walk")


def test_a_second_click_takes_a_pick_out():
    assert toggle_face("1, 2", 3) == "1, 2, 3"
    assert toggle_face("1, 2, 3", 2) == "1, 3"
    assert toggle_face("garbage!", 5) == "5"


def test_photo_latent_round_trip_and_damage():
    z = torch.randn(100, generator=torch.Generator().manual_seed(0))
    text = encode_latent(z)
    assert len(text) < 300
    torch.testing.assert_close(decode_latent(text, 100), z, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="needs 32"):
        decode_latent(text, 32)
    with pytest.raises(ValueError, match="damaged"):
        decode_latent("!!!", 100)


# ----------------------------------------------------------------------------- handlers


def test_walk_ends_reproduce_the_waypoints(tiny_checkpoint_dir):
    main, row = explore.render_walk(TINY_CHECKPOINT, "5, 9", "slerp", 0.0, 4)
    first, *_, last = _frames(row, 4)
    want_first, want_last = _images([5, 9])
    np.testing.assert_array_equal(first, want_first)
    np.testing.assert_array_equal(last, want_last)
    np.testing.assert_array_equal(np.asarray(main), want_first)  # t = 0 is the first waypoint
    main_end, _ = explore.render_walk(TINY_CHECKPOINT, "5, 9", "lerp", 1.0, 4)
    np.testing.assert_array_equal(np.asarray(main_end), want_last)


def test_walk_refuses_bad_input(tiny_checkpoint_dir):
    with pytest.raises(gr.Error, match="at least 2 faces"):
        explore.render_walk(TINY_CHECKPOINT, "5", "slerp", 0.5, 4)
    with pytest.raises(gr.Error, match="Interpolation"):
        explore.render_walk(TINY_CHECKPOINT, "5, 6", "cubic", 0.5, 4)
    with pytest.raises(gr.Error, match="no projected photo"):
        explore.render_walk(TINY_CHECKPOINT, "5, photo", "slerp", 0.5, 4)


def test_turn_at_zero_is_the_subject_and_moves_otherwise(tiny_checkpoint_dir):
    still, row = explore.render_turn(TINY_CHECKPOINT, "7", "1, 2", "3, 4", "picks", 0.0)
    np.testing.assert_array_equal(np.asarray(still), _images([7])[0])
    frames = _frames(row, len(explore.ROW_TS))
    np.testing.assert_array_equal(frames[3], _images([7])[0])  # the middle of the row is t = 0
    turned, _ = explore.render_turn(TINY_CHECKPOINT, "7", "1, 2", "3, 4", "picks", 1.0)
    assert not np.array_equal(np.asarray(turned), np.asarray(still))  # an untrained generator moves only a little
    np.testing.assert_array_equal(np.asarray(turned), frames[-1])  # the slider at 1 is the row's end


def test_turn_vector_is_the_difference_of_the_pick_means(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    d = explore.turn_direction(TINY_CHECKPOINT, "1, 2", "3, 4", "picks")
    z = latents_for_seeds(pipe.spec, [1, 2, 3, 4])
    torch.testing.assert_close(d, (z[0] + z[1]) / 2 - (z[2] + z[3]) / 2)


def test_arithmetic_result_matches_the_hand_computation(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    terms, grid = explore.render_arithmetic(TINY_CHECKPOINT, "1, 2, 3", "4, 5", "6", 0)
    z = latents_for_seeds(pipe.spec, [1, 2, 3, 4, 5, 6])
    want = z[:3].mean(0) - z[3:5].mean(0) + z[5]
    want_image = np.asarray(pipe(latents=want.view(1, -1))[0])
    middle = np.asarray(grid)[2 + 34:2 + 34 + 32, 2 + 34:2 + 34 + 32]
    np.testing.assert_array_equal(middle, want_image)
    assert terms.size == (3 * 34 + 2, 4 * 34 + 2)  # three columns; three exemplar rows + the means
    assert (np.asarray(terms)[2 + 2 * 34:2 + 2 * 34 + 32, 2 + 68:2 + 68 + 32] == 255).all()  # C has one: blank


def test_the_arithmetic_grid_is_the_result_amid_eight_noisy_neighbours():
    g = torch.Generator().manual_seed(0)
    a, b, c = torch.randn(3, 10, generator=g), torch.randn(2, 10, generator=g), torch.randn(1, 10, generator=g)
    grid = arithmetic_grid_latents(a, b, c, 0.25, generator=torch.Generator().manual_seed(5))
    result = a.mean(0) - b.mean(0) + c[0]
    assert grid.shape == (9, 10)
    torch.testing.assert_close(grid[4], result)
    offsets = torch.cat([grid[:4], grid[5:]]) - result
    assert offsets.abs().max() <= 0.25 and offsets.abs().max() > 0.2  # uniform in [-0.25, 0.25]
    assert len({tuple(row.tolist()) for row in offsets}) == 8  # eight different neighbours
    assert torch.equal(grid, arithmetic_grid_latents(a, b, c, 0.25, generator=torch.Generator().manual_seed(5)))


def test_term_columns_put_each_terms_exemplars_above_its_mean():
    a, b, c = torch.ones(3, 4), 2 * torch.ones(1, 4), torch.arange(8.0).view(2, 4)
    latents, blank = term_columns([a, b, c])
    assert latents.shape == (12, 4)
    assert blank.view(4, 3).tolist() == [[False, False, False], [False, True, False], [False, True, True],
                                         [False, False, False]]
    rows = latents.view(4, 3, 4)  # 3 exemplar rows + the means, 3 columns
    assert torch.equal(rows[:3, 0], a) and torch.equal(rows[0, 1], b[0]) and torch.equal(rows[:2, 2], c)
    assert torch.equal(rows[1:3, 1], torch.zeros(2, 4)) and torch.equal(rows[2, 2], torch.zeros(4))  # blank cells
    assert torch.equal(rows[3], torch.stack([a.mean(0), b[0], c.mean(0)]))


def test_arithmetic_neighbours_depend_on_the_noise_seed(tiny_checkpoint_dir):
    _, grid0 = explore.render_arithmetic(TINY_CHECKPOINT, "1", "2", "3", 0)
    _, grid0_again = explore.render_arithmetic(TINY_CHECKPOINT, "1", "2", "3", 0)
    _, grid1 = explore.render_arithmetic(TINY_CHECKPOINT, "1", "2", "3", 1)
    np.testing.assert_array_equal(np.asarray(grid0), np.asarray(grid0_again))
    assert not np.array_equal(np.asarray(grid0), np.asarray(grid1))


def test_photo_latent_is_usable_as_a_face(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    z = latents_for_seeds(pipe.spec, [42])[0]
    main, _ = explore.render_turn(TINY_CHECKPOINT, "photo", "1", "2", "picks", 0.0, photo=encode_latent(z))
    assert np.abs(np.asarray(main).astype(int) - _images([42])[0]).max() <= 2  # float16 in the link
    with pytest.raises(gr.Error, match="Project the photo again"):
        explore.render_turn(TINY_CHECKPOINT, "photo", "1", "2", "picks", 0.0, photo="AAAA")


def test_gallery_click_fills_the_chosen_list(tiny_checkpoint_dir):
    evt = types.SimpleNamespace(index=4)
    out = explore.pick_from_gallery(evt, 2, "Turn: looking left", "0", "0, 1", "7", "", "", "", "")
    assert out[2] == "7, 68" and out[-1] == 68  # page 2 holds seeds 64..95
    out = explore.pick_from_gallery(evt, 2, "Subject", "0", "0, 1", "7", "", "", "", "")
    assert out[0] == "68"


def test_the_gallery_highlights_the_picked_face_only_on_its_page(tiny_checkpoint_dir):
    assert explore.gallery_page(TINY_CHECKPOINT, 2, 68).selected_index == 4
    assert explore.gallery_page(TINY_CHECKPOINT, 3, 68).selected_index is None  # not the fifth face of page 3
    assert explore.gallery_page(TINY_CHECKPOINT, 2, None).selected_index is None


def test_a_link_restores_the_view(tiny_checkpoint_dir):
    request = types.SimpleNamespace(query_params={"model": TINY_CHECKPOINT, "tab": "turn", "turn_t": "0.5",
                                                  "left": "1,2", "right": "3"})
    view = explore.restore_view(request)
    assert (view.tab, view.model, view.turn_t, view.left, view.right) == ("turn", TINY_CHECKPOINT, 0.5, "1,2", "3")


def test_a_link_to_a_missing_model_falls_back_with_a_warning(tiny_checkpoint_dir):
    request = types.SimpleNamespace(query_params={"model": "no-such-model", "turn_t": "0.5"})
    with pytest.warns(UserWarning, match="no-such-model"):
        view = explore.restore_view(request)
    # The default model: the operator's first (here the tiny one), else faces-dcgan64.
    assert view.model == default_model(gan_core.list_checkpoints()) == TINY_CHECKPOINT and view.turn_t == 0.5


# ----------------------------------------------------------------------------- presets


def test_presets_are_read_and_checked(tiny_checkpoint_dir):
    from gan_core.core.checkpoints import write_json
    from gan_core.core.errors import CheckpointError
    from gan_core.explore.presets import load_presets

    folder = tiny_checkpoint_dir / TINY_CHECKPOINT
    assert load_presets(TINY_CHECKPOINT).turn_left == ()  # none shipped: empty, not an error
    write_json(folder / "explore.json", {"turn": {"left": [1, 2], "right": [3]},
                                         "arithmetic": [{"name": "x", "a": [1], "b": [2], "c": [3]}]})
    presets = load_presets(TINY_CHECKPOINT)
    assert presets.turn_left == (1, 2) and presets.arithmetic_by_name("x").c == (3,)
    write_json(folder / "explore.json", {"turn": {"left": ["one"]}})
    with pytest.raises(CheckpointError, match="turn.left"):
        load_presets(TINY_CHECKPOINT)


def test_the_shipped_faces_model_has_its_picks():
    from gan_core.explore.presets import load_presets

    if "faces-dcgan64" not in gan_core.list_checkpoints():
        pytest.skip("faces-dcgan64 is not shipped in this checkout")
    presets = load_presets("faces-dcgan64")
    assert len(presets.turn_left) == len(presets.turn_right) == 4  # the paper's four and four
    names = [p.name for p in presets.arithmetic]
    assert "smiling woman - neutral woman + neutral man" in names
    assert "smiling man - neutral man + neutral woman" in names
    assert all(len(p.a) == len(p.b) == len(p.c) == 3 for p in presets.arithmetic)


def test_empty_lists_show_nothing_rather_than_an_error(tiny_checkpoint_dir):
    assert explore.render_turn(TINY_CHECKPOINT, "7", "", "3", "picks", 0.0) == (None, None)
    assert explore.render_attribute(TINY_CHECKPOINT, "7", "Smiling", 0.0) == (None, None)  # no directions


def test_an_emptied_arithmetic_term_is_named_and_the_page_keeps_its_images(tiny_checkpoint_dir):
    """Emptying B used to give blank images and no message: the API gets an error naming B,
    the page no change to its images and the reason for the status beside the terms."""
    with pytest.raises(gr.Error, match="B: give a face"):
        explore.render_arithmetic(TINY_CHECKPOINT, "1", " ", "3", 0)
    page = common.keep_on_error(explore.render_arithmetic, 2)
    terms, grid, status = page(TINY_CHECKPOINT, "1", "", "3", 0)
    assert terms == grid == gr.update() and "B: give a face" in status
    terms, grid, status = page(TINY_CHECKPOINT, "1", "2", "3", 0)
    assert terms is not None and grid is not None
    assert status == ""


@pytest.mark.parametrize("args, reason", [
    (("1, banana", "slerp", 0.5, 5), "'banana' is not a seed"),
    (("1", "slerp", 0.5, 5), "at least 2 faces"),
])
def test_a_bad_waypoint_keeps_the_walk_and_says_why(tiny_checkpoint_dir, args, reason):
    at_t, row, status = common.keep_on_error(explore.render_walk, 2)(TINY_CHECKPOINT, *args)
    assert at_t == row == gr.update()
    assert reason in status.replace("&#39;", "'")


def test_the_subject_box_says_what_is_wrong_with_it():
    assert explore.subject_problem("7", "") == ""
    assert "not a seed" in explore.subject_problem("x", "")
    assert "one face" in explore.subject_problem("1, 2", "")
    assert "no projected photo" in explore.subject_problem("photo", "")


def test_a_link_holds_only_what_differs_from_the_opening_view(tiny_checkpoint_dir):
    from gan_core.core.checkpoints import write_json

    write_json(tiny_checkpoint_dir / TINY_CHECKPOINT / "explore.json", {"turn": {"left": [1, 2], "right": [3, 4]}})
    start = explore.initial_view(TINY_CHECKPOINT)
    assert (start.left, start.right) == ("1, 2", "3, 4")
    args = dict(dataclasses.asdict(start), turn_t=0.5, right="")
    query = explore.view_query(*args.values())
    assert query == f"model={TINY_CHECKPOINT}&right=&turn_t=0.5"  # a cleared list stays cleared
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))  # as the server hands them over
    view = explore.restore_view(types.SimpleNamespace(query_params=params))
    assert (view.left, view.right, view.turn_t) == ("1, 2", "", 0.5)


# ----------------------------------------------------------------------------- animation and photo


def test_walk_animation_is_a_gif_of_the_walk_there_and_back(tiny_checkpoint_dir):
    from PIL import Image

    path = explore.make_walk_animation(TINY_CHECKPOINT, "5, 9", "slerp", 6, 10, "GIF")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.size == (128, 128)  # 32 px frames, scaled 4x
        assert gif.n_frames <= 10  # there and back: 6 + 4, identical neighbours may merge
    with pytest.raises(gr.Error, match="Frames per second"):
        explore.make_walk_animation(TINY_CHECKPOINT, "5, 9", "slerp", 6, 0, "GIF")
    with pytest.raises(gr.Error, match="GIF or WebP"):
        explore.make_walk_animation(TINY_CHECKPOINT, "5, 9", "slerp", 6, 10, "mp4")


def test_projecting_a_photo_makes_it_the_subject(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    photo = pipe(latents=latents_for_seeds(pipe.spec, [3]))[0]  # a face the model can draw exactly
    target, recon, report, latent, subject = explore.project_photo(TINY_CHECKPOINT, photo, 2, 20,
                                                                    progress=lambda *a, **k: None)
    assert subject == "photo" and "Pixel error" in report
    assert decode_latent(latent, pipe.spec.nz).shape == (pipe.spec.nz,)
    main, _ = explore.render_turn(TINY_CHECKPOINT, "photo", "1", "2", "picks", 0.0, photo=latent)
    assert np.abs(np.asarray(main).astype(int) - np.asarray(recon)).max() <= 2  # the link's latent is the result
    with pytest.raises(gr.Error, match="Upload a photo"):
        explore.project_photo(TINY_CHECKPOINT, None, 2, 20, progress=lambda *a, **k: None)


def test_a_link_with_a_photo_shows_its_reconstruction_and_the_edits(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    latent = encode_latent(latents_for_seeds(pipe.spec, [42])[0])
    recon, note = explore.photo_from_link(TINY_CHECKPOINT, latent)
    assert np.abs(np.asarray(recon).astype(int) - _images([42])[0]).max() <= 2  # drawn from the link's latent
    assert "reconstruction" in note and "not in it" in note
    assert explore.photo_from_link(TINY_CHECKPOINT, "") == (gr.skip(), gr.skip())  # no photo: nothing replaced

    strip, caption = explore.photo_edits(TINY_CHECKPOINT, latent)
    labels = caption.removeprefix("Left to right: ").split(" (")[0].split(", ")
    assert labels[:3] == ["the reconstruction", "turned left", "turned right"]  # the tiny model draws faces
    size = pipe.spec.image_size
    cells = [np.asarray(strip)[2:2 + size, 2 + i * (size + 2):2 + i * (size + 2) + size] for i in range(len(labels))]
    assert np.abs(cells[0].astype(int) - np.asarray(recon)).max() <= 1
    # Each edit changes the face (the untrained tiny generator changes little, but not nothing).
    assert all(np.abs(c.astype(int) - cells[0]).mean() > 0.1 for c in cells[1:])
    assert explore.photo_edits(TINY_CHECKPOINT, "") == (None, "")
    with pytest.raises(gr.Error, match="Project the photo again"):
        explore.photo_edits(TINY_CHECKPOINT, "AAAA")


def test_the_turn_tab_uses_the_turn_shipped_with_the_model(tiny_checkpoint_dir):
    from gan_core.explore.pose import save_turn

    shipped = torch.linspace(-2, 2, gan_core.load(TINY_CHECKPOINT).spec.nz)
    save_turn(tiny_checkpoint_dir / TINY_CHECKPOINT / "directions", shipped, {})
    assert torch.equal(explore.pose_direction_for(TINY_CHECKPOINT), shipped)


def test_your_photo_starts_from_the_encoder_that_fits_the_generator(tiny_checkpoint_dir, tmp_path):
    import shutil

    from gan_core.training.encoder import EncoderConfig, train_encoder
    from tests.helpers import make_folder

    make_folder(tmp_path / "faces", 70)
    train_encoder(EncoderConfig(generator=TINY_CHECKPOINT, data=[str(tmp_path / "faces")], out=str(tmp_path / "enc"),
                                name="tiny-encoder", steps=2, batch_size=4, face_network=None))
    pipe = gan_core.load(TINY_CHECKPOINT)
    photo = pipe(latents=latents_for_seeds(pipe.spec, [3]))[0]
    _, _, report, _, _ = explore.project_photo(TINY_CHECKPOINT, photo, 2, 10, progress=lambda *a, **k: None)
    assert "from 2 random starts" in report  # no encoder fits yet
    shutil.copytree(tmp_path / "enc" / "export", tiny_checkpoint_dir / "tiny-encoder")
    encoder, face_network = explore.projection_helpers(TINY_CHECKPOINT)
    assert encoder is not None and encoder.fits(pipe) and face_network is not None  # a face generator
    _, _, report, _, _ = explore.project_photo(TINY_CHECKPOINT, photo, 2, 10, progress=lambda *a, **k: None)
    assert "from the encoder's guess (tiny-encoder) and 1 random start." in report
    _, _, report, _, _ = explore.project_photo(TINY_CHECKPOINT, photo, 1, 10, progress=lambda *a, **k: None)
    assert "after 10 steps from the encoder's guess (tiny-encoder). The subject" in report  # no "0 random starts"


def test_your_photo_opens_with_few_steps_only_when_an_encoder_fits(tiny_checkpoint_dir, tmp_path):
    import shutil

    from gan_core.training.encoder import EncoderConfig, train_encoder
    from tests.helpers import make_folder

    assert explore.projection_settings(TINY_CHECKPOINT) == explore.PROJECTION_RANDOM
    assert explore.projection_settings("no-such-model") == explore.PROJECTION_RANDOM
    make_folder(tmp_path / "faces", 70)
    train_encoder(EncoderConfig(generator=TINY_CHECKPOINT, data=[str(tmp_path / "faces")], out=str(tmp_path / "enc"),
                                name="tiny-encoder", steps=2, batch_size=4, face_network=None))
    shutil.copytree(tmp_path / "enc" / "export", tiny_checkpoint_dir / "tiny-encoder")
    assert explore.projection_settings(TINY_CHECKPOINT) == explore.PROJECTION_ENCODED == (1, 60)


def test_attribute_slider_moves_along_the_saved_direction(tiny_checkpoint_dir):
    from gan_core.explore.attributes import AttributeDirection, directions_folder, save_directions

    pipe = gan_core.load(TINY_CHECKPOINT)
    direction = torch.randn(pipe.spec.nz, generator=torch.Generator().manual_seed(1))
    save_directions(directions_folder(TINY_CHECKPOINT),
                    {"Smiling": AttributeDirection("Smiling", direction, "mean", 100, 0.9,
                                                   {"change": 0.2, "random_direction_change": 0.02})}, {})
    assert explore.attribute_choices(TINY_CHECKPOINT) == ["Smiling"]
    main, row = explore.render_attribute(TINY_CHECKPOINT, "7", "Smiling", 0.5)
    z = latents_for_seeds(pipe.spec, [7])[0]
    want = np.asarray(pipe(latents=(z + 0.5 * direction).view(1, -1))[0])
    np.testing.assert_array_equal(np.asarray(main), want)
    assert "| Smiling | smiling | +0.20 | +0.02 | 90% |" in explore.attribute_report(TINY_CHECKPOINT)
    with pytest.raises(gr.Error, match="Choose an attribute"):
        explore.render_attribute(TINY_CHECKPOINT, "7", "Bald", 0.5)


def test_a_bad_upload_is_refused_with_a_message(tiny_checkpoint_dir, tmp_path):
    fake = tmp_path / "face.png"
    fake.write_text("not an image at all")
    with pytest.raises(gr.Error, match="cannot be used as a photo: not a readable image"):
        explore.project_photo(TINY_CHECKPOINT, str(fake), 1, 10, progress=lambda *a, **k: None)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(gr.Error, match="empty file"):
        explore.project_photo(TINY_CHECKPOINT, str(empty), 1, 10, progress=lambda *a, **k: None)


def test_opening_without_a_link_leaves_what_the_visitor_did_alone(tiny_checkpoint_dir):
    """The load event can land after a click on a sub-tab or typed seeds: without a link
    it must change nothing of the view; a link sets what it names, the sub-tab only if named."""
    plain = explore.restore_outputs(types.SimpleNamespace(query_params={}))
    model_at = 2 + 1  # after the two tab sets: the view's first field is its sub-tab, then the model
    # All but the attribute report and the model list: its choices, the server's models now, not its value.
    assert all(update == gr.skip() for i, update in enumerate(plain[:-1]) if i != model_at)
    assert set(plain[model_at].constructor_args) == {"choices"}
    assert TINY_CHECKPOINT in plain[model_at].constructor_args["choices"]
    linked = explore.restore_outputs(types.SimpleNamespace(query_params={"model": TINY_CHECKPOINT, "left": "5"}))
    assert linked[0] != gr.skip() and linked[1] == gr.skip()  # to the Explore tab, sub-tab as it is
    fields = [f.name for f in dataclasses.fields(explore.ExploreView)]
    assert linked[2 + fields.index("left")] == "5"
    turned = explore.restore_outputs(types.SimpleNamespace(query_params={"tab": "turn"}))
    assert turned[1] != gr.skip()


def test_face_only_tools_are_offered_for_face_generators_only(tiny_checkpoint_dir):
    from demo import explore
    from tests.helpers import write_tiny_checkpoint

    write_tiny_checkpoint(tiny_checkpoint_dir / "tiny-frogs", draws="CIFAR-10 frogs")
    shown = explore.face_tools_outputs("tiny-dcgan32", "photo", "Turn: looking left")
    assert [t.visible for t in shown[:3]] == [True] * 3 and shown[3].visible and not shown[4].visible
    assert shown[-2] == gr.skip() and "100 numbers" in shown[5]  # the open sub-tab stays
    assert shown[-1].value == "Turn: looking left" and ("Turn: looking right",) * 2 in shown[-1].choices
    hidden = explore.face_tools_outputs("tiny-frogs", "turn", "Turn: looking left")
    assert [t.visible for t in hidden[:4]] == [False] * 4
    assert hidden[4].visible and "tiny-frogs draws CIFAR-10 frogs" in hidden[4].value
    assert hidden[-2] == "walk"  # the open sub-tab was hidden: the walk opens instead
    assert hidden[-1].value == "Subject" and not any("Turn" in str(c) for c in hidden[-1].choices)
    assert explore.face_tools_outputs("tiny-frogs", "arithmetic", "Subject")[-2] == gr.skip()
    # A card that says nothing draws "images": no face tools.
    assert not explore.draws_faces("nope") and "draws images" not in explore.face_only_note("tiny-dcgan32")
