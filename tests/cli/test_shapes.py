"""The `shapes` command: `shapes score` counts a GAN's samples that look like a shape, and
`shapes train-classifier` trains the judge."""

import pytest

from gan_core.cli import main as cli_main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_score_prints_the_share_for_a_gan_and_for_real_shapes(capsys):
    assert cli_main(["shapes", "score", "cifar10-frogs-keras32", "--n", "16", "--real"]) == 0
    real, frogs = capsys.readouterr().out.splitlines()
    assert real.startswith("real shapes (draw_shapes seed 0): ") and "% of 16 samples look like a shape (disc" in real
    assert frogs.startswith("cifar10-frogs-keras32: 0 % of 16 samples look like a shape (")
    assert frogs.endswith("none 16)")


@pytest.mark.parametrize("argv, message", [
    (["shapes", "score", "no-such-gan"], "no checkpoint 'no-such-gan'"),
    (["shapes", "score"], "give a GAN checkpoint or run folder to score, or --real"),
    (["shapes", "score", "--real", "--n", "0"], "--n must be from 1 to 10,000"),
    (["shapes", "score", "window-detector"], "window-detection checkpoint, not a GAN generator"),
])
def test_score_refuses_bad_input_with_exit_2(argv, message, capsys):
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_train_classifier_dry_run_trains_two_steps_and_keeps_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli_main(["shapes", "train-classifier", "--dry-run", "--batch-size", "8", "--width", "2"]) == 0
    out = capsys.readouterr().out
    assert "held out: real shapes" in out and "dry run ok" in out
    assert list(tmp_path.iterdir()) == []
