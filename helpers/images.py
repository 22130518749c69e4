"""Your own images: one decoder for every image file, and a folder loader that reports what it did.

``keras.utils.image_dataset_from_directory`` stops at the first broken file, naming none. Here every file is
decoded up front by :func:`decode_image` (the upload box uses the same function), converted to 8-bit RGB
where it can be, and the folder's :class:`FolderReport` says what was loaded, converted, skipped and why::

    splits, report = load_image_folder("my_photos", 64)    # one sub-folder per class
    print(report)
"""
from __future__ import annotations

import hashlib
import io
import tarfile
import textwrap
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from helpers import config, runtime, standins
from helpers.data import MEMORY_CACHE_LIMIT, Splits, resize_to_uint8
from helpers.errors import CourseValueError

STANDIN_FOLDER = standins.DATA_DIR / "own_images"
"""Notebook 10's folder offline: real flower photos plus broken and odd files, built by scripts/build_own_images.py."""
EXAMPLE_PHOTOS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
EXAMPLE_PHOTOS_SHA256 = "4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c"
"""tf_flowers' photos (3,670 JPEGs, 5 classes, 218 MB) as tfds downloads them (its checksums.tsv)."""

MAX_ENLARGEMENT = 4
"""An image is skipped as too small when the model would see it enlarged more than this on both sides."""
MAX_ASPECT = 3
"""Above this aspect ratio an image is kept but flagged: squeezed to a square, its content is distorted."""
ADVISED_PER_CLASS = 20
"""Fewer images per class than this are flagged: the validation and test accuracies move in big steps."""
IMBALANCE_RATIO = 2.0
"""Largest class / smallest class at which the report warns about class imbalance."""
SYSTEM_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini", "$RECYCLE.BIN", "System Volume Information"}
"""Folders and files that operating systems and archivers add; never images of yours (nor are hidden ones)."""
REPORT_WIDTH = 110
"""Characters per line of a printed :class:`FolderReport`: longer lines wrap between words, indented."""

_ORIENTATION = {2: "mirrored", 3: "rotated 180°", 4: "flipped upside down", 5: "rotated and mirrored",
                6: "rotated 90° clockwise", 7: "rotated and mirrored", 8: "rotated 90° anticlockwise"}
_FORMAT_HINTS = {b"ftypheic": "a HEIC photo (an iPhone's default format), which this decoder cannot read: "
                              "export it as JPEG (iPhone: Settings > Camera > Formats > Most Compatible)",
                 b"ftypmif1": "a HEIF image, which this decoder cannot read: export it as JPEG or PNG",
                 b"<svg": "a vector drawing (SVG), not a photo: export it as PNG",
                 b"%PDF": "a PDF document, not an image: export the page as PNG or JPEG"}


# ---------------------------------------------------------------------------------------------- decoding
def _unreadable_hint(data: bytes) -> str | None:
    """What a file PIL cannot identify probably is, when its first bytes say so."""
    head = data[:512]
    return next((hint for magic, hint in _FORMAT_HINTS.items() if magic in head), None)


_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def exif_orientation(img: Image.Image) -> int | None:
    """``img``'s EXIF orientation tag (1: show as stored; 2-8: turn or mirror it), or None if its EXIF is unreadable."""
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 -- broken EXIF data: the pixels are still fine
        return None


def _upright(img: Image.Image, rgb: Image.Image) -> tuple[Image.Image, list[str]]:
    """``rgb`` (the decoded ``img``) turned as ``img``'s EXIF orientation tag says, and a note if it was."""
    orientation = exif_orientation(img)
    if orientation is None:
        return rgb, ["EXIF data unreadable: orientation left as stored"]
    if orientation not in _TRANSPOSE:
        return rgb, []
    return rgb.transpose(_TRANSPOSE[orientation]), [
        f"{_ORIENTATION[orientation]} to stand upright (EXIF orientation {orientation})"]


