"""Build the offline stand-ins in data/: glyph datasets (tfds), pre-trained MobileNetV2 and VGG16 stand-ins.

    python scripts/build_offline_assets.py              # everything (see data/README.md for the time)
    python scripts/build_offline_assets.py --data-only  # only the datasets (byte-identical for a given seed)

Images are glyphs rendered from the fonts that ship inside matplotlib (DejaVu, STIX, Computer Modern),
with random colour, scale, rotation, position, textured gradient backgrounds and clutter. The source
task (26 capital Latin letters) pre-trains the stand-in bases; the target tasks use digits, which the bases
never saw. See data/README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from helpers import standins  # noqa: E402
from helpers.config import REPO_URL  # noqa: E402

IMAGE_SIZE = standins.IMAGE_SIZE
SEED = 1234

FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmti10.ttf",
)
CLUTTER_CHARS = "#%&*+=?@$!<>~/"

SOURCE = "glyphs_source"
SOURCE_CLASSES = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SPLIT_NAMES = tuple(standins.SPLITS)


def target_spec(name: str) -> dict:
    """A target set's class names, characters, images per class and split, and the real dataset it stands in for."""
    names = list(standins.CLASS_NAMES[name])
    sizes = standins.SPLIT_SIZES[name]
    return dict(names=names, chars="".join(str(DIGIT_NAMES.index(n)) for n in names),
                per_class=tuple(sizes[s] // len(names) for s in SPLIT_NAMES),
                stands_in_for=next(real for real, standin in standins.DATASETS.items() if standin == name))


TARGETS: dict[str, dict] = {name: target_spec(name) for name in standins.DATASETS.values()}
"""Stand-in dataset -> :func:`target_spec`; the facts themselves live in helpers/standins.py."""
SOURCE_PER_CLASS = (400, 20)  # train, validation
SOURCE_DIFFICULTY = (0.0, 1.0)  # drawn per image: easy and hard images mixed, learnt faster
PRETRAINING = {"mobilenet_v2": dict(epochs=12, learning_rate=2e-3), "vgg16": dict(epochs=10, learning_rate=2e-3)}
"""Base -> its :class:`Recipe` on the source task (figures in data/README.md)."""


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


def split_seed(name: str, split: str) -> int:
    return int(hashlib.sha256(f"{SEED}/{name}/{split}".encode()).hexdigest()[:8], 16)


# ----------------------------------------------------------------------------------------------- training
def _tf_dataset(x: np.ndarray, y: np.ndarray, batch: int, shuffle: bool, seed: int):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch).prefetch(2)


@dataclass(frozen=True)
class Recipe:
    """How a stand-in base is pre-trained on the source task (the shipped models' figures: data/README.md)."""

    epochs: int
    learning_rate: float  # peak of a cosine decay after a short warm-up; Adam, gradients clipped at norm 1


def _fit_classifier(model, x, y, recipe: Recipe, batch: int = 64, label: str = "") -> None:
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


