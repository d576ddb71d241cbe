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


def test_a_time_limit_stops_a_run_with_its_checkpoint_and_export_and_resume_goes_on(tmp_path):
    import json

    from gan_core.cli import main

    out = tmp_path / "run"
    args = ["train", "--model", "dcgan32", "--width", "0.25", "--data", "shapes:64", "--batch-size", "8",
            "--steps", "100000", "--checkpoint-every", "100000", "--out", str(out), "--device", "cpu"]
    assert main([*args, "--time-limit", "3"]) == 0
    card = json.loads((out / "export" / "model_card.json").read_text())
    stopped = card["training"]["steps"]
    assert 0 < stopped < 100000 and card["training"]["planned_steps"] == 100000
    assert main(["train", "--out", str(out), "--resume", "--steps", str(stopped + 2)]) == 0
    assert json.loads((out / "export" / "model_card.json").read_text())["training"]["steps"] == stopped + 2
    assert main([*args[:-4], "--out", str(tmp_path / "x"), "--time-limit", "-1"]) == 2  # refused
