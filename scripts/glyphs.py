"""The glyph renderer of the offline stand-ins: textured, cluttered images of one character, from matplotlib's fonts.

``scripts/build_offline_assets.py`` draws the stand-in datasets with it (letters for the source task the bases are
pre-trained on, digits for the targets), ``scripts/build_own_images.py`` the folder of "your own" images. The same
``random.Random`` seed gives the same images (for the same Pillow, matplotlib and NumPy versions).
"""
from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from helpers import standins

IMAGE_SIZE = standins.IMAGE_SIZE

FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmti10.ttf",
)
CLUTTER_CHARS = "#%&*+=?@$!<>~/"


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"


_FONT_CACHE: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    key = (name, size)
    if key not in _FONT_CACHE:
        _FONT_CACHE[key] = ImageFont.truetype(str(_font_dir() / name), size)
    return _FONT_CACHE[key]


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return tuple(rng.randrange(256) for _ in range(3))  # type: ignore[return-value]


def _luma(c: tuple[int, ...]) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def _background(rng: random.Random, size: int, difficulty: float) -> np.ndarray:
    """Linear gradient between two colours plus low-frequency stripes/blobs."""
    c0, c1 = np.array(_colour(rng), float), np.array(_colour(rng), float)
    yy, xx = np.mgrid[0:size, 0:size].astype(float) / size
    ang = rng.uniform(0, 2 * math.pi)
    t = (np.cos(ang) * xx + np.sin(ang) * yy)
    t = (t - t.min()) / (t.max() - t.min() + 1e-9)
    img = c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
    for _ in range(rng.randint(1, 3)):  # texture: oriented sinusoids of random colour
        f = rng.uniform(1.5, 7.0)
        a = rng.uniform(0, 2 * math.pi)
        ph = rng.uniform(0, 2 * math.pi)
        wave = np.sin(2 * math.pi * f * (np.cos(a) * xx + np.sin(a) * yy) + ph)
        amp = np.array([rng.uniform(-25, 25) * difficulty for _ in range(3)])
        img += wave[..., None] * amp[None, None]
    return np.clip(img, 0, 255)


def render_glyph(rng: random.Random, char: str, size: int = IMAGE_SIZE, difficulty: float = 1.0) -> np.ndarray:
    """One ``size``x``size`` RGB uint8 image of ``char`` on a textured, cluttered background.

    ``difficulty`` in [0, 1] scales the clutter, texture, rotation, shadows and blur.
    """
    bg = Image.fromarray(_background(rng, size, difficulty).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(bg)
    bg_luma = _luma(bg.resize((1, 1), Image.BILINEAR).getpixel((0, 0)))
    # clutter: strokes, arcs and small symbols
    for _ in range(rng.randint(0, round(4 * difficulty))):
        kind = rng.random()
        col = _colour(rng)
        p = [rng.uniform(-8, size + 8) for _ in range(4)]
        if kind < 0.4:
            draw.line(p, fill=col, width=rng.randint(1, 3))
        elif kind < 0.7:
            x0, x1 = sorted(p[0::2])
            y0, y1 = sorted(p[1::2])
            draw.arc([x0, y0, x1 + 1, y1 + 1], rng.uniform(0, 360), rng.uniform(0, 360), fill=col,
                     width=rng.randint(1, 3))
        else:
            f = _font(rng.choice(FONT_FILES), rng.randint(10, 20))
            draw.text((p[0], p[1]), rng.choice(CLUTTER_CHARS), font=f, fill=col)
    # the glyph, drawn big on its own layer, rotated, scaled and pasted at a random place
    fsize = rng.randint(34, 54)
    font = _font(rng.choice(FONT_FILES), fsize)
    layer = Image.new("L", (2 * size, 2 * size), 0)
    ImageDraw.Draw(layer).text((size, size), char, font=font, fill=255, anchor="mm")
    rot = 5 + 20 * difficulty
    layer = layer.rotate(rng.uniform(-rot, rot), resample=Image.BICUBIC)
    box = layer.getbbox() or (0, 0, 2 * size, 2 * size)
    layer = layer.crop(box)
    sx = rng.uniform(0.8, 1.2)
    w, h = layer.size
    w, h = max(4, int(w * sx)), max(4, int(h / sx))
    if max(w, h) > size - 4:
        k = (size - 4) / max(w, h)
        w, h = max(4, int(w * k)), max(4, int(h * k))
    layer = layer.resize((w, h), Image.BICUBIC)
    x = rng.randint(0, size - w)
    y = rng.randint(0, size - h)
    while True:
        col = _colour(rng)
        if abs(_luma(col) - bg_luma) > 90:
            break
    if rng.random() < 0.3 * difficulty:  # outline / shadow
        shadow = layer.filter(ImageFilter.MaxFilter(3))
        bg.paste(_colour(rng), (x + rng.randint(-1, 2), y + rng.randint(-1, 2)), shadow)
    bg.paste(col, (x, y), layer)
    if rng.random() < 0.3 * difficulty:
        bg = bg.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    return np.asarray(bg, dtype=np.uint8)


def make_split(chars: str | list[str], per_class: int, seed: int, difficulty: tuple[float, float] = (1.0, 1.0)
               ) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` images of every char, interleaved by class, each with a difficulty drawn uniformly
    from the ``difficulty`` range; deterministic for a given seed."""
    rng = random.Random(seed)
    images, labels = [], []
    for i in range(per_class):
        for label, ch in enumerate(chars):
            images.append(render_glyph(rng, ch, difficulty=rng.uniform(*difficulty)))
            labels.append(label)
    return np.stack(images), np.array(labels, np.int64)
