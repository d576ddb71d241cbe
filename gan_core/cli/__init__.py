"""Command line: `python -m gan_core COMMAND`, one module per command.

Each module of COMMANDS has `register(commands)`, which adds its parser to the
subparsers and sets `run(args, argv) -> exit code` as its default; `argv` is
everything after `python -m gan_core`, for the command line written into cards.
`main` builds one parser from the table and turns failures into one line and an
exit code, in one place for every command.
"""
from __future__ import annotations

import argparse
import sys

from gan_core.cli import (attributes, classifier, encoder, evaluate, evaluate_sr, facades, forget, info, pack, probe,
                          sample, shapes, ship, style, train, train_sr, upscale)
from gan_core.cli.common import PROG
from gan_core.core.hardware import limit_torch_threads
from gan_core.core.errors import CheckpointError, DataError, TrainingDiverged

# In the order `--help` lists them.
COMMANDS = (train, sample, evaluate, probe, pack, train_sr, upscale, evaluate_sr, attributes, forget, style, facades,
            shapes, classifier, encoder, ship, info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train, sample and inspect classic GANs (DCGAN, the Keras-book GAN, a 28 px face GAN).",
        epilog=f"Run `{PROG} COMMAND --help` for each command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code. Bad input (unreadable data or checkpoint,
    a missing or existing file, a bad value) prints `error: ...` and gives 2, a diverged
    training run `stopped: ...` and 3, Ctrl-C 130."""
    argv = sys.argv[1:] if argv is None else list(argv)
    limit_torch_threads()  # a container's CPU quota, not the host's core count
    args = build_parser().parse_args(argv)
    try:
        return args.run(args, argv)
    except (DataError, CheckpointError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TrainingDiverged as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
