"""Build data/own_images/: the offline stand-in for "a folder of your own photos" (notebook 10).

    python -m scripts.build_own_images          # rebuilds data/own_images/ (byte-identical for the same
                                                # Pillow, matplotlib and numpy versions)

Ordinary image files in one sub-folder per class, as a learner's own folder would be: glyphs of the digits
0, 1 and 6 (which the stand-in bases never saw) from the offline assets' renderer (``scripts/glyphs.py``), saved at assorted sizes,
plus the broken and odd files real folders contain, so that the loader's report has something to say. The
folder carries the stand-in marker; scripts/build_offline_assets.py calls :func:`build`.
"""
from __future__ import annotations

import hashlib
import io
import random
import shutil
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image

from helpers import standins
from scripts.glyphs import render_glyph

FOLDER_NAME = "own_images"
SEED = 2026
CLASSES = {"zero": ("0", 40), "one": ("1", 40), "six": ("6", 20), "seven": ("7", 1)}
"""Class folder -> (the digit drawn, how many plain images). ``seven`` has too few to be a class."""
JPEG_QUALITY = 80
MARKER_TEXT = (
    "STAND-IN, not photos: the course's offline stand-in for a folder of your own images (notebook 10).\n"
    "Glyphs of the digits 0, 1 and 6 rendered by scripts/build_offline_assets.py, saved at assorted sizes by\n"
    "scripts/build_own_images.py, plus broken and odd files (truncated, not an image, empty, CMYK, 16-bit,\n"
    "transparent, EXIF-rotated, animated, duplicated, hidden) so that the loader's report has something to say.\n"
)


def _jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, **kwargs)
    return buffer.getvalue()


def _png(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, **kwargs)
    return buffer.getvalue()


def _glyph(rng: random.Random, char: str) -> Image.Image:
    """One glyph at an assorted size: 64 to 128 px on the long side, square, landscape or portrait."""
    image = Image.fromarray(render_glyph(rng, char))
    long_side = rng.randrange(64, 129, 8)
    w, h = rng.choice([(4, 4), (4, 3), (3, 4)])
    return image.resize((long_side * w // 4, long_side * h // 4), Image.BICUBIC)


def _odd_files(rng: random.Random, zero: dict[str, bytes]) -> dict[str, bytes]:
    """The awkward files of the folder: ``{relative path: bytes}``; ``zero`` holds the plain zero/ files."""
    glyph = lambda: _glyph(rng, "0")  # noqa: E731
    first = next(iter(zero.values()))
    sideways = Image.Exif()
    sideways[0x0112] = 6  # stored turned 90° anticlockwise; the tag says "rotate 90° clockwise to view"
    sticker = glyph().convert("RGBA")
    alpha = np.zeros(sticker.size[::-1], np.uint8)
    alpha[10:-10, 10:-10] = 255  # a transparent frame around the digit; the hidden colour under it is black
    pixels = np.asarray(sticker).copy()
    pixels[..., 3] = alpha
    pixels[alpha == 0, :3] = 0
    frames = [glyph().resize((80, 80)).convert("P") for _ in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    deep = np.asarray(glyph().convert("L"), np.uint16) * 257
    return {
        "zero/scan_gray.png": _png(glyph().convert("L")),
        "zero/print_cmyk.jpg": _jpeg(glyph().convert("CMYK")),
        "zero/sticker.png": _png(Image.fromarray(pixels, "RGBA")),
        "zero/scanner_16bit.png": _png(Image.fromarray(deep)),
        "zero/phone_sideways.jpg": _jpeg(glyph().transpose(Image.Transpose.ROTATE_90), exif=sideways),
        "zero/animated.gif": gif.getvalue(),
        "zero/banner.png": _png(glyph().resize((900, 8))),
        "zero/thumbnail.png": _png(glyph().resize((10, 10))),
        "zero/truncated.jpg": first[: len(first) // 2],
        "zero/notes.jpg": b"Remember: take more photos of the sixes.\n",
        "zero/empty.jpg": b"",
        "zero/IMG_0001.heic": b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(rng.randrange(256) for _ in range(200)),
        "zero/copy of 000.jpg": first,
        "one/looks_like_zero.jpg": zero["zero/001.jpg"],  # the same picture in two classes
        "zero/.DS_Store": b"\0\0\0\1Bud1" + bytes(60),
        "zero/.hidden_thumb.jpg": _jpeg(glyph()),
        "__MACOSX/zero/._000.jpg": b"\0\5\26\7\0\2\0\0Mac OS X        " + bytes(40),
        "empty/.gitkeep": b"",
    }


def files(seed: int = SEED) -> dict[str, bytes]:
    """Every file of the folder, ``{relative path: bytes}``, the same for the same seed and library versions."""
    rng = random.Random(seed)
    out: dict[str, bytes] = {standins.MARKER: (MARKER_TEXT + _versions()).encode("utf8")}
    for name, (char, count) in CLASSES.items():
        out.update({f"{name}/{i:03d}.jpg": _jpeg(_glyph(rng, char)) for i in range(count)})
    out.update(_odd_files(rng, {k: v for k, v in out.items() if k.startswith("zero/")}))
    return out


def _versions() -> str:
    """The libraries the bytes depend on (JPEG/PNG encoders, fonts, random numbers)."""
    return "Built with " + ", ".join(f"{p} {version(p)}" for p in ("pillow", "matplotlib", "numpy")) + ".\n"


def build(data_dir: Path) -> Path:
    """Write the folder into ``data_dir / "own_images"`` (replacing it); return that folder."""
    folder = Path(data_dir) / FOLDER_NAME
    if folder.exists():
        shutil.rmtree(folder)
    for relative, content in files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def main() -> None:
    folder = build(standins.DATA_DIR)
    shipped = sorted(p for p in folder.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in shipped)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in shipped)).hexdigest()[:12]
    print(f"{folder}: {len(shipped)} files, {size / 1e3:.0f} kB (content digest {digest})")


if __name__ == "__main__":
    main()
