"""What a checkpoint's card may ask a loader to build: bounded sizes, checked shapes, finite weights."""
import json
import shutil
import time

import pytest
import torch

import gan_core
from gan_core.cli import main as cli_main
from gan_core.core import checkpoints
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import REPO_CHECKPOINTS, SUPER_RESOLUTION
from gan_core.models.srgan import SRResNet

from ..helpers import write_tiny_checkpoint


def tiny_sr(folder, blocks=1, channels=8, **card):
    torch.manual_seed(0)
    save_weights(folder / GENERATOR_FILE, SRResNet(4, blocks, channels))
    write_json(folder / CARD_FILE, {"name": folder.name, "task": SUPER_RESOLUTION, "model": "srresnet", "scale": 4,
                                    "config": {"scale": 4, "blocks": blocks, "channels": channels},
                                    "files": {"generator": GENERATOR_FILE}, **card})
    return folder


def edit_card(folder, change):
    card = json.loads((folder / CARD_FILE).read_text())
    change(card)
    (folder / CARD_FILE).write_text(json.dumps(card))


def test_a_tiny_sr_checkpoint_loads_and_upscales(tmp_path):
    up = gan_core.load(tiny_sr(tmp_path / "sr"))
    from PIL import Image

    assert up(Image.new("RGB", (12, 10))).size == (48, 40)


@pytest.mark.parametrize("field, value, expected", [
    ("blocks", 10**6, "config.blocks is 1,000,000, outside 1 to 64"),
    ("channels", 10**6, "config.channels is 1,000,000, outside 8 to 256"),
    ("scale", 2**20, "config.scale is 1,048,576, outside 2 to 8"),
    ("blocks", "16", "config.blocks must be a whole number from 1 to 64, not '16'"),
    ("blocks", 2.5, "must be a whole number"),
])
def test_a_card_asking_for_a_huge_network_is_refused_fast(tmp_path, monkeypatch, field, value, expected):
    folder = tiny_sr(tmp_path / "sr")
    edit_card(folder, lambda c: c["config"].update({field: value}))
    built = []
    monkeypatch.setattr(SRResNet, "__init__", lambda *a, **k: built.append(1) or pytest.fail("built"))
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=expected):
        gan_core.load(folder)
    assert time.perf_counter() - start < 2 and not built


def test_a_sr_scale_that_is_not_a_power_of_two_is_a_checkpoint_error(tmp_path):
    folder = tiny_sr(tmp_path / "sr")
    edit_card(folder, lambda c: (c.update(scale=3), c["config"].update(scale=3)))
    with pytest.raises(CheckpointError, match="does not describe a super-resolution network: scale must be a power"):
        gan_core.load(folder)


@pytest.mark.parametrize("section, field, value", [
    ("config", "g_width", 10**6), ("config", "g_blocks", 10**6),
])
def test_a_style_card_asking_for_a_huge_translator_is_refused(tmp_path, section, field, value):
    folder = tmp_path / "style"
    shutil.copytree(REPO_CHECKPOINTS / "photo2painting-siamese", folder)
    edit_card(folder, lambda c: c.setdefault(section, {}).update({field: value}))
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=f"{section}.{field} is 1,000,000, outside"):
        gan_core.load(folder)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("name, section, field", [
    ("window-detector", "detector", "width"), ("face-attributes", "classifier", "width"),
    ("shapes-classifier", "classifier", "width"),
])
def test_detector_and_classifier_widths_are_bounded(tmp_path, name, section, field):
    folder = tmp_path / name
    shutil.copytree(REPO_CHECKPOINTS / name, folder)
    edit_card(folder, lambda c: c[section].update({field: 10**6}))
    with pytest.raises(CheckpointError, match=f"{section}.{field} is 1,000,000, outside"):
        gan_core.load(folder)


def test_weights_that_do_not_fit_the_card_are_refused_from_the_header_before_reading(tmp_path, monkeypatch):
    folder = tiny_sr(tmp_path / "sr", blocks=2)
    edit_card(folder, lambda c: c["config"].update(blocks=3))  # the weights hold 2 blocks
    monkeypatch.setattr(checkpoints, "read_tensors", lambda *a: pytest.fail("the tensors were read"))
    with pytest.raises(CheckpointError, match=r"does not fit the model named in its card: .*missing \(e.g. body\.2\."):
        gan_core.load(folder)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_inf_weights_are_a_clear_error_not_black_samples(tmp_path, bad):
    folder = write_tiny_checkpoint(tmp_path / "gan")
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / GENERATOR_FILE)
    name = sorted(k for k, v in tensors.items() if v.is_floating_point() and v.ndim == 4)[0]
    tensors[name][0, 0, 0, 0] = bad
    save_file(tensors, folder / GENERATOR_FILE)
    with pytest.raises(CheckpointError, match=f"NaN or infinite weights in 1 tensors \\(e.g. {name}\\)"):
        gan_core.load(folder)


def deep_card(folder, depth=100_000):
    (folder / CARD_FILE).write_text('{"model": "dcgan32", "x": ' + "[" * depth + "]" * depth + "}")


def test_a_deeply_nested_card_is_a_checkpoint_error_not_a_recursion_error(tmp_path):
    folder = write_tiny_checkpoint(tmp_path / "gan")
    deep_card(folder)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        gan_core.load(folder)
    deep_card(folder, depth=40)  # within the parser's reach, over the card's limit
    with pytest.raises(CheckpointError, match="nested too deeply"):
        gan_core.load(folder)


def test_a_card_over_a_megabyte_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    folder = write_tiny_checkpoint(tmp_path / "gan")
    (folder / CARD_FILE).write_text(json.dumps({"model": "dcgan32", "pad": "x" * 2**20}))
    monkeypatch.setattr(json, "load", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(CheckpointError, match="over the limit of 1,048,576 bytes"):
        gan_core.load(folder)


@pytest.mark.parametrize("command", [["info"], ["sample", "-n", "1"]])
def test_cli_on_a_deeply_nested_card_says_error_and_exits_2(tmp_path, capsys, command):
    folder = write_tiny_checkpoint(tmp_path / "gan")
    deep_card(folder)
    out = tmp_path / "out.png"
    argv = [command[0], str(folder), *command[1:]] + (["-o", str(out)] if command[0] == "sample" else [])
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nested too deeply" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_info_of_a_good_checkpoint_prints_its_card(tmp_path, capsys):
    folder = write_tiny_checkpoint(tmp_path / "gan", name="tiny")
    assert cli_main(["info", str(folder)]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "tiny"
