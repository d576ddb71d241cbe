"""Picks made by eye for a shipped generator: the turn vector's exemplars and
face-arithmetic presets (DCGAN paper, section 6.3), stored beside its weights.

A face is named by its seed: `latents_for_seeds(spec, [seed])` is the first image
of `pipe.grid(seed=seed)`, so a pick stays valid on every machine.

`checkpoints/<name>/explore.json`:

    {"turn": {"left": [seeds], "right": [seeds], "note": "..."},
     "arithmetic": [{"name": "...", "a": [seeds], "b": [seeds], "c": [seeds], "note": "..."}]}

>>> from gan_core.explore.presets import load_presets
>>> presets = load_presets("faces-dcgan64")        # doctest: +SKIP
>>> presets.turn_left, presets.arithmetic[0].name   # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gan_core.core.checkpoints import read_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import find_checkpoint

PRESETS_FILE = "explore.json"


@dataclass(frozen=True)
class ArithmeticPreset:
    """A - B + C, each term the mean latent of its exemplar seeds."""

    name: str
    a: tuple[int, ...]
    b: tuple[int, ...]
    c: tuple[int, ...]
    note: str = ""


@dataclass(frozen=True)
class Presets:
    turn_left: tuple[int, ...] = ()
    turn_right: tuple[int, ...] = ()
    turn_note: str = ""
    arithmetic: tuple[ArithmeticPreset, ...] = field(default_factory=tuple)

    def arithmetic_by_name(self, name: str) -> ArithmeticPreset | None:
        return next((p for p in self.arithmetic if p.name == name), None)


def _seeds(value, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                              for s in value):
        raise CheckpointError(f"{where}: expected a list of seeds (whole numbers >= 0), got {value!r}")
    return tuple(value)


def load_presets(name_or_path: str | Path) -> Presets:
    """The checkpoint's presets; empty Presets when it ships none."""
    folder = find_checkpoint(name_or_path)
    path = folder / PRESETS_FILE
    if not path.is_file():
        return Presets()
    raw = read_json(path)
    turn = raw.get("turn") or {}
    arithmetic = []
    for i, item in enumerate(raw.get("arithmetic") or []):
        where = f"{path}: arithmetic[{i}]"
        if not isinstance(item, dict) or not item.get("name"):
            raise CheckpointError(f"{where}: each preset needs a name")
        arithmetic.append(ArithmeticPreset(str(item["name"]), _seeds(item.get("a"), where + ".a"),
                                           _seeds(item.get("b"), where + ".b"), _seeds(item.get("c"), where + ".c"),
                                           str(item.get("note", ""))))
    return Presets(_seeds(turn.get("left", []), f"{path}: turn.left"),
                   _seeds(turn.get("right", []), f"{path}: turn.right"),
                   str(turn.get("note", "")), tuple(arithmetic))
