import argparse
import ast
import json
import subprocess
import sys

import pytest

from gan_core.cli import build_parser, main

from ..helpers import REPO, make_folder


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


# ----------------------------------------------------------------------------- the command table

DOCUMENTED = ["train", "sample", "evaluate", "probe", "pack", "train-sr", "upscale", "evaluate-sr", "attributes",
              "forget", "style", "facades", "shapes", "train-classifier", "train-encoder", "ship", "info"]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every command path of a parser, nested ones too: ("train",), ("style", "seams"), ..."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name)
                yield from _commands(sub, (*path, name))


def test_top_level_help_lists_every_command_with_a_line_of_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal's width
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == DOCUMENTED
    for line in commands._choices_actions:  # the one-line help of each command
        assert line.help and f"{line.dest} {' '.join(line.help.split())}" in text


@pytest.mark.parametrize("path", list(_commands(build_parser())), ids=" ".join)
def test_each_command_documents_itself(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: python -m gan_core {' '.join(path)}")


@pytest.mark.parametrize("argv", [
    ["sample", "no-such-model"],
    ["evaluate", "no-such-model"],
    ["probe", "no-such-model", "--data", "no-such-folder"],
    ["pack", "--data", "no-such-folder", "--size", "32", "--out", "x.zip"],
    ["info", "no-such-model"],
    ["train-sr", "--out", "x"],
    ["evaluate-sr", "no-such-model"],
    ["attributes", "render", "--generator", "no-such-model", "--attributes", "age"],
    ["forget", "--generator", "no-such-model", "--detector", "no-such-detector"],
    ["style", "translate", "no-such-model", "photo.jpg", "--out", "x.png"],
    ["facades", "pack", "--data", "no-such-folder", "--out", "x.zip"],
    ["shapes", "score", "no-such-model"],
], ids=lambda argv: " ".join(argv[:2]))
def test_bad_input_is_one_error_line_and_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_python_m_gan_core_runs():
    r = subprocess.run([sys.executable, "-m", "gan_core", "info"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "models:" in r.stdout and "checkpoints:" in r.stdout


def test_the_command_line_is_a_leaf():
    """Only gan_core/__main__.py imports the command line, and no command module imports
    the table back: errors are reported in one place, without an import circle."""
    package = REPO / "gan_core"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if path.parent.name == "cli":
                    assert name != "gan_core.cli" or path.name == "__init__.py", f"{path} imports the command table"
                elif path.name != "__main__.py":
                    assert not name.startswith("gan_core.cli"), f"{path} imports the command line"
