import json

import pytest

from gan_core.cli import main

from .helpers import make_folder


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_imgs")
    make_folder(root, 16)
    return root


def test_help_reads_like_documentation(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for needle in ("--resume", "--dry-run", "examples:", "torchrun", "--classes"):
        assert needle in text


def test_info_lists_models(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "dcgan64" in out and "keras-gan32" in out
    assert main(["info", "keras-gan32"]) == 0
    assert json.loads(capsys.readouterr().out)["defaults"]["label_noise"] == 0.05


def test_dry_run_trains_two_steps_and_keeps_nothing(images, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--model", "dcgan32", "--data", str(images), "--dry-run", "--device", "cpu",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "dry run ok" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_train_then_sample(images, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--model", "dcgan32", "--data", str(images), "--steps", "2", "--batch-size", "8",
            "--out", str(out), "--device", "cpu", "--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    card = json.loads((out / "export" / "model_card.json").read_text())
    assert card["training"]["command"].startswith("python -m gan_core train --model dcgan32")
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").stat().st_size > 0
    assert main(["sample", str(out), "-n", "3", "--separate", "-o", str(tmp_path / "each")]) == 0
    assert len(list((tmp_path / "each").glob("*.png"))) == 3
    # Running the same command again refuses to overwrite the run.
    capsys.readouterr()
    assert main(args) == 2
    assert "--resume" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["train", "--data", "/no/such/folder", "--out", "x"], "does not exist"),
    (["train", "--out", "x"], "--data is required"),
    (["sample", "no-such-model"], "no checkpoint"),
])
def test_bad_input_gets_a_clear_message(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
