import json
import pickle

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, atomic_write
from gan_core.core.errors import CheckpointError

from ..helpers import write_tiny_checkpoint


def test_load_by_folder_and_by_name(tmp_path, monkeypatch):
    write_tiny_checkpoint(tmp_path / "mine")
    pipe = gan_core.load(tmp_path / "mine")
    assert pipe.spec.name == "dcgan32" and not pipe.generator.training
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(tmp_path))
    assert "mine" in gan_core.list_checkpoints()
    assert gan_core.load("mine").name == "mine"
    with pytest.raises(CheckpointError, match="no checkpoint 'nope'"):
        gan_core.load("nope")


def test_a_seed_gives_the_same_images_every_time(tmp_path):
    write_tiny_checkpoint(tmp_path / "m")
    a = gan_core.load(tmp_path / "m")(4, seed=7)
    b = gan_core.load(tmp_path / "m")(4, generator=torch.Generator().manual_seed(7))
    c = gan_core.load(tmp_path / "m")(4, seed=8)
    assert [x.tobytes() for x in a] == [x.tobytes() for x in b]
    assert a[0].tobytes() != c[0].tobytes()
    assert a[0].size == (32, 32)


def test_shapes_that_do_not_match_the_card_are_refused(tmp_path):
    write_tiny_checkpoint(tmp_path / "m", model="dcgan64")
    card = json.loads((tmp_path / "m" / CARD_FILE).read_text())
    card["model"] = "dcgan32"
    (tmp_path / "m" / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="does not fit the model"):
        gan_core.load(tmp_path / "m")


class _Payload:
    def __reduce__(self):
        import pathlib
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_pickle_is_never_unpickled(tmp_path):
    folder = tmp_path / "evil"
    write_tiny_checkpoint(folder)
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = str(marker)
    (folder / GENERATOR_FILE).write_bytes(pickle.dumps({"weight": payload}))
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        gan_core.load(folder)
    assert not marker.exists()


def test_a_truncated_file_is_a_clear_error(tmp_path):
    write_tiny_checkpoint(tmp_path / "m")
    data = (tmp_path / "m" / GENERATOR_FILE).read_bytes()
    (tmp_path / "m" / GENERATOR_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        gan_core.load(tmp_path / "m")


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def crash(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, crash)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temporary left behind