def _to_rgb(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """``img`` as 8-bit RGB, and what was done to it (nothing is said for plain 8-bit RGB)."""
    mode, notes = img.mode, []
    transparency = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if mode.startswith("I") or mode == "F":  # 16-bit or 32-bit grayscale: scale, never clip
        values = np.asarray(img, dtype=np.float64)
        if mode == "F":
            scale = 1 / 255 if values.size and values.max() <= 1.0 else 1.0
        else:  # "I;16*" is 16-bit; "I" holds 16-bit values for PNG (older Pillow) and most TIFFs
            scale = 257.0 if mode.startswith("I;16") or img.format == "PNG" or values.max() > 255 else 1.0
        img = Image.fromarray(np.clip(values / scale, 0, 255).round().astype(np.uint8), "L")
        bits = "32-bit float" if mode == "F" else "16-bit" if scale > 1 else f"{mode} (32-bit)"
        notes.append(f"{bits} grayscale → 8-bit RGB")
    elif mode in ("L", "LA", "La"):
        notes.append("grayscale → RGB (three equal channels)")
    elif mode == "1":
        notes.append("black and white (1-bit) → RGB")
    elif mode in ("P", "PA"):
        notes.append("palette (P) → RGB")
    elif mode not in ("RGB", "RGBA", "RGBa", "RGBX"):
        notes.append(f"{mode} → RGB")
    if transparency:
        rgba = img.convert("RGBA")
        transparent = float(np.mean(np.asarray(rgba)[..., 3] < 255))
        if transparent:  # what is under a transparent pixel is arbitrary (often black): show white instead
            rgba = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            notes.append(f"transparent pixels ({max(transparent, 0.01):.0%}) composited on white")
        img = rgba
    return img.convert("RGB"), notes


def decode_image(source: bytes | str | Path, reduce_to: int | None = None) -> tuple[np.ndarray | None, list[str]]:
    """``(uint8 RGB array (H, W, 3), notes on what was converted)``, or ``(None, [why it is unusable])``.

    The one decoder of the course: the folder loader and the upload box both use it. It turns the image
    upright as its EXIF orientation says, scales 16-bit images to 8 bits, composites transparent pixels on
    white, converts grayscale, palette and CMYK to RGB and takes the first frame of an animation. It never
    raises on bad content: corrupt, truncated, empty and non-image files give ``None`` and one sentence.
    ``reduce_to`` lets large JPEGs decode at 1/2, 1/4 or 1/8 scale while both sides stay >= ``reduce_to``
    (PIL's draft mode: faster, but other pixels than a full decode resized, so only to check that a file
    decodes; what a model trains on or is served is decoded in full).

    >>> image, notes = decode_image("photo.jpg")
    >>> image.shape, notes
    ((3024, 4032, 3), ['rotated 90° clockwise to stand upright (EXIF orientation 6)'])
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as err:
            return None, [f"cannot be read ({err.strerror or type(err).__name__})"]
    if not data:
        return None, ["empty file (0 bytes)"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # big photos are fine
            with Image.open(io.BytesIO(data)) as img:
                frames = getattr(img, "n_frames", 1)
                if reduce_to and img.format == "JPEG":
                    img.draft(None, (reduce_to, reduce_to))
                img.load()  # decodes the whole file: truncated data fails here, not in the middle of an epoch
                rgb, converted = _to_rgb(img)
                rgb, notes = _upright(img, rgb)
                if frames > 1 and img.format != "MPO":  # MPO: a phone's main picture plus a preview
                    notes.append(f"{frames} frames ({img.format}): the first one used")
                return np.asarray(rgb, dtype=np.uint8), notes + converted
    except UnidentifiedImageError:
        return None, [_unreadable_hint(data) or "not an image (PIL cannot identify the file)"]
    except Image.DecompressionBombError as err:
        return None, [f"too large to decode safely ({err})"]
    except Exception as err:  # noqa: BLE001 -- any decoder error means this file is unusable
        return None, [f"corrupt or truncated ({type(err).__name__}: {err})"]


# ---------------------------------------------------------------------------------------------- the report
@dataclass
class FolderReport:
    """What :func:`load_image_folder` kept, converted, skipped and ignored, and why. ``print(report)`` to read it."""

    path: Path
    image_size: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """``{class: {"train": n, "validation": n, "test": n}}`` for every class kept."""
    files: dict[str, list[Path]] = field(default_factory=dict)
    """``{split: [file, ...]}`` in the order of that split's dataset: the originals behind every example."""
    converted: list[tuple[Path, str]] = field(default_factory=list)
    """``(file, what was done to it)``: one row per file, its conversions joined by "; "."""
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    dropped_classes: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """``(file or class, message)``: kept, but worth a look (distorted images, few images, imbalance)."""
    ignored: list[Path] = field(default_factory=list)
    """Hidden and system files and folders (``.DS_Store``, ``__MACOSX``, ``.ipynb_checkpoints``...)."""
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many images were kept, over all classes and splits."""
        return sum(sum(c.values()) for c in self.counts.values())

    def __str__(self) -> str:
        splits = list(next(iter(self.counts.values()), {}))
        lines = [_wrap(f"{self.path}: {self.total} images in {len(self.counts)} classes, resized to "
                       f"{self.image_size}×{self.image_size} px for the model", "  ")]
        lines += [_wrap(f"  {note}", "    ") for note in self.notes]
        if self.counts:
            width = max(len("class"), *(len(c) for c in self.counts))
            lines.append(f"  {'class':<{width}}  images" + "".join(f"  {s:>5}" for s in splits))
            for name, per_split in self.counts.items():
                lines.append(f"  {name:<{width}}  {sum(per_split.values()):>6}"
                             + "".join(f"  {per_split[s]:>{max(5, len(s))}}" for s in splits))
        sections = (("Converted", self.converted), ("Skipped", self.skipped),
                    ("Dropped classes", self.dropped_classes), ("Check", self.warnings))
        for title, rows in sections:
            if rows:
                lines.append(f"{title} ({len(rows)}):")
                lines += [_wrap(f"  - {self._short(item)}: {why}", "      ") for item, why in rows]
        if self.ignored:
            shown = ", ".join(self._short(p) + ("/" if p.is_dir() else "") for p in self.ignored[:6])
            more = f" and {len(self.ignored) - 6} more" if len(self.ignored) > 6 else ""
            lines.append(_wrap(f"Ignored ({len(self.ignored)} hidden or system files and folders): {shown}{more}",
                               "  "))
        return "\n".join(lines)

    def _short(self, item: Path | str) -> str:
        if isinstance(item, Path) and item.is_relative_to(self.path):
            return item.relative_to(self.path).as_posix()
        return str(item)


def _wrap(line: str, indent: str) -> str:
    """``line`` wrapped between words at :data:`REPORT_WIDTH` characters, later lines indented by ``indent``."""
    return "\n".join(textwrap.wrap(line, REPORT_WIDTH, subsequent_indent=indent, break_long_words=False,
                                   break_on_hyphens=False)) or line


# ---------------------------------------------------------------------------------------------- the folder
def _hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name in SYSTEM_NAMES


def _walk(folder: Path, ignored: list[Path]) -> list[Path]:
    """Every visible file under ``folder``, sorted; hidden and system files and folders go to ``ignored``."""
    found = []
    for child in sorted(folder.iterdir()):
        if _hidden(child):
            ignored.append(child)
        elif child.is_dir():
            found += _walk(child, ignored)
        elif child.is_file():
            found.append(child)
    return found


def _class_root(root: Path, report: FolderReport) -> Path:
    """``root``, or the folder inside it that holds the class folders (an unpacked archive's wrapper folder)."""
    while True:
        visible = [p for p in root.iterdir() if not _hidden(p) and p.name != standins.MARKER]
        subfolders = [p for p in visible if p.is_dir()]
        if len(visible) != 1 or not subfolders or not any(p.is_dir() for p in subfolders[0].iterdir()):
            return root
        root = subfolders[0]
        report.notes.append(f"the class folders are inside {root.name}/: using that folder")


def _size_problem(shape: tuple[int, ...], size: int) -> tuple[str, str] | None:
    """``("skip" | "check", message)`` when the model would see this image badly, judged at ``size`` px."""
    h, w = shape[:2]
    if max(h, w) * MAX_ENLARGEMENT < size:
        return "skip", (f"too small: {w}×{h} px would be enlarged more than {MAX_ENLARGEMENT}× to the model's "
                        f"{size}×{size} px")
    if max(h, w) / min(h, w) > MAX_ASPECT:
        return "check", (f"{w}×{h} px, squeezed to {size}×{size} px its content is distorted "
                         f"{max(h, w) / min(h, w):.0f}:1: crop it, or remove it if it is not a real example")
    return None


def _fraction(name: str, value: object) -> float:
    """``value`` as a float, or a course error naming ``name`` when it is not a number (a string, None...)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CourseValueError(f"load_image_folder: {name} is a number between 0 and 1, e.g. {name}=0.2 (no "
                               f"quotes); got {value!r}.")
    return float(value)


def _check_arguments(root: Path, image_size: int, validation_fraction: object, test_fraction: object) -> None:
    if root.is_file() and root.suffix.lower() in (".zip", ".tar", ".tgz", ".gz"):
        raise CourseValueError(f"{root} is an archive: unpack it first, e.g. folder = unpack_archive({str(root)!r}).")
    if not root.is_dir():
        raise CourseValueError(f"{root} is not a folder. Give a folder with one sub-folder of images per class.")
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 8:
        raise CourseValueError(f"image_size must be a whole number of pixels (at least 8), e.g. cfg.image_size; "
                               f"got {image_size!r}.")
    validation_fraction = _fraction("validation_fraction", validation_fraction)
    test_fraction = _fraction("test_fraction", test_fraction)
    if not 0 < validation_fraction < 1:
        raise CourseValueError(f"validation_fraction must be between 0 and 1, e.g. 0.2; got {validation_fraction}. "
                               "Training needs validation images to pick its epochs (early stopping, checkpoints).")
    if not 0 <= test_fraction < 1 or validation_fraction + test_fraction >= 1:
        raise CourseValueError(f"test_fraction must be at least 0 and leave images for training, e.g. 0.2; got "
                               f"test_fraction={test_fraction} with validation_fraction={validation_fraction}.")


def _split(groups: list[object], fractions: dict[str, float], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``{split: example indices}``: a seeded permutation of the distinct ``groups`` (one per example), cut so that
    every split with a fraction gets at least one group and about its fraction of the examples, and no group is
    in two splits. With one group per example this is a permutation of the examples cut by count."""
    members: dict[object, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    keys = list(members)
    order = [keys[i] for i in rng.permutation(len(keys))]
    cuts, start = {}, 0
    for index, (name, fraction) in enumerate(fractions.items()):
        still_to_cut = len(fractions) - index - 1  # training keeps one group, later splits one each
        most, target, taken = len(order) - start - 1 - still_to_cut, max(1, round(len(groups) * fraction)), 0
        end = start
        while end < start + most and (end == start or taken < target):
            taken, end = taken + len(members[order[end]]), end + 1
        cuts[name], start = order[start:end], end
    indices = {name: np.array([i for key in keys_ for i in members[key]], dtype=int)
               for name, keys_ in {"train": order[start:], **cuts}.items()}
    return indices


def _collect(root: Path, image_size: int, report: FolderReport) -> dict[str, list[tuple[np.ndarray, Path]]]:
    """``{class: [(resized image, file), ...]}`` for every class folder of ``root``; the rest goes to ``report``."""
    seen: dict[bytes, tuple[Path, str]] = {}  # pixels -> the first file that had them, and its class
    ambiguous: list[tuple[Path, str]] = []
    examples: dict[str, list[tuple[np.ndarray, Path]]] = {}
    for child in sorted(root.iterdir()):
        if _hidden(child):
            report.ignored.append(child)
        elif child.is_file() and child.name != standins.MARKER:
            report.skipped.append((child, "not inside a class folder"))
        elif child.is_dir():
            files, examples[child.name] = _walk(child, report.ignored), []
            for file in files:
                image, notes = decode_image(file)  # in full, as the exported model's input is: the same pixels
                problem = ("skip", notes[0]) if image is None else _size_problem(image.shape, image_size)
                if problem and problem[0] == "skip":
                    report.skipped.append((file, problem[1]))
                    continue
                key = hashlib.sha1(image.tobytes() + str(image.shape).encode()).digest()
                if key in seen:
                    first, first_class = seen[key]
                    if first_class == child.name:
                        report.skipped.append((file, f"duplicate of {report._short(first)} (same pixels)"))
                    else:  # one of the two labels is wrong: train on neither
                        ambiguous.append((first, first_class))
                        report.skipped += [(a, f"the same picture as {report._short(b)}, in another class: both "
                                               "left out until you decide its label") for a, b in ((file, first),
                                                                                                   (first, file))]
                    continue
                seen[key] = (file, child.name)
                if notes:
                    report.converted.append((file, "; ".join(notes)))
                if problem:
                    report.warnings.append((file, problem[1]))
                examples[child.name].append((resize_to_uint8(image, image_size).numpy(), file))
            if not files:
                report.dropped_classes.append((child.name, "empty folder"))
    for first, first_class in ambiguous:
        examples[first_class] = [e for e in examples[first_class] if e[1] != first]
    report.skipped.sort(key=lambda row: report._short(row[0]))
    return examples


def _warn_about_sizes(sizes: dict[str, int], report: FolderReport) -> None:
    """Flag classes with few images, and class imbalance, in ``report.warnings``."""
    for name, n in sizes.items():
        if n < ADVISED_PER_CLASS:
            report.warnings.append((name, f"only {n} images: with under {ADVISED_PER_CLASS} per class, validation "
                                          "and test accuracy move in big steps; collect more"))
    big, small = max(sizes, key=sizes.get), min(sizes, key=sizes.get)
    if sizes[big] >= IMBALANCE_RATIO * sizes[small]:
        report.warnings.append(("class imbalance", f"{big} has {sizes[big]} images, {small} {sizes[small]} "
                                f"({sizes[big] / sizes[small]:.1f}:1): accuracy favours the big classes, so read "
                                "the per-class report too"))


def load_image_folder(path: str | Path, image_size: int, validation_fraction: float = 0.2,
                      test_fraction: float = 0.2, seed: int = config.SEED,
                      mirror_safe: bool | None = None,
                      group_by: Callable[[Path], object] | None = None) -> tuple[Splits, FolderReport]:
    """Return ``(Splits, FolderReport)`` for a folder with one sub-folder of images per class.

    Every file is decoded up front with :func:`decode_image`: unusable files are skipped, odd ones converted,
    exact duplicates (same pixels) skipped, hidden and system files ignored at any depth, and images the
    model would see badly at ``image_size`` skipped (tiny) or flagged (distorted). A class needs at least one
    image per split, or it is dropped. Each class is split on its own (stratified, seeded by ``seed`` and the
    class name) into train / validation / test (``test`` is None when ``test_fraction=0``); the kept images
    are resized into memory, so an epoch cannot fail halfway. ``mirror_safe`` (default: True, except for the
    course's stand-in folder of glyphs) says whether random flips keep a class.

    Only identical pixels are caught as duplicates: a re-saved, cropped or resized copy, or the next shot of a
    burst, is another image to the loader and can land in another split. ``group_by`` (a function of the file's
    path) keeps every group whole: files with the same value go to the same split (a class then needs a group
    per split, and the fractions are met as closely as whole groups allow).

    >>> splits, report = load_image_folder("my_photos", 64)
    >>> print(report)
    >>> by_session = load_image_folder("my_photos", 64, group_by=lambda file: file.stem.split("_")[0])
    """
    if not isinstance(path, (str, Path)):
        raise CourseValueError(f"load_image_folder takes the folder's path (a string or a Path), e.g. IMAGE_FOLDER; "
                               f"got a {type(path).__name__}.")
    if group_by is not None and not callable(group_by):
        raise CourseValueError(f"load_image_folder: group_by is a function from a file's path to its group, e.g. "
                               f"group_by=lambda file: file.stem.split('_')[0]; got a {type(group_by).__name__}.")
    root = Path(path)
    _check_arguments(root, image_size, validation_fraction, test_fraction)
    report = FolderReport(root, int(image_size))
    if standins.is_standin(root):
        report.notes.append(f"STAND-IN: not photos, glyph images made by the course ({standins.MARKER})")
    examples = _collect(_class_root(root, report), int(image_size), report)

    fractions = {"validation": validation_fraction, **({"test": test_fraction} if test_fraction else {})}
    needed = 1 + len(fractions)
    groups = {name: [group_by(file) if group_by else file for _, file in kept] for name, kept in examples.items()}
    for name, kept in list(examples.items()):
        if group_by and len(kept) >= needed > len(set(groups[name])):
            report.dropped_classes.append((name, f"its {len(kept)} images form only {len(set(groups[name]))} group(s) "
                                                 f"(group_by): a class needs at least {needed}, one per split"))
            del examples[name]
        elif len(kept) < needed:
            uses = ", ".join(["training", *fractions][:-1]) + f" and {[*fractions][-1]}"
            if kept:
                report.dropped_classes.append((name, f"only {len(kept)} usable image{'' if len(kept) == 1 else 's'}:"
                                                     f" a class needs at least {needed}, one each for {uses}"))
            elif all(n != name for n, _ in report.dropped_classes):  # not already dropped as an empty folder
                report.dropped_classes.append((name, "none of its files is usable (see Skipped)"))
            del examples[name]
    if len(examples) < 2:
        raise CourseValueError(f"{root} has {len(examples)} class folder(s) with enough usable images; a classifier "
                               f"needs at least 2 (one sub-folder of images per class).\n{report}")
    _warn_about_sizes({name: len(kept) for name, kept in examples.items()}, report)

    rows: dict[str, list[tuple[np.ndarray, Path, int]]] = {"train": [], **{s: [] for s in fractions}}
    for label, name in enumerate(examples):
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])  # a class's split: its files + the seed
        cut = _split(groups[name], fractions, rng)
        report.counts[name] = {s: len(cut[s]) for s in rows}
        for s in rows:
            rows[s] += [(*examples[name][i], label) for i in cut[s]]
    rng = np.random.default_rng(seed)
    datasets = {}
    for s in rows:
        rows[s] = [rows[s][i] for i in rng.permutation(len(rows[s]))]  # classes mixed within each split
        report.files[s] = [file for _, file, _ in rows[s]]
        datasets[s] = tf.data.Dataset.from_tensor_slices(
            (np.stack([image for image, _, _ in rows[s]]), np.asarray([label for *_, label in rows[s]], np.int64)))
    if mirror_safe is None:
        mirror_safe = not standins.is_standin(root)  # the stand-in's glyphs: a mirrored 6 is no 6
    splits = Splits(datasets["train"], datasets["validation"], datasets.get("test"), list(examples),
                    {s: len(r) for s, r in rows.items()}, mirror_safe=mirror_safe)
    return splits, report


# ---------------------------------------------------------------------------------------------- where from
def unpack_archive(archive: str | Path, destination: str | Path | None = None) -> Path:
    """Unpack a .zip or .tar(.gz) of your image folder next to it (or into ``destination``); return that folder.

    Paths that would escape the folder are refused. Pass the result to :func:`load_image_folder`, which
    looks inside a single wrapper folder and ignores ``__MACOSX``.
    """
    archive = Path(archive)
    target = Path(destination) if destination else archive.with_name(archive.name.split(".")[0])
    target.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            bad = [n for n in z.namelist() if Path(n).is_absolute() or ".." in Path(n).parts]
            if bad:
                raise CourseValueError(f"{archive} has paths outside its folder ({bad[0]}); refusing to unpack it.")
            z.extractall(target)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            t.extractall(target, filter="data")  # refuses absolute paths, links out of the folder, devices
    else:
        raise CourseValueError(f"{archive} is not a .zip or .tar archive. Zip your folder of class folders and "
                               "upload that.")
    return target


def example_folder(profile: config.Profile | None = None) -> Path:
    """The folder notebook 10 starts from: the stand-in offline, tf_flowers' photos in the real profiles.

    The photos (218 MB) are downloaded and unpacked once with ``keras.utils.get_file`` into Keras's cache
    (``KERAS_HOME``, so ``make prefetch`` and ``COURSE_ASSETS`` cover them).
    """
    import keras

    profile = profile or config.resolve_profile().profile
    if not profile.real_assets:
        return STANDIN_FOLDER
    unpacked = runtime.keras_cache_dir().parent / "datasets" / "flower_photos" / "flower_photos"
    if unpacked.is_dir():
        return unpacked
    try:
        with runtime.bounded_keras_downloads("the example photos"):  # 2 s, not a hang, on a silent network
            folder = keras.utils.get_file("flower_photos", EXAMPLE_PHOTOS_URL, extract=True,
                                          file_hash=EXAMPLE_PHOTOS_SHA256)
    except runtime.AssetUnavailableError:
        raise
    except Exception as err:  # noqa: BLE001 -- Keras raises a bare Exception for a failed download
        raise ConnectionError(
            f"Could not download the example photos ({EXAMPLE_PHOTOS_URL}): {str(err).splitlines()[0][:200]}\n"
            "No network? Run `make prefetch` where there is internet (docs/instructor-guide.md), point "
            "IMAGE_FOLDER at a folder of your own, or set COURSE_PROFILE=offline to use the stand-in.") from None
    return Path(folder) / "flower_photos"


def checkpoint_folder(name: str) -> Path:
    """Where ``training_callbacks`` should write on this machine: ``results/checkpoints/<name>``.

    ``COURSE_RESULTS_DIR`` moves ``results/`` (as for the exercises). In Colab, use a Google Drive folder
    instead: the runtime's own disk is wiped when it disconnects.
    """
    return config.results_dir() / "checkpoints" / name


def pipeline_cache(name: str, images: int, image_size: int) -> bool | str:
    """``make_pipeline``'s ``cache=`` for ``images`` resized to ``image_size``: True (in memory) when they fit.

    Resized uint8 images take ``images × image_size² × 3`` bytes; above :data:`helpers.data.MEMORY_CACHE_LIMIT`
    they are cached to a file instead (notebook 11), ``results/cache/<name>-<image_size>px`` (the folder is made):
    read back every epoch, not decoded again. Give each split its own ``name`` (dataset, profile, split). A run
    stopped during the first epoch leaves ``<file>.lockfile``, which TensorFlow refuses later: delete it.

    >>> pipeline_cache("cats_vs_dogs-full-train", 18_610, 224)   # 2.6 GB (1024**3 bytes, as the limit): to a file
    '.../results/cache/cats_vs_dogs-full-train-224px'
    """
    if images * image_size * image_size * 3 <= MEMORY_CACHE_LIMIT:
        return True
    folder = config.results_dir() / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}-{image_size}px")


# ---------------------------------------------------------------------------------------------- test photos
def make_test_photos(folder: str | Path, n: int, width: int = 500, height: int = 375, seed: int = 0,
                     quality: int = 90) -> list[Path]:
    """Write ``n`` photo-sized textured JPEGs (about 65 kB each at 500x375) into ``folder``; return their paths.

    Smooth colour fields, waves and grain: decoding them costs what decoding a photo of that size costs (flat
    synthetic images compress to almost nothing and decode too fast). For timing only; they show nothing.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    paths = []
    for i in range(n):
        low = rng.uniform(0, 255, (6, 8, 3)).astype(np.uint8)
        base = np.asarray(Image.fromarray(low).resize((width, height), Image.Resampling.BICUBIC), np.float32)
        freq, angle = rng.uniform(0.02, 0.15, 3), rng.uniform(0, np.pi, 3)
        waves = sum(20 * np.sin(f * (xx * np.cos(a) + yy * np.sin(a)) + a) for f, a in zip(freq, angle))
        pixels = np.clip(base + waves[..., None] + rng.normal(0, 10, (height, width, 3)), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
        paths.append(folder / f"photo_{i:04d}.jpg")
        paths[-1].write_bytes(buffer.getvalue())
    return paths
