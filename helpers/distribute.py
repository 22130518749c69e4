"""Plumbing for notebook 11 (scale up): devices for ``tf.distribute`` and TFRecord shards of an image folder.

The lesson's calls (the strategy, ``strategy.scope()``, building and compiling there, the ``tf.data`` pipeline)
stay in the notebook; this module only prepares devices and files::

    devices = split_cpu_if_no_gpu(2)                 # right after the setup cell, before anything else runs
    strategy = tf.distribute.MirroredStrategy(devices)
    records = write_image_records("my_photos", "my_records", shards=4)
    examples = tf.data.TFRecordDataset(records.files).map(parse_image_record)
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence

import numpy as np
import tensorflow as tf
from PIL import Image

RECORD_FORMATS = {b"\xff\xd8\xff": "JPEG", b"\x89PNG": "PNG", b"GIF8": "GIF", b"BM": "BMP"}
"""First bytes of the formats ``tf.io.decode_image`` reads: the only files worth storing in a record."""
UPRIGHT_QUALITY = 95
"""JPEG quality of a photo stored upright (its EXIF tag turned it): measured on a 12-MP photo-like JPEG, the copy
is 1.3x the original's size and differs from it by at most 2 levels once resized to 224 px."""
ALREADY_STARTED = ("TensorFlow has already started in this kernel, so its CPU can no longer be split into "
                   "devices: restart the kernel (Kernel > Restart Kernel) and run the notebook from the top.")


class RuntimeAlreadyStarted(RuntimeError):
    """The CPU could not be split: TensorFlow's runtime was initialised before :func:`split_cpu_if_no_gpu`."""


# ---------------------------------------------------------------------------------------------- devices
def split_cpu_if_no_gpu(replicas: int = 2) -> list[str]:
    """Return the device names for ``MirroredStrategy``: every GPU, or else the CPU split into ``replicas``.

    Without a GPU the CPU becomes ``replicas`` logical devices (``tf.config.set_logical_device_configuration``),
    on which ``MirroredStrategy`` runs the same multi-device code as on GPUs (not faster: they share the cores;
    gradients summed by a ring all-reduce rather than NCCL). It must run before TensorFlow's runtime starts
    (before the first tensor, model or dataset); running it again later with the same split is harmless. With
    GPUs nothing is changed: one GPU (e.g. Colab's T4) gives one replica. Prints one line saying which it is.
    Also quiets TensorFlow's Python INFO lines (in Jupyter TensorFlow logs at INFO, and ``MirroredStrategy``
    logs a line for every new all-reduce).
    """
    tf.get_logger().setLevel("WARNING")
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [f"/gpu:{i}" for i in range(len(gpus))]
        print(f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: {len(gpus)} replica{'s' if len(gpus) > 1 else ''}"
              + (" (one GPU, one replica: the same code, nothing to split)" if len(gpus) == 1 else ""))
        return names
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != replicas:
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)])
        except RuntimeError:  # "Virtual devices cannot be modified after being initialized"
            _stop(ALREADY_STARTED)
    print(f"No GPU: the CPU is split into {replicas} logical devices, {replicas} replicas "
          "(the same code path as that many GPUs; not faster: they share the same cores)")
    return [f"/cpu:{i}" for i in range(replicas)]


