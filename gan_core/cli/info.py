"""`python -m gan_core info`: the registered models and checkpoints, or one of them described."""
from __future__ import annotations

import json


def register(commands) -> None:
    """Add `info` to the subparsers of `python -m gan_core`."""
    i = commands.add_parser("info", help="list models and checkpoints, or describe one",
                            description="Without an argument: the registered models and shipped checkpoints. "
                                        "With a model name: its paper defaults. With a checkpoint: its model card.")
    i.add_argument("what", nargs="?", help="model name, checkpoint name or folder")
    i.set_defaults(run=run)


def run(args, argv: list[str]) -> int:
    import gan_core
    from gan_core.models import get_model, model_names
    from gan_core.core.hub import open_checkpoint

    if args.what is None:
        print("models:")
        for n in model_names():
            spec = get_model(n)
            print(f"  {n:<12} {spec.image_size:>3} px  nz {spec.nz:<4} {spec.description}")
        print("checkpoints:")
        for n in gan_core.list_checkpoints(task=None) or ["(none)"]:  # generators and upscalers
            print(f"  {n}")
        return 0
    if args.what in model_names():
        spec = get_model(args.what)
        print(json.dumps({"model": spec.name, "image_size": spec.image_size, "nz": spec.nz,
                          "paper": spec.paper, "defaults": spec.defaults}, indent=2))
        return 0
    _, card = open_checkpoint(args.what)  # read and checked: a damaged or hostile card is an error, exit 2
    print(json.dumps(card, indent=2))
    return 0
