"""What the page says when something fails is plain words: no tag swallows the rest of a
message, no folder of the server shows (issue: messages leaking internals)."""
from __future__ import annotations

import urllib.error

import gradio as gr
import pytest

from demo import about, common
from demo import train as tab
from gan_core.data import downloads
from gan_core.training.jobs import JobRunner


class _Offline:
    """torchvision's CIFAR10 on a machine with no network: urllib's error, angle brackets and all."""

    def __init__(self, root, train, download):
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))


def test_offline_cifar10_is_said_in_plain_words(tmp_path, monkeypatch):
    real = downloads.fetch_cifar10
    monkeypatch.setattr(tab, "fetch_cifar10", lambda dest, classes=None: real(dest, classes, cache=tmp_path / "cache",
                                                                                dataset_cls=_Offline))
    monkeypatch.setattr(tab, "RUNNER", JobRunner(tmp_path / "jobs", one_per_owner=True))
    with pytest.raises(gr.Error) as refused:
        tab.start_training("dcgan32", 0.125, "cifar10", None, None, ["frog"], 6, 8, 2e-4, 2e-4, 0.5, 0.0, 2, "")
    message = refused.value.message
    assert message.startswith("The data was refused: CIFAR-10 could not be downloaded (")
    assert "Temporary failure in name resolution" in message
    assert "Upload a .zip of images instead" in message  # the advice after the reason is still there
    assert "<" not in message and "urlopen" not in message and str(tmp_path) not in message


def test_a_download_error_names_no_folder_and_no_tag(tmp_path):
    class Broken:
        def __init__(self, root, train, download):
            raise RuntimeError(f"<File not found or corrupted: {root}/cifar-10-batches-py/data_batch_1>")

    with pytest.raises(downloads.DataError) as refused:
        downloads.fetch_cifar10(tmp_path / "c.zip", cache=tmp_path / "cache", dataset_cls=Broken)
    text = str(refused.value)
    assert "<" not in text and ">" not in text and str(tmp_path) not in text and "data_batch_1" in text


def test_folder_on_this_server_only_when_the_operator_offers_one(tmp_path, monkeypatch):
    monkeypatch.setattr(tab, "SERVER_DATA", {})
    assert "server" not in [value for _, value in tab.data_sources()]
    monkeypatch.setattr(tab, "SERVER_DATA", {"class": str(tmp_path)})
    assert ("Folder on this server", "server") in tab.data_sources()


def test_the_about_tab_names_datasets_not_server_folders():
    shown = about.shipped_models_markdown()
    assert "../" not in shown and "shared/data" not in shown and "/srv" not in shown


def test_the_about_tab_shortens_any_path_a_card_holds(tmp_path, monkeypatch):
    import json

    from ..helpers import only_checkpoints_in, write_tiny_checkpoint
    root = only_checkpoints_in(tmp_path / "checkpoints", monkeypatch)
    folder = write_tiny_checkpoint(root / "tiny")
    card = json.loads((folder / "model_card.json").read_text())
    card["data"] = {"A (photos)": {"description": "480 photos from ../shared/data/style/photos, /srv/x/BSDS500"},
                    "citations": ["see /home/me/data/README"]}
    card["training"]["hardware"] = "a CPU at /opt/box/"
    (folder / "model_card.json").write_text(json.dumps(card))
    shown = about.shipped_models_markdown()
    assert "photos" in shown and "BSDS500" in shown
    assert "shared" not in shown and "/srv" not in shown and "/home" not in shown and "/opt" not in shown


def test_a_count_that_is_not_whole_is_refused_not_rounded(tmp_path, monkeypatch):
    from demo import explore
    monkeypatch.setattr(tab, "RUNNER", JobRunner(tmp_path / "jobs", one_per_owner=True))
    monkeypatch.setattr(tab, "SERVER_DATA", {})
    with pytest.raises(gr.Error, match="whole number.*not 3.7"):
        tab.start_training("dcgan32", 0.125, "shapes", None, None, [], 3.7, 8, 2e-4, 2e-4, 0.5, 0.0, 2, "")
    with pytest.raises(gr.Error, match="whole number"):
        explore.gallery_seeds(3.7)
    assert explore.gallery_seeds(3.0) == explore.gallery_seeds(3)
    with pytest.raises(gr.Error, match="whole number from 0 to 4294967295, not 3.7"):
        common.check_seed(3.7, "noise seed")
