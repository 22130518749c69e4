"""Build the offline stand-ins in data/: glyph datasets (tfds), pre-trained MobileNetV2 and VGG16 stand-ins.

    python -m scripts.build_offline_assets              # everything (see data/README.md for the time)
    python -m scripts.build_offline_assets --data-only  # only the datasets (byte-identical for a given seed)

Images are glyphs (``scripts/glyphs.py``) rendered from the fonts that ship inside matplotlib (DejaVu, STIX,
Computer Modern), with random colour, scale, rotation, position, textured gradient backgrounds and clutter. The
source task (26 capital Latin letters) pre-trains the stand-in bases; the target tasks use digits, which the bases
never saw. What to build comes from the catalogue (``helpers/catalogue.py``): every dataset's stand-in, and every
base whose entry has a ``pretraining``. See data/README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from helpers import standins
from helpers.catalogue import DATASETS, MODELS, ModelSpec, Pretraining
from helpers.config import REPO_URL
from scripts.glyphs import make_split

IMAGE_SIZE = standins.IMAGE_SIZE
SEED = 1234

SOURCE = "glyphs_source"
SOURCE_CLASSES = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SPLIT_NAMES = tuple(standins.SPLITS)


def target_spec(real: str) -> dict:
    """The stand-in of catalogue dataset ``real``: class names, characters, images per class and split."""
    spec = DATASETS[real]
    names = list(spec.standin_classes)
    return dict(names=names, chars="".join(str(DIGIT_NAMES.index(n)) for n in names),
                per_class=tuple(spec.standin_split_sizes[s] // len(names) for s in SPLIT_NAMES), stands_in_for=real)


TARGETS: dict[str, dict] = {spec.standin: target_spec(real) for real, spec in DATASETS.items()}
"""Stand-in dataset -> :func:`target_spec`; the facts themselves live in the catalogue (helpers/catalogue.py)."""
SOURCE_PER_CLASS = (400, 20)  # train, validation
SOURCE_DIFFICULTY = (0.0, 1.0)  # drawn per image: easy and hard images mixed, learnt faster


def split_seed(name: str, split: str) -> int:
    return int(hashlib.sha256(f"{SEED}/{name}/{split}".encode()).hexdigest()[:8], 16)


# ----------------------------------------------------------------------------------------------- training
def _tf_dataset(x: np.ndarray, y: np.ndarray, batch: int, shuffle: bool, seed: int):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch).prefetch(2)


def _fit_classifier(model, x, y, recipe: Pretraining, batch: int = 64, label: str = "") -> None:
    """Train ``model`` (logits) on ``x, y`` by ``recipe``: Adam with cosine decay, sparse cross-entropy."""
    import keras

    steps = recipe.epochs * math.ceil(len(x) / batch)
    warmup = min(100, steps // 10)
    sched = keras.optimizers.schedules.CosineDecay(0.0, steps - warmup, warmup_target=recipe.learning_rate,
                                                   warmup_steps=warmup)
    model.compile(optimizer=keras.optimizers.Adam(sched, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    t = time.time()
    for e in range(recipe.epochs):
        h = model.fit(_tf_dataset(x, y, batch, True, SEED + e), epochs=1, verbose=0)
        print(f"  [{label}] epoch {e + 1}/{recipe.epochs} loss {h.history['loss'][-1]:.3f} "
              f"acc {h.history['accuracy'][-1]:.3f}  ({time.time() - t:.0f} s)", flush=True)


def _source_accuracy(model, xv, yv) -> float:
    """Inference-mode accuracy of ``model`` (logits) on the source validation split."""
    import keras

    model.compile(metrics=["accuracy"], loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return float(model.evaluate(_tf_dataset(xv, yv, 256, False, 0), verbose=0)[1])


def _input_layer(spec: ModelSpec, top: float = 255.0):
    """A Keras layer taking images in [0, ``top``] to what ``spec``'s base expects (the shipped stand-ins' layers)."""
    import keras

    if spec.preprocessing == "[-1,1]":
        return keras.layers.Rescaling(2.0 / top, offset=-1.0)
    if top == 255.0:
        return keras.layers.Lambda(lambda t: spec.preprocess_input(keras.ops.cast(t, "float32")))
    return keras.layers.Lambda(lambda t: spec.preprocess_input(keras.ops.cast(t, "float32") * (255.0 / top)))


def pretrain(spec: ModelSpec, x, y, xv, yv, num_classes: int):
    """Pre-train ``spec``'s stand-in on the source task by its catalogue ``pretraining``; inputs uint8.

    Returns ``(base, source head, source validation accuracy)``. With ``batchnorm="recalibrate"`` (MobileNetV2)
    the net trains as built, then its BatchNorm statistics are re-estimated (:func:`standins.recalibrate_batchnorm`).
    With ``batchnorm="fold"`` (VGG16): a plain VGG (no BatchNorm, like the real one) learns slowly from random
    weights (6 epochs gave 0.46 on the source task), so a twin with BatchNorm after every conv is trained instead,
    and each BatchNorm is then folded into the conv before it (exact in inference mode): the shipped net has the
    real architecture's layers and nothing else.
    """
    import keras

    recipe = spec.pretraining
    fold = recipe.batchnorm == "fold"
    shape = (IMAGE_SIZE, IMAGE_SIZE, 3)
    keras.utils.set_random_seed(SEED)
    net = spec.standin_build(shape, include_top=False, **({"batch_norm": True} if fold else {}))
    inputs = keras.Input(shape, dtype="uint8")
    h = net(_input_layer(spec)(inputs))
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dropout(0.2)(h)
    outputs = keras.layers.Dense(num_classes, name="logits")(h)
    model = keras.Model(inputs, outputs)
    _fit_classifier(model, x, y, recipe, label=spec.name)
    if not fold:
        standins.recalibrate_batchnorm(model, x, seed=SEED)
        return net, model.get_layer("logits"), _source_accuracy(model, xv, yv)
    acc = _source_accuracy(model, xv, yv)
    base = spec.standin_build(shape, include_top=False)
    standins.fold_batchnorm(net, base)
    return base, model.get_layer("logits"), acc


# ------------------------------------------------------------------------------------------------- tfds
DATASET_VERSION = "1.0.0"
CITATION = ("@misc{tl_course_glyphs,\n  title = {Glyph stand-in datasets of the course 'Transfer Learning & "
            "Fine-Tuning with TensorFlow'},\n  note = {Synthetic; generated by scripts/build_offline_assets.py}\n}")


def write_tfds(name: str, class_names: list[str], examples: dict[str, list[dict]], description: str,
               data_dir: Path, image_shape: tuple = (IMAGE_SIZE, IMAGE_SIZE, 3), filenames: bool = False,
               citation: str = CITATION, homepage: str = f"{REPO_URL}/tree/main/data") -> Path:
    """Write a prepared tfds dataset ``data_dir/name/1.0.0`` that ``tfds.load(name, data_dir=...)`` reads
    with no builder code (tfds falls back to the files' metadata).

    ``examples`` maps each split to its examples, ``{"image": JPEG bytes, "label": int}`` (plus
    ``"image/filename"`` when ``filenames``, as tfds' cats_vs_dogs has), in the order they are stored.
    """
    import tensorflow_datasets as tfds

    def _info(self):
        features = {"image": tfds.features.Image(shape=image_shape, encoding_format="jpeg"),
                    "label": tfds.features.ClassLabel(names=class_names)}
        if filenames:
            features["image/filename"] = tfds.features.Text()
        return tfds.core.DatasetInfo(
            builder=self, description=description, features=tfds.features.FeaturesDict(features),
            supervised_keys=("image", "label"), homepage=homepage, citation=citation)

    def _split_generators(self, dl_manager):
        return {s: self._generate_examples(s) for s in examples}

    def _generate_examples(self, split):
        for i, example in enumerate(examples[split]):
            yield f"{split}_{i:05d}", example

    class_name = "".join(p.capitalize() for p in name.split("_"))
    builder_cls = type(class_name, (tfds.core.GeneratorBasedBuilder,), {
        "VERSION": tfds.core.Version(DATASET_VERSION),
        "RELEASE_NOTES": {DATASET_VERSION: "Built by the course's scripts (see data/README.md)."},
        "_info": _info, "_split_generators": _split_generators, "_generate_examples": _generate_examples,
        "__module__": "course_offline_data",
    }, skip_registration=True)
    target = data_dir / name
    if target.exists():
        shutil.rmtree(target)
    with tempfile.TemporaryDirectory() as downloads:
        builder = builder_cls(data_dir=str(data_dir))
        builder.download_and_prepare(download_dir=downloads)
    folder = target / DATASET_VERSION
    for shard in sorted(folder.glob("*.tfrecord-*")):
        _reserialize_deterministically(shard)
    return folder


def _reserialize_deterministically(path: Path) -> None:
    """Rewrite a TFRecord file with each tf.train.Example serialised with sorted map keys.

    tfds serialises the feature map in an order that changes from process to process; the payload, the
    record order and the record lengths (hence ``numBytes`` in dataset_info.json) stay the same.
    """
    import tensorflow as tf

    records = [r.numpy() for r in tf.data.TFRecordDataset(str(path))]
    tmp = path.with_name(path.name + ".tmp")
    with tf.io.TFRecordWriter(str(tmp)) as writer:
        for r in records:
            out = tf.train.Example.FromString(r).SerializeToString(deterministic=True)
            assert len(out) == len(r)
            writer.write(out)
    tmp.replace(path)


JPEG_QUALITY = 80
"""tfds would encode at quality 95 (2.4 kB an image); 80 gives 1.5 kB, and the glyphs stay sharp at 64 px."""


def encode_jpeg(image: np.ndarray) -> bytes:
    """``image`` (uint8 HxWx3) as JPEG bytes at ``JPEG_QUALITY``; tfds stores bytes as given."""
    import tensorflow as tf

    return tf.io.encode_jpeg(image, quality=JPEG_QUALITY).numpy()


# ----------------------------------------------------------------------------------------------- export
def export_hub(path: Path, model, fine_tunable: bool = True) -> None:
    """Save ``model`` (a Keras 3 model on [0,1] images) as a TF2 SavedModel in TF Hub's reusable format.

    The root gets ``__call__(inputs, training)`` traced for training=False and, when ``fine_tunable``,
    training=True (BatchNorm in training mode), plus ``variables``, ``trainable_variables`` and
    ``regularization_losses``, which is what hub.KerasLayer(trainable=True) or a Keras 3 wrapper layer needs
    to fine-tune it. A model used frozen only (the classifier) skips the second trace: half the graph.
    """
    import tensorflow as tf

    spec = tf.TensorSpec([None, None, None, 3], tf.float32)

    @tf.function
    def call(inputs, training=False):
        return model(inputs, training=training)

    root = tf.__internal__.tracking.AutoTrackable()
    root.variables = [v.value for v in model.weights]
    root.trainable_variables = [v.value for v in model.trainable_weights]
    root.regularization_losses = []
    call.get_concrete_function(spec, training=False)
    if fine_tunable:
        call.get_concrete_function(spec, training=True)
    root.__call__ = call
    if path.exists():
        shutil.rmtree(path)
    tf.saved_model.save(root, str(path), signatures={"serving_default": call.get_concrete_function(spec, False)})


# ------------------------------------------------------------------------------------------------- main
DATA = standins.DATA_DIR
_ALPHA = standins.MOBILENET_V2_ALPHA
MARKER_TEXT = {
    standins.MOBILENET_V2_DIR:
        f"STAND-IN, not MobileNetV2 ImageNet weights: keras.applications.MobileNetV2 (alpha {_ALPHA}, "
        f"{IMAGE_SIZE} px) pre-trained by scripts/build_offline_assets.py on {len(SOURCE_CLASSES)} synthetic glyph "
        "classes.\n",
    standins.MOBILENET_V2_FEATURE_VECTOR:
        "STAND-IN, not tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4: the glyph-trained "
        f"MobileNetV2 (alpha {_ALPHA}) stand-in exported in TF Hub's SavedModel format.\n",
    standins.MOBILENET_V2_CLASSIFIER:
        "STAND-IN, not tfhub.dev/google/tf2-preview/mobilenet_v2/classification/4: the glyph-trained "
        f"MobileNetV2 (alpha {_ALPHA}) stand-in with its {len(SOURCE_CLASSES)}-letter classifier, TF Hub SavedModel "
        "format.\n",
    standins.VGG16_DIR:
        "STAND-IN, not VGG16 ImageNet weights: a VGG16-shaped net with 1/8 of the filters "
        "(helpers.standins.vgg16_standin) pre-trained by scripts/build_offline_assets.py on glyphs.\n",
}
SAMPLE_SIZE = 16


def build_data(log: dict, source_train: bool = True) -> tuple:
    t = time.time()
    tfds_dir = standins.TFDS_DIR
    tfds_dir.mkdir(parents=True, exist_ok=True)
    for name, spec in TARGETS.items():
        splits = {s: make_split(spec["chars"], n, split_seed(name, s))
                  for s, n in zip(SPLIT_NAMES, spec["per_class"])}
        desc = (f"STAND-IN for tfds '{spec['stands_in_for']}' in the course's offline profile: synthetic 64x64 "
                f"images of the digits {', '.join(spec['names'])} rendered from matplotlib's fonts on textured, "
                "cluttered backgrounds. Generated by scripts/build_offline_assets.py (see data/README.md).")
        examples = {s: [{"image": encode_jpeg(img), "label": int(label)} for img, label in zip(*xy)]
                    for s, xy in splits.items()}
        write_tfds(name, spec["names"], examples, desc, tfds_dir)
        log[name] = {s: len(v[0]) for s, v in splits.items()}
    x = y = None
    if source_train:  # only needed to pre-train the bases
        x, y = make_split(SOURCE_CLASSES, SOURCE_PER_CLASS[0], split_seed(SOURCE, "train"), SOURCE_DIFFICULTY)
    xv, yv = make_split(SOURCE_CLASSES, SOURCE_PER_CLASS[1], split_seed(SOURCE, "validation"))
    sample_dir = standins.SOURCE_SAMPLE_DIR
    if sample_dir.exists():
        shutil.rmtree(sample_dir)
    sample_dir.mkdir()
    for i in range(SAMPLE_SIZE):  # validation images are at full difficulty, like the targets
        Image.fromarray(xv[i]).save(sample_dir / f"{i:02d}_{SOURCE_CLASSES[yv[i]]}.png", optimize=False)
    log["data_seconds"] = round(time.time() - t, 1)
    print(f"data: {log}", flush=True)
    return x, y, xv, yv


def export_hub_forms(spec: ModelSpec, head) -> None:
    """Export the catalogue's TF Hub entries made from ``spec``'s saved stand-in (``standin_from``) as SavedModels.

    Any input size, [0,1] in, the base's preprocessing inside; a ``classifier`` entry keeps the source-task head
    ``head`` (its labels: ``standins.MOBILENET_V2_SOURCE_CLASSES``).
    """
    import keras

    exports = [m for m in MODELS.values() if m.standin_from == spec.name]
    if not exports:
        return
    any_base = spec.standin_build((None, None, 3), include_top=False, weights=spec.standin, pooling="avg")
    inputs = keras.Input((None, None, 3))
    features = any_base(_input_layer(spec, top=1.0)(inputs))
    for hub in exports:
        if hub.classifier:
            standins.MOBILENET_V2_SOURCE_CLASSES.write_text("\n".join(SOURCE_CLASSES) + "\n", encoding="utf8")
            dense = keras.layers.Dense(len(SOURCE_CLASSES), name="logits")
            clf = keras.Model(inputs, dense(features))
            dense.set_weights(head.get_weights())
            export_hub(hub.standin, clf, fine_tunable=False)
        else:
            export_hub(hub.standin, keras.Model(inputs, features))


def write_markers() -> None:
    for folder, text in MARKER_TEXT.items():
        (folder / standins.MARKER).write_text(text, encoding="utf8")


def build_models(x, y, xv, yv, log: dict) -> None:
    """Pre-train every catalogue base that has a ``pretraining``, save it, export its TF Hub forms, mark them."""
    for name, spec in MODELS.items():
        if spec.pretraining is None:
            continue
        t = time.time()
        spec.standin.parent.mkdir(parents=True, exist_ok=True)
        base, head, acc = pretrain(spec, x, y, xv, yv, len(SOURCE_CLASSES))
        log[f"{name}_source_val_accuracy"] = round(acc, 4)
        base.save_weights(str(spec.standin))
        export_hub_forms(spec, head)
        log[f"{name}_seconds"] = round(time.time() - t, 1)
    write_markers()


def write_checksums() -> None:
    lines = []
    for p in sorted(DATA.rglob("*")):
        rel = p.relative_to(DATA).as_posix()
        if p.is_file() and rel not in ("SHA256SUMS", "README.md"):
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}")
    (DATA / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-only", action="store_true", help="only regenerate the datasets")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(SEED)
    t0 = time.time()
    log: dict = {}
    x, y, xv, yv = build_data(log, source_train=not args.data_only)
    if not args.data_only:
        build_models(x, y, xv, yv, log)
    write_checksums()
    sizes = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) for p in DATA.iterdir() if p.is_dir()}
    log["sizes_bytes"] = sizes
    log["data_dir_bytes"] = sum(f.stat().st_size for f in DATA.rglob("*") if f.is_file())
    log["total_seconds"] = round(time.time() - t0, 1)
    print(json.dumps(log))


if __name__ == "__main__":
    main()
