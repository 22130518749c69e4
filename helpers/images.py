"""Your own images: load a folder with one sub-folder per class, with a report of every file it kept or skipped.

``keras.utils.image_dataset_from_directory`` stops at the first broken file; :func:`load_image_folder` opens
and decodes every file up front, converts what it can to 8-bit RGB and says what it did::

    splits, report = load_image_folder("my_photos", 64)
    print(report)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps, UnidentifiedImageError

from helpers import config
from helpers.data import Splits, resize_to_uint8

@dataclass
class FolderReport:
    """What :func:`load_image_folder` kept, converted and skipped, and why. ``print(report)`` to read it."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    converted: list[tuple[Path, str]] = field(default_factory=list)
    dropped_classes: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        per_class = ", ".join(f"{name}: {n}" for name, n in self.counts.items())
        lines = [f"{self.path}: {sum(self.counts.values())} images in {len(self.counts)} classes ({per_class})"]
        for title, rows in (("Dropped classes", self.dropped_classes), ("Skipped", self.skipped),
                            ("Converted", self.converted)):
            if rows:
                lines.append(f"{title} ({len(rows)}):")
                lines += [f"  - {self._short(item)}: {why}" for item, why in rows]
        return "\n".join(lines)

    def _short(self, item: Path | str) -> str:
        return str(item.relative_to(self.path)) if isinstance(item, Path) else item


def _rgb(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """The image as 8-bit RGB, and what was done to it."""
    notes = []
    if img.getexif().get(0x0112, 1) != 1:  # EXIF orientation
        img, notes = ImageOps.exif_transpose(img), ["rotated as its EXIF orientation says"]
    mode = img.mode
    if mode.startswith("I"):  # 16-bit grayscale ("I;16", or "I" holding 16-bit values)
        values = np.asarray(img, dtype=np.float64)
        scale = 257.0 if mode.startswith("I;16") or values.max() > 255 else 1.0
        img = Image.fromarray(np.clip(values / scale, 0, 255).round().astype(np.uint8))
        notes.append(f"{mode} 16-bit → 8-bit" if scale > 1 else f"{mode} → 8-bit")
    if mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), rgba)
        notes.append(f"{mode} alpha composited on white")
    elif mode in ("L", "1") or mode.startswith("I"):
        notes.append("grayscale → RGB")
    elif mode != "RGB":
        notes.append(f"{mode} → RGB")
    return img.convert("RGB"), notes


def _read_image(path: Path, min_side: int) -> tuple[np.ndarray | None, list[str]]:
    """(RGB uint8 array, conversions) for a good image, (None, [why it was skipped]) otherwise."""
    try:
        with Image.open(path) as img:
            img.load()  # decodes the whole file: truncated data fails here, not in the middle of an epoch
            if min(img.size) < min_side:
                return None, [f"too small ({img.size[0]}×{img.size[1]} px, under {min_side} px)"]
            rgb, notes = _rgb(img)
            return np.asarray(rgb, dtype=np.uint8), notes
    except UnidentifiedImageError:
        return None, ["not an image (PIL cannot identify the file)"]
    except Exception as err:  # noqa: BLE001 -- any decoder error means this file is unusable
        return None, [f"corrupt or truncated ({type(err).__name__}: {err})"]


def load_image_folder(path: str | Path, image_size: int, validation_fraction: float = 0.2,
                      seed: int = config.SEED, min_side: int = 32) -> tuple[Splits, FolderReport]:
    """Return ``(Splits, FolderReport)`` for a folder with one sub-folder of images per class.

    Every file is opened and fully decoded with PIL up front: corrupt, truncated, non-image and tiny
    (< ``min_side`` px) files are skipped; alpha, grayscale, CMYK and 16-bit images are converted to 8-bit
    RGB; classes with no usable image are dropped. All of it is listed in the report, and the kept images
    are resized (:func:`resize`) into memory, so an epoch cannot fail halfway. The validation split takes
    ``validation_fraction`` of each class (seeded); ``test`` is None.

    >>> splits, report = load_image_folder("my_photos", 64)
    >>> print(report)
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder. Give a folder with one sub-folder of images per class.")
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}.")
    report = FolderReport(root)
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    report.skipped += [(p, "not inside a class folder") for p in sorted(root.iterdir())
                       if p.is_file() and not p.name.startswith(".")]
    images, labels, class_names = [], [], []
    for class_dir in class_dirs:
        files = sorted(p for p in class_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
        kept = []
        for file in files:
            array, notes = _read_image(file, min_side)
            if array is None:
                report.skipped.append((file, notes[0]))
                continue
            report.converted += [(file, note) for note in notes]
            kept.append(resize_to_uint8(array, image_size).numpy())
        if not kept:
            report.dropped_classes.append((class_dir.name, "no usable images" if files else "empty folder"))
            continue
        images += kept
        labels += [len(class_names)] * len(kept)
        class_names.append(class_dir.name)
        report.counts[class_dir.name] = len(kept)
    if len(class_names) < 2:
        raise ValueError(f"{root} has {len(class_names)} class folder(s) with usable images; a classifier "
                         f"needs at least 2 (one sub-folder per class).\n{report}")

    rng = np.random.default_rng(seed)
    labels_array = np.asarray(labels, dtype=np.int64)
    train_idx, val_idx = [], []
    for label in range(len(class_names)):
        idx = rng.permutation(np.flatnonzero(labels_array == label))
        n_val = min(int(round(len(idx) * validation_fraction)), len(idx) - 1)
        val_idx += list(idx[:n_val])
        train_idx += list(idx[n_val:])
    images_array = np.stack(images)

    def _dataset(idx: list[int]) -> tf.data.Dataset:
        idx = rng.permutation(np.asarray(idx, dtype=np.int64))
        return tf.data.Dataset.from_tensor_slices((images_array[idx], labels_array[idx]))

    splits = Splits(_dataset(train_idx), _dataset(val_idx), None, class_names,
                    {"train": len(train_idx), "validation": len(val_idx)})
    return splits, report
