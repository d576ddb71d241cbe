"""`python -m gan_core upscale`: photos four times larger, from files, folders and globs."""
from __future__ import annotations

import argparse
import glob
import sys
from dataclasses import dataclass
from pathlib import Path

EPILOG = """\
examples:
  # one photo, with the default upscaler
  python -m gan_core upscale holiday.jpg --out big/

  # every photo in a folder (and its subfolders) and a glob, with the GAN-refined model
  python -m gan_core upscale ~/pictures 'scans/*.png' --model photo-litesrgan-x4 --out big/

Each result is a PNG named after its photo (holiday.jpg -> big/holiday-x4.png); a folder's
subfolders are kept under --out. Results keep their photo's kind as the Upscale tab does:
grey stays grey, transparency is kept (alpha upscaled by bicubic), 16-bit and palette
photos become 8-bit RGB. Photos go through the network in tiles, so memory stays bounded
(about 0.9 GB plus the runtime's own for a 4000x3000 photo; 1.5 GB for the whole process). A photo that cannot be read or is too large is
reported and skipped; the others go on. Exit code: 0 when every photo was upscaled,
1 when any failed, 2 for a bad command (an unknown model, no --out).
"""


def register(commands) -> None:
    """Add `upscale` to the subparsers of `python -m gan_core`."""
    from gan_core.pipelines.tiles import MAX_INPUT_PIXELS
    from gan_core.pipelines.upscaler import DEFAULT_TILE, DEFAULT_UPSCALER

    u = commands.add_parser("upscale", help="photos four times larger (files, folders, globs)",
                            description="Upscale photos x4 with a super-resolution checkpoint, or bicubic.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    u.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders (searched recursively) or globs")
    u.add_argument("--model", default=DEFAULT_UPSCALER,
                   help=f"a shipped upscaler, a checkpoint or run folder, or bicubic (default {DEFAULT_UPSCALER})")
    u.add_argument("--out", required=True, help="the folder the PNGs are written to (made if missing)")
    u.add_argument("--overwrite", action="store_true", help="replace results already in --out (default: skip them)")
    u.add_argument("--tile", type=int, default=DEFAULT_TILE, metavar="PX",
                   help=f"low-resolution pixels per tile side ({DEFAULT_TILE}); smaller tiles use less memory")
    u.add_argument("--max-pixels", type=int, default=MAX_INPUT_PIXELS, metavar="N",
                   help=f"refuse photos of more than N pixels (default {MAX_INPUT_PIXELS:,}, 4096x4096)")
    u.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ... (cpu)")
    u.add_argument("--quiet", action="store_true", help="no progress bars")
    u.set_defaults(run=run)


@dataclass
class Job:
    """One photo to upscale and where its result goes."""

    source: Path
    target: Path


def find_photos(inputs: list[str], out: Path, suffix: str) -> tuple[list[Job], list[str]]:
    """(the photos `inputs` name, in order, each once; a message per input that names none).

    A file is taken as it is (a bad one fails when read, with its reason); a folder gives
    its images, searched recursively, with their subfolders kept under `out`; anything
    else is a glob."""
    from gan_core.data.image_set import _is_image

    jobs, problems, seen = [], [], set()

    def add(path: Path, relative: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            jobs.append(Job(path, out / relative.parent / f"{relative.stem}{suffix}.png"))

    for given in inputs:
        path = Path(given).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_image(p.name))  # as --data lists them
            if not found:
                problems.append(f"{given}: no images in this folder")
            for p in found:
                add(p, p.relative_to(path))
        elif path.is_file():
            add(path, Path(path.name))
        else:
            matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True) if Path(m).is_file())
            if not matches:
                problems.append(f"{given}: no such file, folder or matching files")
            for p in matches:
                add(p, Path(p.name))
    # Two photos of one name from different places would write one file: number the later ones.
    taken: dict[Path, int] = {}
    for job in jobs:
        count = taken.get(job.target, 0)
        taken[job.target] = count + 1
        if count:
            job.target = job.target.with_name(f"{job.target.stem}-{count + 1}.png")
    return jobs, problems


def run(args, argv: list[str]) -> int:
    from tqdm import tqdm

    import gan_core
    from gan_core.core.errors import DataError
    from gan_core.core.hub import SUPER_RESOLUTION
    from gan_core.pipelines.tiles import bicubic_upscale
    from gan_core.pipelines.upscaler import BICUBIC

    if not 16 <= args.tile <= 1024:
        raise ValueError(f"--tile must be from 16 to 1024 px, not {args.tile}")
    if args.max_pixels < 1:
        raise ValueError("--max-pixels must be at least 1")
    upscaler = None if args.model == BICUBIC else gan_core.load(args.model, device=args.device, task=SUPER_RESOLUTION)
    scale = 4 if upscaler is None else upscaler.scale
    out = Path(args.out).expanduser()
    jobs, problems = find_photos(args.inputs, out, f"-x{scale}")
    for message in problems:
        print(f"error: {message}", file=sys.stderr)
    done, skipped, failed = 0, 0, len(problems)
    overall = tqdm(total=len(jobs), desc="photos", unit="photo", disable=args.quiet, position=0)
    for job in jobs:
        if job.target.exists() and not args.overwrite:
            skipped += 1
            tqdm.write(f"skipped {job.source}: {job.target} exists (--overwrite replaces it)")
            overall.update(1)
            continue
        tiles = tqdm(desc=job.source.name[:30], unit="tile", disable=args.quiet, leave=False, position=1)

        def progress(n: int, total: int) -> None:
            tiles.total = total
            tiles.update(n - tiles.n)

        try:
            if upscaler is None:
                result = bicubic_upscale(job.source, scale, max_input_pixels=args.max_pixels)
            else:
                result = upscaler(job.source, tile=args.tile, max_input_pixels=args.max_pixels,
                                  progress_fn=progress)
            job.target.parent.mkdir(parents=True, exist_ok=True)
            partial = job.target.with_name(f".{job.target.name}.tmp")
            result.save(partial, format="PNG")
            partial.replace(job.target)  # a result is whole or absent, never half written
            done += 1
        except (DataError, ValueError, OSError) as exc:
            failed += 1
            tqdm.write(f"error: {job.source}: {exc}", file=sys.stderr)
        finally:
            tiles.close()
            overall.update(1)
    overall.close()
    what = "bicubic" if upscaler is None else upscaler.name
    print(f"{done} upscaled x{scale} with {what} into {out}, {skipped} skipped, {failed} failed")
    return 1 if failed else 0
