"""Every file of the malformed-input corpus (tests/corpus.py) sent to every upload surface.

The surfaces: the Upscale, Style and Your photo tabs' handlers, the Train tab's archive
check, the command line (train --data, evaluate-sr --sets, style translate, sample, info)
in process, and the Python API (an upscaler called on the file, gan_core.load). Each must
give a correct result for an awkward file (CMYK, LAB, float or 16-bit TIFF...) and refuse
a broken or hostile one clearly: a gr.Error with no server path and no HTML in the UI,
`error: ...` and exit 2 on the command line, a gan_core error on the API. Nothing may be
written outside the test's temporary folder.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.cli import main as cli_main
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json
from gan_core.core.errors import CheckpointError, DataError
from gan_core.core.hub import STYLE_TRANSFER, SUPER_RESOLUTION

from . import corpus
from .corpus import (API_LOAD, API_UPSCALE, CLI_EVALUATE_SR, CLI_INFO, CLI_SAMPLE, CLI_STYLE, CLI_TRAIN, PHOTO,
                     STYLE, SURFACES, TRAIN_CHECK, UPSCALE)
from .helpers import REPO, only_checkpoints_in, write_tiny_checkpoint

TINY_GAN, TINY_SR, TINY_STYLE = "corpus-dcgan32", "corpus-srresnet", "corpus-style"
CASES = corpus.cases()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The corpus's files and three tiny checkpoints (random weights), made once."""
    root = tmp_path_factory.mktemp("corpus")
    files = {c.name: c for c in corpus.build(root / "in")}
    models = root / "checkpoints"
    write_tiny_checkpoint(models / TINY_GAN, name=TINY_GAN)
    torch.manual_seed(0)
    from gan_core.models.srgan import SRResNet
    from gan_core.models.siamese import TileTranslator

    save_weights(models / TINY_SR / GENERATOR_FILE, SRResNet(4, 1, 8))
    write_json(models / TINY_SR / CARD_FILE, {"name": TINY_SR, "task": SUPER_RESOLUTION, "model": "srresnet",
                                              "scale": 4, "config": {"blocks": 1, "channels": 8},
                                              "files": {"generator": GENERATOR_FILE}})
    save_weights(models / TINY_STYLE / GENERATOR_FILE, TileTranslator(4, 1))
    write_json(models / TINY_STYLE / CARD_FILE, {"name": TINY_STYLE, "task": STYLE_TRANSFER,
                                                 "model": "siamese-tile-translator",
                                                 "config": {"tile": 16, "g_width": 4, "g_blocks": 1},
                                                 "files": {"generator": GENERATOR_FILE}})
    yield files, models
    from demo import common, style, upscale

    for cached in (common.load_pipeline, style._painter, upscale._upscaler):
        cached.cache_clear()


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.is_dir() else set()


def top(folder: Path) -> set[str]:
    return set(os.listdir(folder)) if folder.is_dir() else set()


# ----------------------------------------------------------------------------- the surfaces


def ui_message(exc: gr.Error, tmp: Path) -> str:
    message = str(getattr(exc, "message", exc))
    assert message and len(message) < 2000
    for leak in (str(tmp), "/tmp/", tempfile.gettempdir() + os.sep, str(REPO)):
        assert leak not in message, f"a server path in the message: {message}"
    assert "<" not in message.replace("<=", ""), f"HTML in the message: {message}"
    assert "Traceback" not in message
    return message


def check_picture(path: str | Path | Image.Image, not_black: bool) -> None:
    img = path if isinstance(path, Image.Image) else Image.open(path)
    assert img.mode in ("RGB", "RGBA", "L", "LA"), img.mode
    if not isinstance(path, Image.Image):
        assert img.format == "PNG"
    if not_black:
        assert np.asarray(img.convert("L")).mean() > 40, "a black result"


def run_ui(call, case, tmp):
    try:
        out = call()
    except gr.Error as exc:
        return "refused", ui_message(exc, tmp)
    return "ok", out


def run_cli(argv, capsys):
    code = cli_main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 0:
        return "ok", err
    assert code == 2, f"exit {code}: {err}"
    assert "error: " in err, err
    return "refused", err


