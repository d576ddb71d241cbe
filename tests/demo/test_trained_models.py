"""Models trained in the Train tab (demo/trained.py) in every page's model lists: a link
or a reload naming one opens it for as long as the server keeps it, and then a warning."""
from __future__ import annotations

import os
import shutil
import time
import types

import gradio as gr
import pytest

from demo import common, explore, trained

from ..helpers import TINY_CHECKPOINT

NAME = "trained-0123456789abcdef-600"


@pytest.fixture
def snapshot(tiny_checkpoint_dir, tmp_path, monkeypatch):
    """A trained model the server keeps, as "Use in Explore" leaves it: the tiny checkpoint."""
    monkeypatch.setattr(trained, "ROOT", tmp_path / "trained")
    shutil.copytree(tiny_checkpoint_dir / TINY_CHECKPOINT, trained.ROOT / NAME)
    return trained.ROOT / NAME


def _opened(query: dict, monkeypatch):
    warnings = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: warnings.append(message))
    outputs = explore.restore_outputs(types.SimpleNamespace(query_params=query))
    return outputs[2 + 1], warnings  # the model dropdown: after the two tab sets and the sub-tab


def test_the_model_lists_hold_the_trained_models_the_server_keeps(snapshot):
    choices = common.generator_choices()
    assert TINY_CHECKPOINT in choices
    assert (trained.label(NAME), NAME) in choices and "step 600" in trained.label(NAME)


def test_a_link_to_a_trained_model_selects_it_among_valid_choices(snapshot, monkeypatch):
    dropdown, warnings = _opened({"model": NAME, "tab": "walk"}, monkeypatch)
    assert warnings == []
    assert dropdown.constructor_args["value"] == NAME
    # The value is among the choices the page now has: Gradio accepts it in every event after.
    assert NAME in [value for _, value in dropdown.choices]
    dropdown.preprocess(NAME)


def test_a_trained_model_the_server_no_longer_keeps_opens_the_default_with_a_warning(snapshot, monkeypatch):
    old = time.time() - trained.MAX_AGE_S - 60
    os.utime(snapshot, (old, old))
    assert NAME not in str(common.generator_choices())
    dropdown, warnings = _opened({"model": NAME}, monkeypatch)
    assert dropdown.constructor_args["value"] == TINY_CHECKPOINT
    assert len(warnings) == 1 and "no longer on this server" in warnings[0] and "24 hours" in warnings[0]
    assert not snapshot.exists()  # pruned


def test_the_train_tab_says_how_long_a_trained_model_is_kept():
    from demo import train

    text = " ".join(train.HOW_IT_WORKS.split())
    assert f"keeps a copy of the model on this server for {trained.MAX_AGE_S // 3600} hours" in text
