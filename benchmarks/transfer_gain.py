"""Does transfer learning pay off on the bundled stand-ins? Frozen / fine-tuned / from-scratch test accuracy.

    python benchmarks/transfer_gain.py                   # both target sets, 3 seeds (~10 min on 2 cores)
    python benchmarks/transfer_gain.py --datasets glyphs_five --seeds 1

glyphs_binary uses the MobileNetV2 stand-in (keras.applications form, [-1,1] inputs), glyphs_five the VGG16
stand-in (caffe preprocessing). For every seed, on the same data with the same augmentation:

(a) frozen:     pre-trained base frozen (called with training=False), new head, ``head_epochs``;
(b) fine_tuned: (a) continued for ``fine_tune_epochs`` with the top of the base unfrozen, BatchNorm still
                in inference mode, at ``fine_tune_learning_rate``;
(c) scratch:    the same architecture with random weights, trained whole for head + fine-tune epochs at
                the best of a few learning rates (picked on the validation split, mean over seeds). Its
                BatchNorm statistics are re-estimated on the training set before evaluation (MobileNetV2's
                momentum 0.999 would otherwise leave them near their initial values after so few steps).

Prints one JSON line per target set: test accuracies (mean and min over seeds), the scratch model's final
accuracy on its own training set (over-fitting shows as train >> test), and the seconds it took.
Sizes, epochs and learning rates come from ``helpers.config.PROFILES["offline"]`` unless overridden.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_datasets as tfds  # noqa: E402

from helpers import standins  # noqa: E402
from helpers.config import PROFILES, TFDS_DIR  # noqa: E402

BASES = {"glyphs_binary": "mobilenet_v2", "glyphs_five": "vgg16"}


def load(name: str) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[str]]:
    """All splits of a bundled target set as uint8 numpy arrays, and its class names."""
    out = {}
    info = None
    for split in ("train", "validation", "test"):
        ds, info = tfds.load(name, data_dir=str(TFDS_DIR), split=split, as_supervised=True, with_info=True,
                             download=False)
        xs, ys = zip(*tfds.as_numpy(ds))
        out[split] = (np.stack(xs), np.array(ys))
    return out, info.features["label"].names


def base_model(kind: str, pretrained: bool, size: int) -> tuple[keras.Model, keras.layers.Layer]:
    """(base, its preprocessing layer on [0,1] inputs)."""
    shape = (size, size, 3)
    if kind == "mobilenet_v2":
        base = keras.applications.MobileNetV2(
            input_shape=shape, alpha=standins.MOBILENET_V2_ALPHA, include_top=False,
            weights=str(standins.MOBILENET_V2_WEIGHTS) if pretrained else None)
        prep = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")
    else:
        base = standins.vgg16_standin(shape, include_top=False,
                                      weights=standins.VGG16_WEIGHTS if pretrained else None)
        prep = keras.layers.Lambda(lambda t: keras.applications.vgg16.preprocess_input(t * 255.0), name="caffe")
    return base, prep


def build(kind: str, num_classes: int, size: int, pretrained: bool) -> tuple[keras.Model, keras.Model]:
    """[0,1] images -> augmentation -> preprocessing -> base -> avg pool -> dropout -> logits."""
    base, prep = base_model(kind, pretrained, size)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="nearest")(inputs)
    x = prep(x)
    # pre-trained: BatchNorm stays in inference mode, frozen or fine-tuned; from scratch it trains normally
    x = base(x, training=False) if pretrained else base(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs), base


def batches(x: np.ndarray, y: np.ndarray, batch: int, seed: int | None = None) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32") / 255.0, y))
    if seed is not None:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch)


def compile_fit(model: keras.Model, data: dict, lr: float, epochs: int, batch: int, seed: int) -> None:
    model.compile(optimizer=keras.optimizers.Adam(lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(batches(*data["train"], batch, seed), epochs=epochs, verbose=0)


def accuracy(model: keras.Model, data: dict, split: str) -> float:
    return float(model.evaluate(batches(*data[split], 256), verbose=0)[1])


def recalibrate_batchnorm(model: keras.Model, x: np.ndarray) -> None:
    """Set every BatchNorm's moving statistics to the statistics of the whole training set ("precise BN")."""
    bns = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        return
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 0.0
    model(tf.constant(x.astype("float32") / 255.0), training=True)
    for bn, m in zip(bns, saved):
        bn.momentum = m


