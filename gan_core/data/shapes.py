"""A data set that ships with the code: simple shapes, drawn on the fly.

Each image holds one filled shape (disc, square, triangle, ring or cross) in a
saturated colour, at a random place, size and angle, on a plain or two-tone
gradient background of a contrasting colour. A GAN learns it in minutes on a
CPU, so training can be tried on a fresh install with no download:
`load_images("shapes:2000", 32)` or `python -m gan_core train --data shapes`.

This module only draws, in numpy; `gan_core.data.image_set.make_shapes` checks the
arguments and wraps the drawing into an ImageSet with labels and a content hash.

>>> images, classes = draw_shapes(8, size=32, seed=0)
>>> images.shape, images.dtype, [SHAPES[c] for c in classes[:3]]
((8, 3, 32, 32), dtype('uint8'), ['disc', 'square', 'triangle'])

The images are a function of (n, size, seed) only, the same bytes on every
machine: the random numbers come from numpy's PCG64 stream, and the drawing uses
only +, -, x, /, sqrt, min and max, which IEEE 754 rounds exactly alike everywhere
(no sin or cos, whose last bit differs between maths libraries; no font or polygon
rasteriser, whose pixels differ between Pillow versions). So a run's content hash
holds when it is resumed on another computer. Image i is the same whatever n is:
`shapes:100` is the first 100 images of `shapes:2000`.

Edges are anti-aliased from the signed distance to the shape's outline, which
gives each edge pixel its covered fraction as a one-pixel ramp: what drawing at
4x and averaging down gives, at a sixteenth of the work.
"""
from __future__ import annotations

import numpy as np

SHAPES = ("disc", "square", "triangle", "ring", "cross")
DEFAULT_N = 2000
DEFAULT_SEED = 0
MAX_SHAPES = 100_000  # 100k images are 300 MB at 32 px, 1.2 GB at 64 px
MIN_SIZE = 8  # below this a shape is a blot of a few pixels

# Geometry, in fractions of the image side. A shape's outer diameter (its
# circumscribed circle) spans 35 to 70 % of the side, and that circle keeps a
# margin from the edges, so the four corner pixels always show the background.
MIN_DIAMETER, MAX_DIAMETER = 0.35, 0.70
MARGIN = 0.03
# Ring thickness and a cross's arm half-width, as fractions of the outer radius:
# at least two pixels at 32 px for the smallest shapes.
MIN_THICKNESS, MAX_THICKNESS = 0.35, 0.55
MIN_ARM, MAX_ARM = 0.22, 0.32

# Colours, in HSV. The shape is saturated and bright; the background is dark or
# pale, with its hue 90 to 270 degrees away from the shape's, so the two never blend.
SHAPE_SATURATION = (0.75, 1.0)
SHAPE_VALUE = (0.8, 1.0)
MIN_HUE_OFFSET, MAX_HUE_OFFSET = 0.25, 0.75  # in turns
DARK_SATURATION, DARK_VALUE = (0.4, 0.9), (0.1, 0.35)
PALE_SATURATION, PALE_VALUE = (0.08, 0.3), (0.85, 1.0)
# Half of the backgrounds are a gradient between two tones: the value moves by
# 0.1 to 0.2 towards mid-grey and the hue by up to 0.06 turns across the image.
GRADIENT_VALUE = (0.1, 0.2)
GRADIENT_HUE = 0.06

SQRT_HALF = 0.7071067811865476  # sqrt(1/2), the square's half-side per outer radius
SQRT3_HALF = 0.8660254037844386  # sqrt(3)/2, for the triangle's edge normals
# Uniform numbers drawn per image, in this order (the columns of one draw).
_PARAMS = ("x", "y", "diameter", "angle", "thickness", "hue", "saturation", "value", "bg_hue", "bg_dark",
           "bg_saturation", "bg_value", "gradient", "gradient_angle", "gradient_value", "gradient_hue")
# Images drawn at once: 2^20 pixels keep each float64 working array at 8 MB.
CHUNK_PIXELS = 2**20


