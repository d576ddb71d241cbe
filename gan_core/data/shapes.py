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
    cover = _cover(_outline(classes, *_place(p), p["thickness"], size), size)
    fg, background = _colours(p, size)
    return _to_uint8(_paint(background, fg, cover))


def _place(p: dict) -> tuple[np.ndarray, ...]:
    """(cx, cy, radius, cos, sin) of each image's shape, in fractions of the side, from its
    uniform parameters: the outer circle inside the image with MARGIN to spare."""
    radius = _lerp(MIN_DIAMETER, MAX_DIAMETER, p["diameter"]) / 2
    free = 1 - 2 * (radius + MARGIN)  # room left for the centre along each axis
    cx = radius + MARGIN + free * p["x"]
    cy = radius + MARGIN + free * p["y"]
    cos, sin = _unit_vector(p["angle"])
    return cx, cy, radius, cos, sin


def _outline(classes: np.ndarray, cx: np.ndarray, cy: np.ndarray, radius: np.ndarray, cos: np.ndarray,
             sin: np.ndarray, thickness_u: np.ndarray, size: int) -> np.ndarray:
    """Signed distance (m, size, size) to each shape's outline (negative inside), in
    fractions of the side; all arguments (m,) but `size`."""
    m = len(classes)
    coord = (np.arange(size) + 0.5) / size  # pixel centres in [0, 1]
    dx = coord[None, None, :] - cx[:, None, None]  # (m, 1, size)
    dy = coord[None, :, None] - cy[:, None, None]  # (m, size, 1)
    c, s, r = cos[:, None, None], sin[:, None, None], radius[:, None, None]
    along, across = c * dx + s * dy, c * dy - s * dx  # the shape's own axes, rotated
    thickness = r * _lerp(MIN_THICKNESS, MAX_THICKNESS, thickness_u)[:, None, None]
    arm = r * _lerp(MIN_ARM, MAX_ARM, thickness_u)[:, None, None]

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
    return sdf


def _cover(sdf: np.ndarray, size: int) -> np.ndarray:
    """(m, 1, size, size): each pixel's covered fraction, a one-pixel ramp across the outline."""
    return np.clip(0.5 - sdf * size, 0.0, 1.0)[:, None]