def fine_tune_split(kind: str, base: keras.Model, fine_tune_at: int) -> None:
    """Unfreeze the top of the base: MobileNetV2 from layer ``fine_tune_at``, the VGG16 stand-in block 4 up."""
    base.trainable = True
    first = fine_tune_at if kind == "mobilenet_v2" else \
        next(i for i, layer in enumerate(base.layers) if layer.name.startswith("block4"))
    for layer in base.layers[:first]:
        layer.trainable = False


def run_pretrained(kind: str, data: dict, n: int, args, seed: int) -> tuple[float, float]:
    keras.utils.set_random_seed(seed)
    model, base = build(kind, n, args.image_size, pretrained=True)
    base.trainable = False
    compile_fit(model, data, args.head_lr, args.head_epochs, args.batch_size, seed)
    frozen = accuracy(model, data, "test")
    fine_tune_split(kind, base, args.fine_tune_at)
    compile_fit(model, data, args.fine_tune_lr, args.fine_tune_epochs, args.batch_size, seed + 1000)
    return frozen, accuracy(model, data, "test")


def run_scratch(kind: str, data: dict, n: int, args, seed: int, lr: float) -> dict[str, float]:
    keras.utils.set_random_seed(seed)
    model, _ = build(kind, n, args.image_size, pretrained=False)
    compile_fit(model, data, lr, args.head_epochs + args.fine_tune_epochs, args.batch_size, seed)
    recalibrate_batchnorm(model, data["train"][0])
    return {s: accuracy(model, data, s) for s in ("train", "validation", "test")}


def benchmark(name: str, args) -> dict:
    t = time.time()
    data, names = load(name)
    kind, n, seeds = BASES[name], len(names), list(range(args.seeds))
    pre = [run_pretrained(kind, data, n, args, s) for s in seeds]
    scratch = {lr: [run_scratch(kind, data, n, args, s, lr) for s in seeds] for lr in args.scratch_lrs}
    best_lr = max(scratch, key=lambda lr: np.mean([r["validation"] for r in scratch[lr]]))
    best = scratch[best_lr]
    frozen, tuned = [p[0] for p in pre], [p[1] for p in pre]
    return {
        "dataset": name, "base": kind,
        "frozen": round(float(np.mean(frozen)), 4), "fine_tuned": round(float(np.mean(tuned)), 4),
        "scratch": round(float(np.mean([r["test"] for r in best])), 4),
        "frozen_min": round(min(frozen), 4), "fine_tuned_min": round(min(tuned), 4),
        "scratch_min": round(min(r["test"] for r in best), 4),
        "scratch_train_accuracy": round(float(np.mean([r["train"] for r in best])), 4),
        "scratch_lr": best_lr,
        "scratch_val_by_lr": {str(lr): round(float(np.mean([r["validation"] for r in rs])), 4)
                              for lr, rs in scratch.items()},
        "train_size": len(data["train"][0]), "test_size": len(data["test"][0]), "seeds": len(seeds),
        "epochs": {"head": args.head_epochs, "fine_tune": args.fine_tune_epochs,
                   "scratch": args.head_epochs + args.fine_tune_epochs},
        "seconds": round(time.time() - t, 1),
    }


def main() -> None:
    p = PROFILES["offline"]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(BASES), choices=list(BASES))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--image-size", type=int, default=p.image_size)
    ap.add_argument("--batch-size", type=int, default=p.batch_size)
    ap.add_argument("--head-epochs", type=int, default=p.head_epochs)
    ap.add_argument("--fine-tune-epochs", type=int, default=p.fine_tune_epochs)
    ap.add_argument("--head-lr", type=float, default=p.head_learning_rate)
    ap.add_argument("--fine-tune-lr", type=float, default=p.fine_tune_learning_rate)
    ap.add_argument("--fine-tune-at", type=int, default=p.fine_tune_at)
    ap.add_argument("--scratch-lrs", type=float, nargs="+", default=[3e-3, 1e-3, 3e-4])
    args = ap.parse_args()
    for name in args.datasets:
        print(json.dumps(benchmark(name, args)), flush=True)


if __name__ == "__main__":
    main()
