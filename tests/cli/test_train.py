"""The `train` command."""

from gan_core.cli import main


def test_train_dry_run_on_shapes_at_a_quarter_width(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--model", "keras-gan32", "--width", "0.25", "--data", "shapes:64", "--dry-run",
                 "--device", "cpu"]) == 0
    assert "dry run ok" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    assert main(["train", "--model", "dcgan32", "--width", "8", "--data", "shapes:64", "--dry-run"]) == 2
    assert "at most 4" in capsys.readouterr().err
