"""Build data/own_images/: notebook 10's folder offline, real photos in one sub-folder per class plus odd files.

    python -m scripts.build_own_images     # rebuilds data/own_images/ from the photos shipped in data/tfds
                                           # (byte-identical for the same Pillow and NumPy versions)

A folder as a learner's own would be: real photos of tf_flowers' ``flower_photos`` (the ones shipped in
``data/tfds/flower_photos_small``, same bytes, original file names; CC-BY 2.0, credited in the folder's
``LICENSE.txt`` as in the real archive), three classes and a one-photo class, plus the broken and odd files real
folders contain, so that the loader's report has something to say. ``scripts/build_real_assets.py`` calls
:func:`build` after writing the photos.
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

FOLDER_NAME = "own_images"
SEED = 2026
CLASSES = {"daisy": 40, "dandelion": 40, "sunflowers": 20, "roses": 1}
"""Class folder -> how many plain photos (the first of its training photos by name). ``roses`` has too few to be a
class."""
PHOTOS = "flower_photos_small"
"""The shipped dataset the photos come from (its training split)."""
JPEG_QUALITY = 85
LICENSE_HEADER = ("Real photos of TensorFlow's flower_photos (CC-BY 2.0, https://creativecommons.org/licenses/by/2.0/)"
                  ", downscaled by scripts/build_real_assets.py, plus odd files made from them by\n"
                  "scripts/build_own_images.py (truncated, not an image, CMYK, 16-bit, EXIF-rotated, duplicated, "
                  "hidden...).\nThe photographers:\n\n")


def _jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, **kwargs)
    return buffer.getvalue()


def _png(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, **kwargs)
    return buffer.getvalue()


def _variant(rng: random.Random, photo: bytes) -> Image.Image:
    """A shipped photo at an assorted size: 64 to 160 px on the long side."""
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    long_side = rng.randrange(64, 161, 8)
    scale = long_side / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BICUBIC)


def _odd_files(rng: random.Random, daisy: dict[str, bytes], dandelion: dict[str, bytes]) -> dict[str, bytes]:
    """The awkward files of the folder: ``{relative path: bytes}``, made from the plain daisy/ photos."""
    pool = list(daisy.values())
    photo = lambda: _variant(rng, rng.choice(pool))  # noqa: E731
    first_name, first = next(iter(daisy.items()))
    sideways = Image.Exif()
    sideways[0x0112] = 6  # stored turned 90° anticlockwise; the tag says "rotate 90° clockwise to view"
    sticker = photo().convert("RGBA")
    alpha = np.zeros(sticker.size[::-1], np.uint8)
    alpha[10:-10, 10:-10] = 255  # a transparent frame around the flower; the hidden colour under it is black
    pixels = np.asarray(sticker).copy()
    pixels[..., 3] = alpha
    pixels[alpha == 0, :3] = 0
    frames = [photo().resize((80, 80)).convert("P") for _ in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    deep = np.asarray(photo().convert("L"), np.uint16) * 257
    return {
        "daisy/scan_gray.png": _png(photo().convert("L")),
        "daisy/print_cmyk.jpg": _jpeg(photo().convert("CMYK")),
        "daisy/sticker.png": _png(Image.fromarray(pixels, "RGBA")),
        "daisy/scanner_16bit.png": _png(Image.fromarray(deep)),
        "daisy/phone_sideways.jpg": _jpeg(photo().transpose(Image.Transpose.ROTATE_90), exif=sideways),
        "daisy/animated.gif": gif.getvalue(),
        "daisy/banner.png": _png(photo().resize((900, 8))),
        "daisy/thumbnail.png": _png(photo().resize((10, 10))),
        "daisy/truncated.jpg": first[: len(first) // 2],
        "daisy/notes.jpg": b"Remember: take more photos of the roses.\n",
        "daisy/empty.jpg": b"",
        "daisy/IMG_0002.heic": b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(rng.randrange(256) for _ in range(200)),
        f"daisy/copy of {Path(first_name).name}": first,
        "dandelion/looks_like_daisy.jpg": list(daisy.values())[1],  # the same picture in two classes
        "daisy/.DS_Store": b"\0\0\0\1Bud1" + bytes(60),
        "daisy/.hidden_thumb.jpg": _jpeg(photo()),
        "__MACOSX/daisy/._IMG_0001.jpg": b"\0\5\26\7\0\2\0\0Mac OS X        " + bytes(40),
        "empty/.gitkeep": b"",
    }


def shipped_photos() -> dict[str, dict[str, bytes]]:
    """``{class: {file name: JPEG bytes}}`` of the training photos in data/tfds/:data:`PHOTOS`, as shipped."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(PHOTOS, data_dir=str(standins.TFDS_DIR))
    names = builder.info.features["label"].names
    out: dict[str, dict[str, bytes]] = {name: {} for name in names}
    ds = builder.as_dataset(split="train", decoders={"image": tfds.decode.SkipDecoding()})
    for example in ds.as_numpy_iterator():
        cls, file = example["image/filename"].decode().split("/")
        out[cls][file] = example["image"]
    return {cls: dict(sorted(files.items())) for cls, files in out.items()}


def files(seed: int = SEED) -> dict[str, bytes]:
    """Every file of the folder, ``{relative path: bytes}``, the same for the same seed and library versions."""
    rng = random.Random(seed)
    photos = shipped_photos()
    out: dict[str, bytes] = {}
    for name, count in CLASSES.items():
        out.update({f"{name}/{file}": content for file, content in list(photos[name].items())[:count]})
    plain = {cls: {k.split("/", 1)[1]: v for k, v in out.items() if k.startswith(cls + "/")} for cls in CLASSES}
    out.update(_odd_files(rng, plain["daisy"], plain["dandelion"]))
    credits = [line for line in (standins.DATA_DIR / "flower_photos.LICENSE.txt").read_text(encoding="utf8")
               .splitlines() if line.split(" ", 1)[0] in out]
    out["LICENSE.txt"] = (LICENSE_HEADER + "\n".join(credits) + "\n" + _versions()).encode("utf8")
    return out


def _versions() -> str:
    """The libraries the bytes depend on (JPEG/PNG encoders, random numbers)."""
    return "Built with " + ", ".join(f"{p} {version(p)}" for p in ("pillow", "numpy")) + ".\n"


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