def run_api(call):
    try:
        return "ok", call()
    except (DataError, CheckpointError) as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return "refused", str(exc)


def send(surface: str, case: corpus.Case, models: Path, tmp: Path, capsys):
    path = case.path
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    if surface == UPSCALE:
        from demo import upscale

        result = run_ui(lambda: upscale.upscale_files(str(path), "bicubic"), case, tmp)
        if result[0] == "ok":
            pair, gallery, _, download = result[1]
            for p in [*pair, download]:
                check_picture(p, case.not_black)
        return result
    if surface == STYLE:
        from demo import style

        result = run_ui(lambda: style.style_files(str(path), TINY_STYLE, 512, style.TILES), case, tmp)
        if result[0] == "ok":
            check_picture(result[1][0][0], case.not_black)  # the photo as painted
            check_picture(result[1][2], False)
        return result
    if surface == PHOTO:
        from demo import explore

        result = run_ui(lambda: explore.project_photo(TINY_GAN, str(path), 1, 10), case, tmp)
        if result[0] == "ok":
            check_picture(result[1][0], case.not_black)  # the photo as the model sees it
        return result
    if surface == TRAIN_CHECK:
        from gan_core.data.uploads import check_training_archive

        return run_api(lambda: check_training_archive(path))
    if surface == CLI_TRAIN:
        return run_cli(["train", "--model", "dcgan32", "--data", path, "--dry-run", "--device", "cpu",
                        "--cache-dir", tmp / "cache"], capsys)
    if surface == CLI_EVALUATE_SR:
        bench = tmp / "bench"
        bench.mkdir()
        os.symlink(path, bench / (path.name if Path(path.name).suffix else path.name + ".png"))
        return run_cli(["evaluate-sr", "--sets", bench], capsys)
    if surface == CLI_STYLE:
        result = run_cli(["style", "translate", models / TINY_STYLE, path, "--size", "64", "--out",
                          out / "painted.png"], capsys)
        if result[0] == "ok":
            check_picture(out / "painted.png", False)
        return result
    if surface == CLI_SAMPLE:
        return run_cli(["sample", case.folder, "-n", "1", "-o", out / "sample.png"], capsys)
    if surface == CLI_INFO:
        return run_cli(["info", case.folder], capsys)
    if surface == API_UPSCALE:
        result = run_api(lambda: gan_core.load(models / TINY_SR)(path))
        if result[0] == "ok":
            check_picture(result[1], case.not_black)
        return result
    if surface == API_LOAD:
        return run_api(lambda: gan_core.load(case.folder))
    raise AssertionError(surface)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("case_name", [c.name for c in CASES])
def test_each_malformed_input_on_each_surface(built, case_name, surface, tmp_path, monkeypatch, capsys):
    files, models = built
    case = files[case_name]
    only_checkpoints_in(models, monkeypatch)
    import demo.files

    monkeypatch.setattr(demo.files, "ROOT", tmp_path / "served")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("GAN_CORE_CACHE", str(tmp_path / "cache"))
    inputs, base = case.path.parents[1] if case.checkpoint else case.folder, tmp_path.parent
    before = (listing(inputs), top(base), top(REPO), listing(REPO / "checkpoints"), listing(models))

    outcome, detail = send(surface, case, models, tmp_path, capsys)

    if surface in case.ok:
        assert outcome == "ok", f"{case.name} on {surface} was refused: {detail}"
    elif surface not in case.either:
        assert outcome == "refused", f"{case.name} on {surface} was accepted"
    after = (listing(inputs), top(base), top(REPO), listing(REPO / "checkpoints"), listing(models))
    assert after == before, "a file was written outside the test's temporary folder"
    corpus_root = inputs.parents[1] if case.checkpoint else inputs.parent
    extracted = [*corpus_root.parent.glob("evil*"), *tmp_path.rglob("evil*"), *Path("/tmp").glob("evil*.png")]
    assert not extracted, f"an archive member was extracted: {extracted}"


def test_the_corpus_has_at_least_30_inputs():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)
