"""The `forget` command: every measurement in the card, and what it says about the concept."""
from __future__ import annotations

import re

import pytest


def test_forget_cli_keeps_every_measurement_in_the_card(tmp_path, monkeypatch, capsys):
    """--write-card adds one entry per layer and number of units: a sweep keeps them all.
    On a copy of the shipped facade generator (a random one draws no windows to fit)."""
    import json
    import shutil

    from gan_core.core.checkpoints import CARD_FILE
    from gan_core.cli import main
    from gan_core.core.hub import REPO_CHECKPOINTS

    shipped = REPO_CHECKPOINTS / "facades-dcgan64"
    if not (shipped / CARD_FILE).is_file():
        pytest.skip("the shipped facades-dcgan64 is not in this checkout")
    shutil.copytree(shipped, tmp_path / "facades-copy")
    before = set(json.loads((shipped / CARD_FILE).read_text()).get("metrics", {}).get("forgetting", {}))
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(tmp_path))
    base = ["--generator", "facades-copy", "--detector", "window-detector", "--labelled", "24", "--measured", "8",
            "--write-card"]
    assert main(["forget", *base, "--layer", "main.5", "--units", "2"]) == 0
    assert main(["forget", *base, "--layer", "main.5", "--units", "3"]) == 0
    card = json.loads((tmp_path / "facades-copy" / CARD_FILE).read_text())
    runs = card["metrics"]["forgetting"]
    assert set(runs) == before | {"main.5, 2 units", "main.5, 3 units"}  # earlier measurements stay
    assert 0 <= runs["main.5, 3 units"]["share_before"] <= 1 and "change_outside" in runs["main.5, 3 units"]
    assert main(["forget", *base, "--layer", "main.5", "--rounds", "2", "--controls", "1"]) == 0
    printed = capsys.readouterr().out
    assert "round 1" in printed and "random units (baseline)" in printed
    assert not re.search(r"-\d+% (fewer|more)", printed)  # a grown concept reads "N% more"
    card = json.loads((tmp_path / "facades-copy" / CARD_FILE).read_text())
    new = set(card["metrics"]["forgetting"]) - before - {"main.5, 2 units", "main.5, 3 units"}
    assert len(new) == 1 and card["metrics"]["forgetting"][new.pop()]["control"]["draws"] == 1
    assert main(["forget", *base, "--layer", "main.5", "--rounds", "0"]) == 2
    assert main(["forget", *base, "--layer", "nope"]) == 2
    assert "has no layer 'nope'" in capsys.readouterr().err


def test_the_cli_says_more_not_minus_fewer_when_the_concept_grows():
    from gan_core.cli.forget import _fewer

    assert _fewer(0.35) == "35% fewer"
    assert _fewer(-0.22) == "22% more"
    assert _fewer(0.0) == "0% fewer"
