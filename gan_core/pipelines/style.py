"""Photos to paintings at any size with the Siamese GAN: the combo, its losses, tiled translation.

The generator G translates SxS tiles. Trained alone on tiles, it would have no reason
to make neighbouring tiles agree, and a big picture translated tile by tile would show
a grid. The **combo** fixes that during training: a 2Sx2S crop is cut into four SxS
tiles, each translated by G on its own, and the four results are put back together;
the discriminator only ever sees these reassembled 2Sx2S images, so a seam between two
tiles is something it can punish and G learns to avoid.

The discriminator D is a Siamese network mapping an image to a vector (LENVEC numbers).
With A a batch of photo crops, B a batch of painting crops and AB = combo(A):

    LossD1 = ||D(B)||^2                          paintings near the origin
    LossD2 = max(0, m - ||D(AB)||)^2             translated photos at least m away
    LossD3 = LossG2 = 1 - cos(D(A1) - D(A2), D(AB1) - D(AB2))
                                                 what tells two photos apart still
                                                 tells their translations apart, the
                                                 same way: content is preserved
    LossG1 = ||D(AB)||^2                         G pulls its translations in among the paintings

D minimises LossD1 + LossD2 + LossD3 and G minimises LossG1 + LossG2 (pairs (A1, A2)
are each crop of the batch with the next one). Each term is a mean over the batch
(gan_core.training.losses).

At inference a picture of any size is padded to whole tiles, translated tile by tile
(a row of tiles at a time, so memory stays bounded) and cropped back: `translate_tiled`.
The simpler baseline of the same article, `translate_resized`, shrinks the picture,
translates it whole and enlarges the result: no seams, but little detail.
`seam_score` measures what the combo is for: the mean gradient across tile borders
divided by the mean gradient inside tiles (1.0: no visible grid).

>>> import gan_core
>>> painter = gan_core.load("photo2painting-siamese")                # a StyleTransfer; doctest: +SKIP
>>> painting = painter("photo.jpg", working_size=1024)               # doctest: +SKIP
>>> painting.save("painting.png")                                     # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import GENERATOR_FILE, load_weights
from gan_core.core.errors import CheckpointError, DataError, ImageTooLargeError
from gan_core.core.hub import checkpoint_name, weights_file
from gan_core.core.images import from_uint8, to_pil
from gan_core.data.image_set import MIN_IMAGE_SIDE, read_image
from gan_core.models.siamese import G_WIDTH, TILE, TileTranslator

MARGIN = 1.0  # m: how far from the origin D must push translated photos
# The style model's working scale: pictures shrunk to about the paintings' 450 px, so a tile
# covers as much of the scene in both (training, and the photo-or-painting judge, use it).
MAX_SIDE = 480
MAX_WORKING_SIZE = 4096  # the longest side a picture is translated at
MAX_SOURCE_PIXELS = 64_000_000  # what is decoded at all (then resized to the working size)
BASELINE_SIZE = 256  # the resize-translate-resize baseline translates at this longest side
TILE_ROWS_PER_BATCH = 1  # rows of tiles translated at once: memory grows with the width only

ProgressFn = Callable[[int, int], None]


# ----------------------------------------------------------------------------- the combo


def split_tiles(images: torch.Tensor, tile: int) -> torch.Tensor:
    """(N, C, kS, kS') -> (N * k * k', C, S, S): tiles row by row, image by image."""
    n, c, h, w = images.shape
    if h % tile or w % tile:
        raise ValueError(f"a {w}x{h} image does not split into whole {tile} px tiles")
    rows, cols = h // tile, w // tile
    t = images.reshape(n, c, rows, tile, cols, tile).permute(0, 2, 4, 1, 3, 5)
    return t.reshape(n * rows * cols, c, tile, tile)


def join_tiles(tiles: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """The inverse of split_tiles: (N * rows * cols, C, S, S) -> (N, C, rows*S, cols*S)."""
    m, c, s, _ = tiles.shape
    n = m // (rows * cols)
    t = tiles.reshape(n, rows, cols, c, s, s).permute(0, 3, 1, 4, 2, 5)
    return t.reshape(n, c, rows * s, cols * s)


def combo(G: nn.Module, crops: torch.Tensor, tile: int = TILE) -> torch.Tensor:
    """2Sx2S crops (N, 3, 2S, 2S) -> the four SxS tiles of each translated by G on its
    own and reassembled (N, 3, 2S, 2S). All 4N tiles go through G as one batch."""
    rows, cols = crops.shape[2] // tile, crops.shape[3] // tile
    return join_tiles(G(split_tiles(crops, tile)), rows, cols)


# ----------------------------------------------------------------------------- measuring seams


def seam_score(image: np.ndarray | Image.Image | torch.Tensor, tile: int = TILE) -> float:
    """Mean absolute difference between neighbouring pixels across tile borders divided
    by that between neighbours inside tiles (both directions, all channels).

    1.0 means the borders are as smooth as anywhere else; a visible grid is above 1.
    `image`: PIL, uint8/float H x W x C array, or a (C, H, W) tensor; the tile grid
    starts at the top-left corner."""
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    if isinstance(image, torch.Tensor):
        arr = image.detach().float().cpu().numpy()
        arr = arr.transpose(1, 2, 0) if arr.ndim == 3 else arr
    else:
        arr = np.asarray(image, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    arr = arr.astype(np.float32)
    dx = np.abs(np.diff(arr, axis=1))  # dx[:, j] is between columns j and j + 1
    dy = np.abs(np.diff(arr, axis=0))
    across_x = np.zeros(dx.shape[1], bool)
    across_x[tile - 1::tile] = True  # between column kS - 1 and kS
    across_y = np.zeros(dy.shape[0], bool)
    across_y[tile - 1::tile] = True
    border = np.concatenate([dx[:, across_x].ravel(), dy[across_y].ravel()])
    inside = np.concatenate([dx[:, ~across_x].ravel(), dy[~across_y].ravel()])
    if border.size == 0 or inside.size == 0:
        raise ValueError(f"a {arr.shape[1]}x{arr.shape[0]} image has no {tile} px tile border to measure")
    return float(border.mean() / max(inside.mean(), 1e-8))


# ----------------------------------------------------------------------------- translating pictures


def _to_tensor(img: Image.Image) -> torch.Tensor:
    return from_uint8(torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1))


def _to_image(x: torch.Tensor) -> Image.Image:
    return to_pil(x[None])[0]


def fit_working_size(size: tuple[int, int], working_size: int | None) -> tuple[int, int]:
    """(width, height) with the longest side at `working_size` (None: unchanged), aspect kept."""
    w, h = size
    if working_size is None:
        return w, h
    k = working_size / max(w, h)
    return max(1, round(w * k)), max(1, round(h * k))


def load_picture(image: Image.Image | str | Path | bytes, working_size: int | None = None) -> Image.Image:
    """RGB at the working size. Files go through the checked reader (empty, damaged or
    oversized files raise DataError); the result may not exceed MAX_WORKING_SIZE a side.

    A picture under MIN_IMAGE_SIDE (8 px) a side, as Upscale refuses, or one so long and
    thin that its short side would be under 8 px at the working size (a 10000x3 strip
    painted as 512x1), raises DataError: there is nothing to paint there."""
    if not isinstance(image, Image.Image):
        image = _open_limited(image)
    img = image.convert("RGB")
    w, h = fit_working_size(img.size, working_size)
    if min(img.size) < MIN_IMAGE_SIDE:
        raise DataError(f"image too small: {img.width}x{img.height} pixels; a picture to paint needs at least "
                        f"{MIN_IMAGE_SIDE} pixels a side")
    if min(w, h) < MIN_IMAGE_SIDE:
        longest = -(-MIN_IMAGE_SIDE * max(img.size) // min(img.size))  # the working size that would keep 8 px
        larger = f" or choose a working size of at least {longest} px" if longest <= MAX_WORKING_SIZE else ""
        raise DataError(f"a {img.width}x{img.height} picture is too long and thin: at a working size of "
                        f"{working_size} px its short side would be {min(w, h)} px, under {MIN_IMAGE_SIDE}; crop it "
                        f"closer to a square{larger}")
    if max(w, h) > MAX_WORKING_SIZE:
        raise ImageTooLargeError(f"{w}x{h} is larger than the {MAX_WORKING_SIZE} px a side this translates; "
                                 f"choose a working size of at most {MAX_WORKING_SIZE}", w, h)
    return img if (w, h) == img.size else img.resize((w, h), Image.Resampling.LANCZOS)


def _open_limited(source) -> Image.Image:
    img = read_image(source, max_pixels=MAX_SOURCE_PIXELS)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))  # transparent parts become white paper
        return background
    return img.convert("RGB")


@torch.no_grad()
def translate_tiled(G: nn.Module, image: Image.Image, tile: int = TILE, *, device: torch.device | str = "cpu",
                    progress_fn: ProgressFn | None = None) -> Image.Image:
    """The picture translated SxS tile by tile, without overlap (what the combo trains
    for), the same size as the input. The picture is padded by reflection to whole
    tiles and cropped back; one row of tiles is in memory at a time."""
    w, h = image.size
    rows, cols = -(-h // tile), -(-w // tile)
    x = _to_tensor(image).unsqueeze(0)
    pad_h, pad_w = rows * tile - h, cols * tile - w
    if pad_h or pad_w:  # reflection needs the pad smaller than the side: replicate for tiny pictures
        mode = "reflect" if pad_h < h and pad_w < w else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    out = torch.empty(3, h, w)
    step = TILE_ROWS_PER_BATCH
    for r in range(0, rows, step):
        band = x[:, :, r * tile:(r + step) * tile].to(device)
        n_rows = band.shape[2] // tile
        y = join_tiles(G(split_tiles(band, tile)), n_rows, cols)[0].float().cpu()
        top = r * tile
        out[:, top:min(top + n_rows * tile, h)] = y[:, :min(n_rows * tile, h - top), :w]
        if progress_fn is not None:
            progress_fn(min(r + step, rows), rows)
    return _to_image(out)


@torch.no_grad()
def translate_resized(G: nn.Module, image: Image.Image, size: int = BASELINE_SIZE, *,
                      device: torch.device | str = "cpu") -> Image.Image:
    """The article's simple baseline: shrink the picture to `size` px on its longest side,
    translate it whole, enlarge the result back (bicubic) to the picture's size."""
    w, h = image.size
    sw, sh = fit_working_size((w, h), min(size, max(w, h)))
    sw, sh = max(4, sw // 4 * 4), max(4, sh // 4 * 4)  # G's two stride-2 steps want multiples of 4
    small = _to_tensor(image.resize((sw, sh), Image.Resampling.LANCZOS)).unsqueeze(0).to(device)
    return _to_image(G(small)[0].float().cpu()).resize((w, h), Image.Resampling.BICUBIC)


# ----------------------------------------------------------------------------- the pipeline


@dataclass
class StyleTransfer:
    """A trained tile translator, ready to turn photos into paintings.

    `painter(image, working_size=1024)` -> PIL image: tile by tile (`method="tiles"`,
    the default) or the resize-translate-resize baseline (`method="resized"`)."""

    generator: nn.Module
    card: dict
    path: Path | None = None
    device: torch.device | str = "cpu"

    def __post_init__(self):
        self.generator = self.generator.to(self.device).eval()

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "style-transfer")

    @property
    def tile(self) -> int:
        return int(self.card.get("config", {}).get("tile", TILE))

    def __call__(self, image: Image.Image | str | Path | bytes, *, working_size: int | None = 1024,
                 method: str = "tiles", progress_fn: ProgressFn | None = None) -> Image.Image:
        picture = load_picture(image, working_size)
        if method == "tiles":
            return translate_tiled(self.generator, picture, self.tile, device=self.device, progress_fn=progress_fn)
        if method == "resized":
            return translate_resized(self.generator, picture, device=self.device)
        raise ValueError(f"method must be 'tiles' or 'resized', not {method!r}")

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict, device: torch.device | str = "cpu") -> StyleTransfer:
        """The painter of a style-transfer checkpoint's folder and card (see gan_core.load)."""
        G = build_translator(card)
        load_weights(G, weights_file(folder, card, "generator", GENERATOR_FILE))
        return cls(G, card, folder, device)


def build_translator(card: dict) -> TileTranslator:
    config = card.get("config") if isinstance(card.get("config"), dict) else {}
    if card.get("model") != "siamese-tile-translator":
        raise CheckpointError(f"model {card.get('model')!r} is not a style-transfer network this library builds")
    return TileTranslator(int(config.get("g_width", G_WIDTH)), int(config.get("g_blocks", 3)),
                          bool(config.get("g_residual", True)))


__all__ = ["combo", "split_tiles", "join_tiles", "seam_score", "translate_tiled", "translate_resized", "load_picture", "fit_working_size",
           "StyleTransfer", "build_translator", "MARGIN", "MAX_WORKING_SIZE"]
