"""Build data/'s real assets from genuine files: flower photos and Keras's ImageNet MobileNetV2 weights.

    python -m scripts.build_real_assets                    # reads ../shared/real-assets beside the repository
    python -m scripts.build_real_assets --source FOLDER    # any folder with the same layout

FOLDER holds ``flower_photos/<class>/*.jpg`` (photos of TensorFlow's ``flower_photos``, the set tfds ``tf_flowers``
is built from) with the set's ``flower_photos/LICENSE.txt`` (one CC-BY 2.0 attribution line per photo),
``keras-models/`` (the ``..._no_top.h5`` files ``keras.applications`` downloads) and ``SHA256SUMS``; every file used
is checked against it first. It writes, replacing what was there:

* ``data/tfds/flower_photos_small/1.0.0`` (tf_flowers offline) and ``data/tfds/flower_pair/1.0.0`` (cats_vs_dogs
  offline: roses vs tulips), prepared tfds datasets of the photos downscaled to :data:`LONG_SIDE` px, each example
  keeping its original file name (``image/filename``);
* ``data/flower_photos.LICENSE.txt``: the attribution line of every photo shipped;
* ``data/models/mobilenet_v2_imagenet/``: the alpha-0.35 weights file, byte for byte, and the same network
  exported as a TF Hub SavedModel (``feature_vector/``);
* ``data/own_images/`` (notebook 10's folder, :mod:`scripts.build_own_images`) and ``data/SHA256SUMS``.

The same source gives the same bytes (for the same Pillow, TensorFlow and tfds versions). See data/README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import time
from pathlib import Path

from PIL import Image, ImageOps

from helpers import standins
from helpers.catalogue import DATASETS, MODELS
from scripts import build_own_images
from scripts.build_offline_assets import _input_layer, export_hub, write_checksums, write_tfds

DEFAULT_SOURCE = standins.REPO_ROOT.parent / "shared" / "real-assets"
LONG_SIDE = 160
"""The shipped photos' longest side in px (the originals: 240-1,024, median 320); the offline profile trains at 64."""
JPEG_QUALITY = 85
PER_CLASS = {"train": 100, "validation": 40}
"""Photos per class in train and validation; test takes the rest of the class (about 60)."""
SPLIT_SEED = 2026
CITATION = ("@ONLINE {tfflowers,\n  author = \"The TensorFlow Team\",\n  title = \"Flowers\",\n  month = \"jan\",\n"
            "  year = \"2019\",\n  url = \"http://download.tensorflow.org/example_images/flower_photos.tgz\" }")
HOMEPAGE = "https://www.tensorflow.org/datasets/catalog/tf_flowers"
LICENSE_FILE = standins.DATA_DIR / "flower_photos.LICENSE.txt"


def verified(source: Path, relative: str, sums: dict[str, str]) -> bytes:
    """The bytes of ``source/relative``, after checking them against the source's SHA256SUMS."""
    content = (source / relative).read_bytes()
    if sums.get(relative) != hashlib.sha256(content).hexdigest():
        raise SystemExit(f"{source / relative}: missing from {source}/SHA256SUMS or not the file it lists.")
    return content


