"""Every feature is a named endpoint: call each through gradio_client against a running app."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tools.browser import AppDidNotStart, running_app

from ..helpers import TINY_CHECKPOINT


gradio_client = pytest.importorskip("gradio_client")

pytestmark = pytest.mark.browser  # starts the app: seconds, not milliseconds

ENDPOINTS = {"/generate", "/walk", "/turn", "/arithmetic", "/attribute", "/walk_animation", "/project"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from ..helpers import write_tiny_checkpoint

    import torch

    from gan_core.explore.attributes import AttributeDirection, save_directions

    root = tmp_path_factory.mktemp("checkpoints")
    write_tiny_checkpoint(root / TINY_CHECKPOINT)
    direction = torch.randn(100, generator=torch.Generator().manual_seed(0))
    save_directions(root / TINY_CHECKPOINT / "directions",
                    {"Smiling": AttributeDirection("Smiling", direction, "mean", 100, 0.9)}, {})
    log = tmp_path_factory.mktemp("logs") / "app.log"
    try:
        with running_app(log, {"GAN_CORE_CHECKPOINTS": str(root)}) as url:
            yield gradio_client.Client(url, verbose=False)
    except AppDidNotStart as exc:
        pytest.fail(str(exc))


def _size(path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_every_feature_is_a_named_endpoint(client):
    named = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert ENDPOINTS <= named


def test_generate(client):
    grid, png = client.predict(TINY_CHECKPOINT, 3, 4, api_name="/generate")
    assert _size(grid) == _size(png) == (2 * 34 + 2, 2 * 34 + 2)


def test_walk_turn_and_arithmetic(client):
    at_t, row = client.predict(TINY_CHECKPOINT, "1, 2, 3", "slerp", 0.0, 5, "", api_name="/walk")
    assert _size(at_t) == (32, 32) and _size(row) == (5 * 34 + 2, 36)
    main, row = client.predict(TINY_CHECKPOINT, "7", "1, 2", "3, 4", "picks", 0.5, "", api_name="/turn")
    assert _size(main) == (32, 32) and _size(row) == (7 * 34 + 2, 36)
    terms, grid = client.predict(TINY_CHECKPOINT, "1, 2", "3", "4", 0, "", api_name="/arithmetic")
    assert _size(grid) == (3 * 34 + 2, 3 * 34 + 2) and _size(terms) == (3 * 34 + 2, 3 * 34 + 2)


def test_attribute(client):
    main, row = client.predict(TINY_CHECKPOINT, "7", "Smiling", 0.5, "", api_name="/attribute")
    assert _size(main) == (32, 32) and _size(row) == (7 * 34 + 2, 36)
    with pytest.raises(gradio_client.exceptions.AppError, match="Choose an attribute"):
        client.predict(TINY_CHECKPOINT, "7", "Bald", 0.5, "", api_name="/attribute")


def test_walk_animation(client):
    path = client.predict(TINY_CHECKPOINT, "1, 2", "lerp", 8, 10, "WebP", "", api_name="/walk_animation")
    with Image.open(path) as im:  # frames of an untrained model are alike: test_animation checks motion
        assert im.format == "WEBP" and im.size == (128, 128)


def test_projection_returns_a_latent_usable_by_the_other_endpoints(client, tmp_path):
    photo = tmp_path / "face.png"
    Image.fromarray(np.full((48, 40, 3), 120, np.uint8)).save(photo)
    _, recon, report, latent, subject = client.predict(TINY_CHECKPOINT, gradio_client.handle_file(str(photo)), 1, 10,
                                                       api_name="/project")
    assert subject == "photo" and "Pixel error" in report and latent
    main, _ = client.predict(TINY_CHECKPOINT, "photo", "1", "2", "picks", 0.0, latent, api_name="/turn")
    diff = np.abs(np.asarray(Image.open(main)).astype(int) - np.asarray(Image.open(recon)).astype(int))
    assert diff.max() <= 2


def test_bad_input_comes_back_as_a_readable_error(client):
    with pytest.raises(gradio_client.exceptions.AppError, match="not a seed"):
        client.predict(TINY_CHECKPOINT, "1, banana", "slerp", 0.5, 5, "", api_name="/walk")