def train_mobilenet_v2(x, y, xv, yv, recipe: Recipe, num_classes: int):
    """MobileNetV2 (the stand-in's width, 64 px) on the source task; inputs uint8, scaled to [0,1] then [-1,1]."""
    import keras

    keras.utils.set_random_seed(SEED)
    base = keras.applications.MobileNetV2(input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), alpha=standins.MOBILENET_V2_ALPHA,
                                          include_top=False, weights=None)
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), dtype="uint8")
    h = keras.layers.Rescaling(2.0 / 255.0, offset=-1.0)(inputs)
    h = base(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dropout(0.2)(h)
    outputs = keras.layers.Dense(num_classes, name="logits")(h)
    model = keras.Model(inputs, outputs)
    _fit_classifier(model, x, y, recipe, label="mobilenet_v2")
    standins.recalibrate_batchnorm(model, x, seed=SEED)
    return base, model.get_layer("logits"), _source_accuracy(model, xv, yv)


def train_vgg16(x, y, xv, yv, recipe: Recipe, num_classes: int):
    """The VGG16 stand-in on the source task, fed VGG's caffe preprocessing of [0,255] RGB.

    A plain VGG (no BatchNorm, like the real one) learns slowly from random weights: 6 epochs gave 0.46
    on the source task. So a twin with BatchNorm after every conv is trained instead, and each BatchNorm
    is then folded into the conv before it (exact in inference mode): the shipped net has VGG16's layers
    and nothing else.
    """
    import keras

    keras.utils.set_random_seed(SEED)
    twin = standins.vgg16_standin((IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False, batch_norm=True)
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), dtype="uint8")
    h = keras.layers.Lambda(lambda t: keras.applications.vgg16.preprocess_input(keras.ops.cast(t, "float32")))(inputs)
    h = twin(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dropout(0.2)(h)
    outputs = keras.layers.Dense(num_classes, name="logits")(h)
    model = keras.Model(inputs, outputs)
    _fit_classifier(model, x, y, recipe, label="vgg16")
    acc = _source_accuracy(model, xv, yv)
    base = standins.vgg16_standin((IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False)
    standins.fold_batchnorm(twin, base)
    return base, model.get_layer("logits"), acc


# ------------------------------------------------------------------------------------------------- tfds
DATASET_VERSION = "1.0.0"
CITATION = ("@misc{tl_course_glyphs,\n  title = {Glyph stand-in datasets of the course 'Transfer Learning & "
            "Fine-Tuning with TensorFlow'},\n  note = {Synthetic; generated by scripts/build_offline_assets.py}\n}")


def write_tfds(name: str, class_names: list[str], splits: dict[str, tuple[np.ndarray, np.ndarray]],
               description: str, data_dir: Path) -> Path:
    """Write a prepared tfds dataset ``data_dir/name/1.0.0`` that ``tfds.load(name, data_dir=...)`` reads
    with no builder code (tfds falls back to the files' metadata)."""
    import tensorflow_datasets as tfds

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self, description=description,
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(IMAGE_SIZE, IMAGE_SIZE, 3), encoding_format="jpeg"),
                "label": tfds.features.ClassLabel(names=class_names),
            }),
            supervised_keys=("image", "label"),
            homepage=f"{REPO_URL}/tree/main/data",
            citation=CITATION,
        )

    def _split_generators(self, dl_manager):
        return {s: self._generate_examples(s) for s in splits}

    def _generate_examples(self, split):
        x, y = splits[split]
        for i in range(len(x)):
            yield f"{split}_{i:05d}", {"image": encode_jpeg(x[i]), "label": int(y[i])}

    class_name = "".join(p.capitalize() for p in name.split("_"))
    builder_cls = type(class_name, (tfds.core.GeneratorBasedBuilder,), {
        "VERSION": tfds.core.Version(DATASET_VERSION),
        "RELEASE_NOTES": {DATASET_VERSION: "Stand-in generated by scripts/build_offline_assets.py."},
        "_info": _info, "_split_generators": _split_generators, "_generate_examples": _generate_examples,
        "__module__": "glyph_standins",
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
        write_tfds(name, spec["names"], splits, desc, tfds_dir)
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


def export_mobilenet_v2(base, head) -> None:
    """Save the MobileNetV2 stand-in (base + source head) as Keras weights and as two TF Hub SavedModels."""
    import keras

    standins.MOBILENET_V2_DIR.mkdir(parents=True, exist_ok=True)
    base.save_weights(str(standins.MOBILENET_V2_WEIGHTS))
    standins.MOBILENET_V2_SOURCE_CLASSES.write_text("\n".join(SOURCE_CLASSES) + "\n", encoding="utf8")
    # hub forms: any input size, [0,1] in, scaling inside
    any_base = keras.applications.MobileNetV2(input_shape=(None, None, 3), alpha=standins.MOBILENET_V2_ALPHA,
                                              include_top=False, weights=str(standins.MOBILENET_V2_WEIGHTS),
                                              pooling="avg")
    inputs = keras.Input((None, None, 3))
    features = any_base(keras.layers.Rescaling(2.0, offset=-1.0)(inputs))
    fv = keras.Model(inputs, features)
    dense = keras.layers.Dense(len(SOURCE_CLASSES), name="logits")
    clf = keras.Model(inputs, dense(features))
    dense.set_weights(head.get_weights())
    export_hub(standins.MOBILENET_V2_FEATURE_VECTOR, fv)
    export_hub(standins.MOBILENET_V2_CLASSIFIER, clf, fine_tunable=False)


def write_markers() -> None:
    for folder, text in MARKER_TEXT.items():
        (folder / standins.MARKER).write_text(text, encoding="utf8")


def build_models(x, y, xv, yv, log: dict) -> None:
    t = time.time()
    base, head, acc = train_mobilenet_v2(x, y, xv, yv, Recipe(**PRETRAINING["mobilenet_v2"]), len(SOURCE_CLASSES))
    log["mobilenet_v2_source_val_accuracy"] = round(acc, 4)
    export_mobilenet_v2(base, head)
    log["mobilenet_v2_seconds"] = round(time.time() - t, 1)
    t = time.time()
    standins.VGG16_DIR.mkdir(parents=True, exist_ok=True)
    vbase, _, vacc = train_vgg16(x, y, xv, yv, Recipe(**PRETRAINING["vgg16"]), len(SOURCE_CLASSES))
    log["vgg16_source_val_accuracy"] = round(vacc, 4)
    vbase.save_weights(str(standins.VGG16_WEIGHTS))
    log["vgg16_seconds"] = round(time.time() - t, 1)
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
    import build_own_images  # beside this script (notebook 10's folder of "your own" images)

    log["own_images_files"] = sum(1 for p in build_own_images.build(DATA).rglob("*") if p.is_file())
    write_checksums()
    sizes = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) for p in DATA.iterdir() if p.is_dir()}
    log["sizes_bytes"] = sizes
    log["data_dir_bytes"] = sum(f.stat().st_size for f in DATA.rglob("*") if f.is_file())
    log["total_seconds"] = round(time.time() - t0, 1)
    print(json.dumps(log))


if __name__ == "__main__":
    main()