def _colours(p: dict, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(shape colour (m, 3), background (m, 3, size, size)) in [0, 1] from the uniform parameters."""
    coord = (np.arange(size) + 0.5) / size
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
    return fg, background


def _paint(background: np.ndarray, fg: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """The shape colour fg (m, 3) over the background (m, 3, S, S) where cover (m, 1, S, S) says."""
    return background * (1 - cover) + fg[:, :, None, None] * cover


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.rint(rgb * 255).astype(np.uint8)


# ----------------------------------------------------------------------------- not shapes
# Images that are NOT one clean shape, for a judge that must tell a GAN's shapes from its
# failures (gan_core.models.shape_classifier). Each kind is what a GAN early in training,
# or a broken one, draws; none of them is a clean shape of the five classes:
#   blurred       a shape whose cover map is box-blurred twice, 2-4 px each way at 32 px,
#                 so every edge smears over 8-16 px (a sharp shape's edge is one pixel)
#   blended       two shapes of different classes, each a whole image on the same
#                 background, mixed with weights 0.3-0.7: two ghosts, one over the other
#   merged        two shapes of different classes, about the same size, overlapping by a
#                 centre offset of 0.5-0.9 outer radii, filled in one colour: one blob with
#                 two outlines (where the union sticks out of either shape by under a sixth
#                 of it, an oval that reads as a disc, drawn as blended instead)
#   colour-field  a smooth random colour field: 2x2 to 5x5 random colours upsampled bilinearly
#   blob          a saturated blob on a shapes background: a 3x3 to 6x6 random field,
#                 upsampled and thresholded (irregular, often in several pieces)
#   lumpy         a shape whose signed distance has low-frequency noise added (5x5 to 8x8
#                 cells, centred and stretched along the outline, 2-4 px each way at 32 px):
#                 a lumpy, wobbling outline
#   cut           a disc, ring, cross or square with a straight cut through it, 15-85 % of
#                 it gone (about half of a square, cut 3-12 degrees off a side: a long
#                 thin trapezoid, never a square or a triangle); no triangles, whose pieces
#                 still read as triangles
#   speckled      a shape under heavy noise: 20-45 % of its pixels replaced by random
#                 colours, or gaussian noise of 0.2-0.4 (in 0..1 units) on every pixel
#   background    the background alone, plain or a gradient
#   noise         pixel noise: uniform, gaussian around a random colour, or blocks of 4 or 8 px
#   hollow        the outline of a square or triangle, a stroke 2-3 px wide (at 32 px)
#                 round an empty middle: the data set's shapes are filled
NON_SHAPE_KINDS = ("blurred", "blended", "merged", "colour-field", "blob", "lumpy", "cut", "speckled",
                   "background", "noise", "hollow")
# Uniform numbers drawn per image besides _PARAMS, in this order.
_EXTRA = ("amount", "mode", "x2", "y2", "diameter2", "angle2", "class2", "hue2", "grid")
_NON_SHAPE_STREAM = 1  # the negatives' random stream: numpy's SeedSequence([seed, 1]), never draw_shapes' own


def draw_non_shapes(n: int, size: int, seed: int) -> np.ndarray:
    """`n` images (n, 3, size, size) uint8 that are not one clean shape, deterministic from
    `seed`: image i is of kind NON_SHAPE_KINDS[i mod 11] (so every prefix mixes them all),
    and, where it starts from a shape, of class (i // 11) mod 5. Colours, places and sizes
    are drawn as draw_shapes' are. The same (size, seed) give the same image i whatever n.

    >>> draw_non_shapes(22, size=32, seed=0).shape
    (22, 3, 32, 32)
    """
    u = np.random.default_rng([int(seed), _NON_SHAPE_STREAM]).random((n, len(_PARAMS) + len(_EXTRA)))
    index = np.arange(n)
    kinds = index % len(NON_SHAPE_KINDS)
    classes = (index // len(NON_SHAPE_KINDS)) % len(SHAPES)
    images = np.empty((n, 3, size, size), np.uint8)
    step = max(1, CHUNK_PIXELS // (size * size))
    for start in range(0, n, step):
        rows = slice(start, start + step)
        images[rows] = _draw_non_shapes(u[rows], kinds[rows], classes[rows], index[rows], size, int(seed))
    return images


def _draw_non_shapes(u: np.ndarray, kinds: np.ndarray, classes: np.ndarray, index: np.ndarray, size: int,
                     seed: int) -> np.ndarray:
    p = dict(zip(_PARAMS + _EXTRA, u.T))
    m = len(u)
    place = _place(p)
    cx, cy, radius, cos, sin = place
    fg, background = _colours(p, size)
    sdf = _outline(classes, *place, p["thickness"], size)
    cover = _cover(sdf, size)
    out = np.empty((m, 3, size, size))
    for k, kind in enumerate(NON_SHAPE_KINDS):
        i = np.flatnonzero(kinds == k)
        if len(i) == 0:
            continue
        # Pixel-level randomness from each image's own stream: image i is the same whatever n.
        rngs = [np.random.default_rng([seed, _NON_SHAPE_STREAM, int(j)]) for j in index[i]]
        a, mode = p["amount"][i], p["mode"][i]
        grid = 3 + np.floor(p["grid"][i] * 4).astype(int)  # 3 to 6 cells of noise across
        if kind == "blurred":
            c = np.stack([_box_blur(_box_blur(cover[j], r), r)
                          for j, r in zip(i, np.maximum(1, np.rint(size * _lerp(0.06, 0.125, a))).astype(int))])
            out[i] = _paint(background[i], fg[i], c)
        elif kind in ("blended", "merged"):
            other = (classes[i] + 1 + np.floor(p["class2"][i] * 4).astype(int)) % len(SHAPES)
            fg2 = _hsv_to_rgb((p["hue"][i] + _lerp(-0.15, 0.15, p["hue2"][i])) % 1.0,
                              _lerp(*SHAPE_SATURATION, p["saturation"][i]), _lerp(*SHAPE_VALUE, p["value"][i]))
            if kind == "blended":  # the second shape anywhere, at any size
                q = {"x": p["x2"][i], "y": p["y2"][i], "diameter": p["diameter2"][i], "angle": p["angle2"][i]}
                place2 = _place(q)
            else:  # the second shape beside the first, overlapping it, about its size
                r2 = radius[i] * _lerp(0.75, 1.0, p["diameter2"][i])
                ux, uy = _unit_vector(p["x2"][i])
                flip = np.where(p["y2"][i] < 0.5, 1.0, -1.0)  # the whole circle of directions
                d = radius[i] * _lerp(0.5, 0.9, a)
                lo, hi = r2 + MARGIN, 1 - r2 - MARGIN
                place2 = (np.clip(cx[i] + flip * d * ux, lo, hi), np.clip(cy[i] + flip * d * uy, lo, hi), r2,
                          *_unit_vector(p["angle2"][i]))
            c1 = cover[i]
            c2 = _cover(_outline(other, *place2, p["thickness"][i], size), size)
            alpha = _lerp(0.3, 0.7, a)[:, None, None, None]
            blend = (1 - alpha) * _paint(background[i], fg[i], c1) + alpha * _paint(background[i], fg2, c2)
            if kind == "merged":
                union = np.maximum(c1, c2)
                area1, area2 = c1.sum((1, 2, 3)), c2.sum((1, 2, 3))
                # Each outline must show: the union sticks out of each shape by a sixth of it.
                shows = ((union - c1).sum((1, 2, 3)) > area1 / 6) & ((union - c2).sum((1, 2, 3)) > area2 / 6)
                out[i] = np.where(shows[:, None, None, None], _paint(background[i], fg[i], union), blend)
            else:
                out[i] = blend
        elif kind == "colour-field":
            cells = 2 + np.floor(p["grid"][i] * 4).astype(int)  # 2 to 5
            gain = _lerp(1.0, 2.5, a)
            out[i] = np.stack([np.clip((_upsample(rng.random((3, g, g)), size) - 0.5) * s + 0.5, 0, 1)
                               for rng, g, s in zip(rngs, cells, gain)])
        elif kind == "blob":
            field = np.stack([_upsample(rng.random((1, g, g)), size) for rng, g in zip(rngs, grid)])
            level = _lerp(0.45, 0.65, a)[:, None, None, None]
            c = np.clip((field - level) * 12 + 0.5, 0.0, 1.0)
            out[i] = _paint(background[i], fg[i], c)
        elif kind == "lumpy":
            cells = 5 + np.floor(p["grid"][i] * 4).astype(int)  # 5 to 8
            field = np.stack([_upsample(rng.random((1, g, g)), size)[0] for rng, g in zip(rngs, cells)])
            # Only the field's changes along the outline make lumps (an even shift just
            # grows or shrinks the shape): centre it there and stretch its range there to 2.
            band = np.abs(sdf[i]) * size < 1.5
            lumps = np.stack([(f - f[b].mean()) / max(np.ptp(f[b]), 0.02) * 2 for f, b in zip(field, band)])
            amplitude = _lerp(0.07, 0.13, a)[:, None, None]  # 2 to 4 px at 32 px, each way
            out[i] = _paint(background[i], fg[i], _cover(sdf[i] + amplitude * lumps, size))
        elif kind == "cut":
            # No triangles: whatever a straight cut leaves of one (a piece of it, a tip gone) still
            # reads as a triangle at 32 px. They are cut as crosses instead.
            cut = np.where(classes[i] == 2, 4, classes[i])
            c = _cover(_outline(cut, *(v[i] for v in place), p["thickness"][i], size), size)
            out[i] = _paint(background[i], fg[i], c * _cut(cut, place, i, p, size))
        elif kind == "speckled":
            clean = _paint(background[i], fg[i], cover[i])
            noisy = []
            for rng, image, mo, am in zip(rngs, clean, mode, a):
                if mo < 0.5:  # impulse noise
                    hit = rng.random((1, size, size)) < _lerp(0.2, 0.45, am)
                    noisy.append(np.where(hit, rng.random((3, size, size)), image))
                else:
                    noisy.append(np.clip(image + rng.normal(0.0, _lerp(0.2, 0.4, am), image.shape), 0, 1))
            out[i] = np.stack(noisy)
        elif kind == "background":
            out[i] = background[i]
        elif kind == "noise":
            noisy = []
            for rng, mo, am in zip(rngs, mode, a):
                if mo < 1 / 3:
                    noisy.append(rng.random((3, size, size)))
                elif mo < 2 / 3:
                    mean = rng.random((3, 1, 1))
                    noisy.append(np.clip(mean + rng.normal(0.0, _lerp(0.15, 0.35, am), (3, size, size)), 0, 1))
                else:
                    cells = 4 if am < 0.5 else 8
                    block = (np.arange(size) * cells) // size
                    noisy.append(rng.random((3, cells, cells))[:, block][:, :, block])
            out[i] = np.stack(noisy)
        else:  # hollow: a square's or triangle's outline, large enough to show its empty middle
            hollow = np.where(classes[i] % 2 == 0, 1, 2)  # square or triangle
            r = _lerp(0.55, MAX_DIAMETER, p["diameter"][i]) / 2
            free = 1 - 2 * (r + MARGIN)
            place_h = (r + MARGIN + free * p["x"][i], r + MARGIN + free * p["y"][i], r, cos[i], sin[i])
            inradius = np.where(hollow == 1, SQRT_HALF, 0.5) * r
            w = np.minimum(_lerp(0.03, 0.05, a), 0.25 * inradius)[:, None, None]  # half the stroke
            d = _outline(hollow, *place_h, p["thickness"][i], size)
            out[i] = _paint(background[i], fg[i], _cover(np.abs(d + w) - w, size))
    return _to_uint8(out)


def _cut(classes: np.ndarray, place: tuple, i: np.ndarray, p: dict, size: int) -> np.ndarray:
    """(m, 1, S, S) in [0, 1]: what a straight cut leaves of each shape of rows `i` (`classes`
    theirs). The cut's normal is turned from the shape's axis by 3 to 12 degrees for a square
    (cut further off a side, half a square reads as a triangle); any angle for the others.
    The cut line passes within 0.35 outer radii of the centre (0.1 for a square: its halves are
    rectangles of 0.43-0.57 times their length)."""
    cx, cy, radius, cos, sin = (v[i] for v in place)
    t = _lerp(-1.0, 1.0, p["angle2"][i])  # tan of half the turn, exact arithmetic as _unit_vector's
    square = classes == 1
    tan_1_5, tan_6 = 0.02618592156918693, 0.10510423526567647
    # Square: |turn| from 3 to 12 degrees (half-turn tangents tan 1.5 to tan 6).
    t = np.where(square, np.sign(t + 1e-12) * _lerp(tan_1_5, tan_6, np.abs(t)), t)
    ct, st = (1 - t * t) / (1 + t * t), 2 * t / (1 + t * t)
    nx, ny = cos * ct - sin * st, sin * ct + cos * st  # the shape's axis turned by the angle
    # A square is cut near its centre, into about halves: a corner cut off (or left) reads as
    # a square with a chip (or a triangle).
    offset = radius * np.where(square, _lerp(-0.1, 0.1, p["mode"][i]), _lerp(-0.35, 0.35, p["mode"][i]))
    coord = (np.arange(size) + 0.5) / size
    proj = nx[:, None, None] * (coord[None, None, :] - cx[:, None, None]) \
        + ny[:, None, None] * (coord[None, :, None] - cy[:, None, None])
    return np.clip(0.5 - (proj - offset[:, None, None]) * size, 0.0, 1.0)[:, None]


def _box_blur(x: np.ndarray, r: int) -> np.ndarray:
    """x (..., S, S) averaged over a (2r+1)-pixel box along each axis (the box shrinks at the edges)."""
    size = x.shape[-1]
    k = np.arange(size)
    m = (np.abs(k[:, None] - k[None, :]) <= r).astype(float)
    m /= m.sum(1, keepdims=True)
    return m @ x @ m.T


def _upsample(x: np.ndarray, size: int) -> np.ndarray:
    """(c, g, g) values at cell centres -> (c, size, size), bilinear, edges held."""
    g = x.shape[-1]
    pos = np.clip((np.arange(size) + 0.5) * g / size - 0.5, 0, g - 1)
    lo = np.minimum(np.floor(pos).astype(int), g - 2) if g > 1 else np.zeros(size, int)
    frac = pos - lo
    w = np.zeros((size, g))
    w[np.arange(size), lo] = 1 - frac
    if g > 1:
        w[np.arange(size), lo + 1] += frac
    return w @ x @ w.T


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
