"""What every command of `python -m gan_core` shares."""
from __future__ import annotations

import shlex

PROG = "python -m gan_core"


def command_line(argv: list[str]) -> str:
    """The command as typed, `python -m gan_core COMMAND ...`, for a model card or a report;
    `argv` is everything after `python -m gan_core`."""
    return " ".join([PROG, *(shlex.quote(a) for a in argv)])