def draw_shapes(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` images (n, 3, size, size) uint8 of one shape each, deterministic from `seed`,
    and their class indices (n,) into SHAPES.

    The classes cycle disc, square, triangle, ring, cross (image i is class i mod 5),
    so any prefix is balanced. Expects 1 <= n <= MAX_SHAPES, size >= MIN_SIZE and
    seed >= 0 (make_shapes checks them)."""
    # One draw, row i = image i: numpy fills it in order, so row i does not depend on n.
    u = np.random.default_rng(int(seed)).random((n, len(_PARAMS)))
    classes = np.arange(n) % len(SHAPES)
    images = np.empty((n, 3, size, size), np.uint8)
    step = max(1, CHUNK_PIXELS // (size * size))
    for start in range(0, n, step):
        images[start:start + step] = _draw(u[start:start + step], classes[start:start + step], size)
    return images, classes


def _draw(u: np.ndarray, classes: np.ndarray, size: int) -> np.ndarray:
    """Images (m, 3, size, size) uint8 for the parameter rows `u` (m, len(_PARAMS))."""
    p = dict(zip(_PARAMS, u.T))
    m = len(u)
    radius = _lerp(MIN_DIAMETER, MAX_DIAMETER, p["diameter"]) / 2
    free = 1 - 2 * (radius + MARGIN)  # room left for the centre along each axis
    cx = radius + MARGIN + free * p["x"]
    cy = radius + MARGIN + free * p["y"]
    cos, sin = _unit_vector(p["angle"])

    coord = (np.arange(size) + 0.5) / size  # pixel centres in [0, 1]
    dx = coord[None, None, :] - cx[:, None, None]  # (m, 1, size)
    dy = coord[None, :, None] - cy[:, None, None]  # (m, size, 1)
    c, s, r = cos[:, None, None], sin[:, None, None], radius[:, None, None]
    along, across = c * dx + s * dy, c * dy - s * dx  # the shape's own axes, rotated
    thickness = r * _lerp(MIN_THICKNESS, MAX_THICKNESS, p["thickness"])[:, None, None]
    arm = r * _lerp(MIN_ARM, MAX_ARM, p["thickness"])[:, None, None]

    # Signed distance to the outline (negative inside), in fractions of the side.
    sdf = np.empty((m, size, size))
    for k, shape in enumerate(SHAPES):
        i = classes == k
        if not i.any():
            continue
        a, b, ri = along[i], across[i], r[i]
        if shape == "disc":
            d = np.sqrt(dx[i] ** 2 + dy[i] ** 2) - ri
        elif shape == "square":  # inscribed in the outer circle
            d = np.maximum(np.abs(a), np.abs(b)) - ri * SQRT_HALF
        elif shape == "triangle":  # equilateral, inscribed: edges at half the radius from the centre
            d = np.maximum(b, np.maximum(SQRT3_HALF * a - b / 2, -SQRT3_HALF * a - b / 2)) - ri / 2
        elif shape == "ring":
            d = np.abs(np.sqrt(dx[i] ** 2 + dy[i] ** 2) - (ri - thickness[i] / 2)) - thickness[i] / 2
        else:  # cross: two bars whose corners touch the outer circle
            w = arm[i]
            length = np.sqrt(ri * ri - w * w)
            d = np.minimum(np.maximum(np.abs(a) - length, np.abs(b) - w),
                           np.maximum(np.abs(a) - w, np.abs(b) - length))
        sdf[i] = d
    cover = np.clip(0.5 - sdf * size, 0.0, 1.0)[:, None]  # (m, 1, size, size): the pixel's covered fraction

    hue = p["hue"]
    fg = _hsv_to_rgb(hue, _lerp(*SHAPE_SATURATION, p["saturation"]), _lerp(*SHAPE_VALUE, p["value"]))
    bg_hue = (hue + _lerp(MIN_HUE_OFFSET, MAX_HUE_OFFSET, p["bg_hue"])) % 1.0
    dark = p["bg_dark"] < 0.5
    bg_sat = np.where(dark, _lerp(*DARK_SATURATION, p["bg_saturation"]), _lerp(*PALE_SATURATION, p["bg_saturation"]))
    bg_val = np.where(dark, _lerp(*DARK_VALUE, p["bg_value"]), _lerp(*PALE_VALUE, p["bg_value"]))
    # The second tone: the same as the first for a plain background.
    graded = p["gradient"] < 0.5
    shift = np.where(graded, _lerp(*GRADIENT_VALUE, p["gradient_value"]), 0.0)
    bg_val2 = np.where(dark, bg_val + shift, bg_val - shift)
    bg_hue2 = (bg_hue + np.where(graded, _lerp(-GRADIENT_HUE, GRADIENT_HUE, p["gradient_hue"]), 0.0)) % 1.0
    bg1 = _hsv_to_rgb(bg_hue, bg_sat, bg_val)
    bg2 = _hsv_to_rgb(bg_hue2, bg_sat, bg_val2)
    gc, gs = _unit_vector(p["gradient_angle"])
    # 0 to 1 across the image along the gradient's direction (the diagonal is the longest run).
    t = 0.5 + (gc[:, None, None] * (coord[None, None, :] - 0.5) + gs[:, None, None] * (coord[None, :, None] - 0.5)) \
        * SQRT_HALF
    t = t[:, None]  # (m, 1, size, size)
    background = bg1[:, :, None, None] * (1 - t) + bg2[:, :, None, None] * t
    rgb = background * (1 - cover) + fg[:, :, None, None] * cover
    return np.rint(rgb * 255).astype(np.uint8)


def _lerp(lo: float, hi: float, u: np.ndarray) -> np.ndarray:
    return lo + (hi - lo) * u


def _unit_vector(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin) of an angle in (-90, 90) degrees from uniform `u`, by the rational
    parametrisation of the circle (t = tan(angle / 2)): exact arithmetic only, where
    np.cos and np.sin differ in the last bit between CPUs. Half a turn covers every
    shape here, each being symmetric under a half turn or a third of one."""
    t = 2 * u - 1
    return (1 - t * t) / (1 + t * t), 2 * t / (1 + t * t)


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(m,) hue in turns, saturation, value in [0, 1] -> (m, 3) RGB in [0, 1]."""
    k = (np.array([5.0, 3.0, 1.0]) + 6 * h[:, None]) % 6  # R, G, B
    return v[:, None] * (1 - s[:, None] * np.clip(np.minimum(k, 4 - k), 0.0, 1.0))