def _stop(message: str) -> None:
    """Raise ``message``: as one line without a traceback in a notebook, as :class:`RuntimeAlreadyStarted` elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.core.error import UsageError
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        raise UsageError(message) from None
    raise RuntimeAlreadyStarted(message) from None


# ---------------------------------------------------------------------------------------------- records
@dataclass
class ImageRecords:
    """What :func:`write_image_records` wrote: the shard files, the classes, counts, turned and skipped files."""

    files: list[Path]
    class_names: list[str]
    counts: dict[str, int]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    turned: list[tuple[Path, str]] = field(default_factory=list)
    """Photos whose EXIF orientation tag turns them: stored upright, re-encoded (``tf.io`` ignores the tag)."""

    @property
    def total(self) -> int:
        """How many images the shards hold."""
        return sum(self.counts.values())

    def __str__(self) -> str:
        size = sum(f.stat().st_size for f in self.files)
        lines = [f"{self.total} images of {len(self.class_names)} classes in {len(self.files)} shards "
                 f"({size / 1e6:.1f} MB): " + ", ".join(f"{c} {n}" for c, n in self.counts.items())]
        lines += [f"  stored upright {path.name}: {how}" for path, how in self.turned]
        lines += [f"  skipped {path.name}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


def _bytes_feature(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _unusable(data: bytes) -> str | None:
    """Why ``data`` cannot go into a record (one sentence), or None when ``tf.io.decode_image`` can read it."""
    from helpers.images import decode_image  # the course's one decoder: the same words for a broken file

    image, notes = decode_image(data, reduce_to=8)
    if image is None:
        return notes[0]
    if not any(data.startswith(magic) for magic in RECORD_FORMATS):
        return "not a JPEG, PNG, GIF or BMP file, which tf.io.decode_image cannot read: convert it to JPEG"
    return None


def _upright(data: bytes) -> tuple[bytes, str | None]:
    """``(data, None)``, or, for a photo its EXIF orientation tag turns, ``(the upright photo as JPEG, what was done)``.

    ``tf.io.decode_image`` ignores the tag, so a phone's portrait photo (stored landscape, tagged "turn 90°")
    would train sideways; the course's decoder turns it as notebook 10's loader and the upload box do.
    """
    from helpers.images import decode_image, exif_orientation

    with Image.open(io.BytesIO(data)) as img:
        if exif_orientation(img) not in range(2, 9):
            return data, None
    upright, notes = decode_image(data)
    buffer = io.BytesIO()
    Image.fromarray(upright).save(buffer, "JPEG", quality=UPRIGHT_QUALITY)  # no EXIF: nothing turns it again
    return buffer.getvalue(), f"{notes[0]}, re-encoded as JPEG (quality {UPRIGHT_QUALITY})"


def write_image_records(folder: str | Path, destination: str | Path, shards: int = 4,
                        seed: int = 42, class_names: Sequence[str] | None = None) -> ImageRecords:
    """Write a folder of class sub-folders as ``shards`` TFRecord files; return what was written.

    Each record holds the file's original bytes (no re-encoding: lossless, and as small as the JPEGs; except
    a photo whose EXIF orientation tag turns it, which is stored upright as a JPEG, listed in ``turned``), its
    label (the class folder's index in ``class_names``: give the names your model learned, in its order, so
    that the labels mean what its outputs mean; default: the folders in sorted order) and its path inside
    ``folder``. Files are shuffled
    (seeded) before they are dealt to the shards, so every shard mixes the classes. Files that
    ``tf.io.decode_image`` could not read (other formats, truncated or empty files) are skipped and listed.
    The class names are also written to ``destination/classes.txt``.

    >>> records = write_image_records("my_photos", "my_records", shards=4, class_names=splits.class_names)
    >>> print(records)
    """
    root, out = Path(folder), Path(destination)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder. Give a folder with one sub-folder of images per class.")
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a whole number of files, at least 1 (e.g. 4); got {shards!r}.")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise ValueError(f"{root} has no class sub-folders. Put the images of each class in a folder of its own.")
    if class_names is None:
        class_names = folders
    elif isinstance(class_names, str) or sorted(class_names) != folders:
        raise ValueError(f"class_names must name {root}'s class folders, each once (in the order your model "
                         f"learned them, e.g. splits.class_names); the folders are {folders}, got {class_names!r}.")
    class_names = list(class_names)
    examples, skipped, turned = [], [], []
    for label, name in enumerate(class_names):
        for path in sorted(p for p in (root / name).rglob("*") if p.is_file() and not p.name.startswith(".")):
            data = path.read_bytes()
            why = _unusable(data)
            if why:
                skipped.append((path, why))
                continue
            data, how = _upright(data)
            if how:
                turned.append((path, how))
            examples.append((data, label, path.relative_to(root).as_posix()))
    if not examples:
        raise ValueError(f"No readable image in {root}'s class folders.\n" + "\n".join(
            f"  {p.relative_to(root)}: {why}" for p, why in skipped))
    out.mkdir(parents=True, exist_ok=True)
    files = [out / f"images-{i:05d}-of-{shards:05d}.tfrecord" for i in range(shards)]
    order = np.random.default_rng(seed).permutation(len(examples))
    writers = [tf.io.TFRecordWriter(str(f)) for f in files]
    try:
        for position, index in enumerate(order):
            data, label, relative = examples[index]
            features = {"image": _bytes_feature(data), "filename": _bytes_feature(relative.encode()),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label]))}
            record = tf.train.Example(features=tf.train.Features(feature=features))
            writers[position % shards].write(record.SerializeToString())
    finally:
        for writer in writers:
            writer.close()
    (out / "classes.txt").write_text("\n".join(class_names) + "\n", encoding="utf8")
    counts = {name: sum(1 for _, label, _ in examples if label == i) for i, name in enumerate(class_names)}
    return ImageRecords(files, class_names, counts, skipped, turned)


RECORD_FEATURES = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64),
                   "filename": tf.io.FixedLenFeature([], tf.string)}
"""The layout of one record written by :func:`write_image_records`."""


def parse_image_record(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
    """Return ``{"image": encoded bytes, "label": int64, "filename": path}`` from one serialized record."""
    return tf.io.parse_single_example(serialized, RECORD_FEATURES)


def decode_and_resize(encoded: tf.Tensor, image_size: int) -> tf.Tensor:
    """Return a JPEG/PNG/GIF/BMP file's bytes decoded to RGB and resized as the course does (uint8, square).

    JPEGs are decoded with the accurate DCT, as PIL (notebook 10's loader) does: ``tf.io.decode_image``'s default
    fast one gives pixels up to 3 levels apart at 224 px, for no measurable speed gain.
    """
    from helpers.data import resize_to_uint8

    image = tf.cond(tf.io.is_jpeg(encoded),
                    lambda: tf.io.decode_jpeg(encoded, channels=3, dct_method="INTEGER_ACCURATE"),
                    lambda: tf.io.decode_image(encoded, channels=3, expand_animations=False))
    return resize_to_uint8(image, image_size)