def read_sums(source: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from ``source/SHA256SUMS``."""
    lines = (source / "SHA256SUMS").read_text(encoding="utf8").splitlines()
    return {rel.lstrip("*"): digest for digest, rel in (line.split(maxsplit=1) for line in lines if line.strip())}


def downscale(original: bytes) -> bytes:
    """A photo as JPEG with its longest side at most :data:`LONG_SIDE` px (EXIF rotation applied, RGB)."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(original))).convert("RGB")
    scale = LONG_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def photos(source: Path, sums: dict[str, str]) -> tuple[dict[str, dict[str, bytes]], list[str]]:
    """``({class: {file name: downscaled JPEG}}, [dropped duplicates])``: byte-identical copies keep the first name."""
    seen: dict[str, str] = {}
    out: dict[str, dict[str, bytes]] = {}
    dropped = []
    for folder in sorted(p for p in (source / "flower_photos").iterdir() if p.is_dir()):
        out[folder.name] = {}
        for file in sorted(folder.glob("*.jpg")):
            relative = f"flower_photos/{folder.name}/{file.name}"
            original = verified(source, relative, sums)
            digest = hashlib.sha256(original).hexdigest()
            if digest in seen:
                dropped.append(f"{folder.name}/{file.name} (= {seen[digest]})")
                continue
            seen[digest] = f"{folder.name}/{file.name}"
            out[folder.name][file.name] = downscale(original)
    return out, dropped


def assign_splits(names: list[str], class_name: str) -> dict[str, list[str]]:
    """A seeded shuffle of one class's file names cut into train / validation / test (:data:`PER_CLASS`)."""
    order = sorted(names)
    random.Random(f"{SPLIT_SEED}-{class_name}").shuffle(order)
    train, validation = PER_CLASS["train"], PER_CLASS["validation"]
    return {"train": order[:train], "validation": order[train:train + validation], "test": order[train + validation:]}


def write_datasets(images: dict[str, dict[str, bytes]], data_dir: Path) -> dict[str, dict[str, int]]:
    """Write the offline tfds dataset of every catalogue dataset; return their split sizes."""
    splits = {c: assign_splits(list(files), c) for c, files in images.items()}
    sizes = {}
    for spec in DATASETS.values():
        classes = list(spec.offline_classes)
        examples = {split: [{"image": images[c][f], "label": label, "image/filename": f"{c}/{f}"}
                            for label, c in enumerate(classes) for f in sorted(splits[c][split])]
                    for split in ("train", "validation", "test")}
        for split, rows in examples.items():  # interleave the classes, as a shuffled download would be
            random.Random(f"{SPLIT_SEED}-{spec.offline}-{split}").shuffle(rows)
        description = (f"REAL photos, not a stand-in: {sum(map(len, examples.values()))} photos of TensorFlow's "
                       f"flower_photos (the set tfds tf_flowers is built from), classes {', '.join(classes)}, "
                       f"downscaled to at most {LONG_SIDE} px by scripts/build_real_assets.py; the course's offline "
                       f"form of tfds '{spec.name}'. CC-BY 2.0: see data/flower_photos.LICENSE.txt.")
        write_tfds(spec.offline, classes, examples, description, data_dir, image_shape=(None, None, 3),
                   filenames=True, citation=CITATION, homepage=HOMEPAGE)
        sizes[spec.offline] = {s: len(rows) for s, rows in examples.items()}
    return sizes


def write_licence(source: Path, sums: dict[str, str], shipped: list[str], target: Path) -> None:
    """The set's licence header and the attribution line of every shipped photo (``class/file`` names)."""
    text = verified(source, "flower_photos/LICENSE.txt", sums).decode("utf8")
    header, _, body = text.partition("\n\n")
    lines = {line.split(" ", 1)[0]: line for line in body.splitlines() if line.strip()}
    missing = [name for name in shipped if name not in lines]
    if missing:
        raise SystemExit(f"No attribution line for {missing[:3]} in {source}/flower_photos/LICENSE.txt.")
    target.write_text(header + "\n\n" + "\n".join(lines[name] for name in sorted(shipped)) + "\n", encoding="utf8")


def write_models(source: Path, sums: dict[str, str]) -> None:
    """Copy the alpha-0.35 weights file and export the same network as a TF Hub SavedModel."""
    import keras

    spec = MODELS["mobilenet_v2"]
    weights = spec.offline_real
    if standins.MOBILENET_V2_IMAGENET_DIR.exists():
        shutil.rmtree(standins.MOBILENET_V2_IMAGENET_DIR)
    weights.parent.mkdir(parents=True)
    weights.write_bytes(verified(source, f"keras-models/{weights.name}", sums))
    base = spec.standin_build((None, None, 3), include_top=False, weights=weights, pooling="avg")
    inputs = keras.Input((None, None, 3))
    for hub in MODELS.values():
        if hub.source == "tfhub" and hub.offline_real is not None:
            export_hub(hub.offline_real, keras.Model(inputs, base(_input_layer(spec, top=1.0)(inputs))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of genuine files (see above)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(SPLIT_SEED)
    t0, log = time.time(), {}
    sums = read_sums(args.source)
    images, log["dropped_duplicates"] = photos(args.source, sums)
    log["splits"] = write_datasets(images, standins.TFDS_DIR)
    shipped = [f"{c}/{f}" for c, files in images.items() for f in files]
    write_licence(args.source, sums, shipped, LICENSE_FILE)
    write_models(args.source, sums)
    folder = build_own_images.build(standins.DATA_DIR)
    log["own_images_files"] = sum(1 for p in folder.rglob("*") if p.is_file())
    write_checksums()
    log["bytes"] = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
                    for p in [*(standins.TFDS_DIR / s.offline for s in DATASETS.values()),
                              standins.MOBILENET_V2_IMAGENET_DIR, folder]}
    log["photos_shipped"] = len(shipped)
    log["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(log, indent=1))


if __name__ == "__main__":
    main()
