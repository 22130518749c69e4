"""Does transfer learning pay off on the bundled stand-ins? Frozen / fine-tuned / from-scratch test accuracy.

    python benchmarks/transfer_gain.py                   # both target sets, 3 seeds (~17 min on 2 cores)
    python benchmarks/transfer_gain.py --datasets glyphs_five --seeds 1

Each target set is run the way its notebooks run it in the offline profile, through the same helpers
(load_dataset, make_pipeline, augmentation_layers, load_base, extract_features) and the profile's sizes,
epochs and learning rates:

glyphs_binary, as notebook 06 (MobileNetV2 stand-in, keras.applications form, [-1,1] inputs, one logit):
  frozen      base frozen and called with training=False, Dropout + Dense(1) head, trained end to end on
              augmented batches for ``head_epochs``;
  fine_tuned  then layers from ``fine_tune_at`` up unfrozen (BatchNorm still in inference mode), recompiled at
              the fine-tuning rate, ``fine_tune_epochs`` more;
glyphs_five, as exercises 07-09 (VGG16 stand-in, caffe preprocessing, five logits, no augmentation):
  frozen      features extracted once, GAP + Dense(128) + Dropout + Dense(5) head trained on them;
  fine_tuned  then block5 unfrozen, the whole model recompiled at the fine-tuning rate and trained for
              ``fine_tune_epochs`` more on the same (un-augmented, shuffled) images;
both:
  scratch     the same network (same head) from random weights, all of it trained on the same batches as
              the pre-trained runs (augmented for glyphs_binary, not for glyphs_five) for head + fine-tune
              epochs, at the best of ``--scratch-lrs`` (picked on validation, mean over seeds). Its
              BatchNorm statistics (MobileNetV2) are re-estimated on the training set before evaluation,
              since momentum 0.999 leaves them near their initial values after so few steps.

Prints one JSON line per target set: test accuracies (mean and min over seeds), the from-scratch net's
accuracy on its own (un-augmented) training set, where over-fitting shows as train >> test, the same three
accuracies for every learning rate tried, and the seconds. Progress goes to stderr.
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

from helpers.config import PROFILES, Profile  # noqa: E402
from helpers.data import (Splits, augmentation_layers, extract_features, features_dataset,  # noqa: E402
                          load_dataset, make_pipeline, preprocessing_for)
from helpers.models import load_base  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from build_offline_assets import recalibrate_batchnorm  # noqa: E402  (the stand-ins' pre-training uses it too)

# bundled target set -> (the real dataset its notebooks ask for, base model, augmented training batches?)
TARGETS = {"glyphs_binary": ("cats_vs_dogs", "mobilenet_v2", True), "glyphs_five": ("tf_flowers", "vgg16", False)}


def head(num_classes: int, hidden: bool) -> list[keras.layers.Layer]:
    """Notebook 06's head (pool, dropout, logits) or exercise 07's (pool, Dense(128), dropout, logits)."""
    layers = [keras.layers.GlobalAveragePooling2D()]
    if hidden:
        layers.append(keras.layers.Dense(128, activation="relu"))
    layers.append(keras.layers.Dropout(0.2))
    layers.append(keras.layers.Dense(1 if num_classes == 2 else num_classes))
    return layers


def compile_model(model: keras.Model, learning_rate: float, num_classes: int) -> None:
    if num_classes == 2:
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
        metric = keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")
    else:
        loss, metric = keras.losses.SparseCategoricalCrossentropy(from_logits=True), "accuracy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=[metric])


class Run:
    """One target set's data pipelines, built once and shared by every seed and variant."""

    def __init__(self, name: str, p: Profile):
        self.real_name, self.base_name, self.augment = TARGETS[name]
        self.p = p
        self.splits: Splits = load_dataset(self.real_name, p)
        self.n = self.splits.num_classes
        self.preprocess = preprocessing_for(self.base_name)
        self.plain = {s: make_pipeline(getattr(self.splits, s), p.image_size, self.preprocess, p.batch_size)
                      for s in ("train", "validation", "test")}

    def training(self, seed: int) -> tf.data.Dataset:
        """Shuffled training batches, augmented as the notebooks augment them (flips only if mirror-safe)."""
        augment = augmentation_layers(seed, flip=self.splits.mirror_safe) if self.augment else None
        return make_pipeline(self.splits.train, self.p.image_size, self.preprocess, self.p.batch_size,
                             training=True, augment=augment, seed=seed)

    def network(self, pretrained: bool) -> tuple[keras.Model, keras.Model, keras.Sequential]:
        """(model, base, head) with the base frozen when pre-trained."""
        base = load_base(self.base_name, weights="pretrained" if pretrained else None,
                         input_shape=self.p.image_shape, profile=self.p, verbose=False)
        top = keras.Sequential(head(self.n, hidden=self.base_name == "vgg16"), name="head")
        inputs = keras.Input(self.p.image_shape)
        if pretrained:
            base.trainable = False
            features = base(inputs, training=False)  # BatchNorm stays in inference mode, frozen or fine-tuned
        else:
            features = base(inputs)
        return keras.Model(inputs, top(features)), base, top

    def accuracy(self, model: keras.Model, split: str) -> float:
        return float(model.evaluate(self.plain[split], verbose=0)[1])

    def pretrained(self, seed: int) -> tuple[float, float]:
        p = self.p
        keras.utils.set_random_seed(seed)
        model, base, top = self.network(pretrained=True)
        if self.base_name == "vgg16":  # exercises 07/08: head trained on cached features
            cached = {s: extract_features(base, self.plain[s]) for s in ("train", "test")}
            features = keras.Input(base.output_shape[1:])
            head_model = keras.Model(features, top(features))
            compile_model(head_model, p.head_learning_rate, self.n)
            head_model.fit(features_dataset(*cached["train"], p.batch_size, seed=seed), epochs=p.head_epochs,
                           verbose=0)
            frozen = float(head_model.evaluate(features_dataset(*cached["test"], p.batch_size, shuffle=False),
                                               verbose=0)[1])
            base.trainable = True
            for layer in base.layers:
                layer.trainable = layer.name.startswith("block5")
        else:  # notebook 06: trained end to end, base frozen
            compile_model(model, p.head_learning_rate, self.n)
            model.fit(self.training(seed), epochs=p.head_epochs, verbose=0)
            frozen = self.accuracy(model, "test")
            base.trainable = True
            for layer in base.layers[:p.fine_tune_at]:
                layer.trainable = False
        compile_model(model, p.fine_tune_learning_rate, self.n)
        model.fit(self.training(seed + 1000), epochs=p.fine_tune_epochs, verbose=0)
        return frozen, self.accuracy(model, "test")

    def scratch(self, seed: int, learning_rate: float) -> dict[str, float]:
        keras.utils.set_random_seed(seed)
        model, _, _ = self.network(pretrained=False)
        compile_model(model, learning_rate, self.n)
        model.fit(self.training(seed), epochs=self.p.head_epochs + self.p.fine_tune_epochs, verbose=0)
        images = np.concatenate([x for x, _ in self.plain["train"]])
        recalibrate_batchnorm(model, images, batch=len(images), batches=1)  # statistics of the whole set
        return {s: self.accuracy(model, s) for s in ("train", "validation", "test")}


def benchmark(name: str, p: Profile, seeds: list[int], scratch_lrs: list[float]) -> dict:
    t = time.time()
    run = Run(name, p)
    pre = []
    for s in seeds:
        pre.append(run.pretrained(s))
        print(f"{name} seed {s}: frozen {pre[-1][0]:.3f}, fine-tuned {pre[-1][1]:.3f}", file=sys.stderr, flush=True)
    scratch: dict[float, list[dict[str, float]]] = {}
    for lr in scratch_lrs:
        for s in seeds:
            scratch.setdefault(lr, []).append(run.scratch(s, lr))
            print(f"{name} seed {s}: scratch at {lr:g} {scratch[lr][-1]}", file=sys.stderr, flush=True)
    best_lr = max(scratch, key=lambda lr: np.mean([r["validation"] for r in scratch[lr]]))
    best = scratch[best_lr]
    frozen, tuned, test = [r[0] for r in pre], [r[1] for r in pre], [r["test"] for r in best]
    return {
        "dataset": name, "classes": run.splits.class_names, "base": run.base_name + " stand-in",
        "frozen": round(float(np.mean(frozen)), 4), "fine_tuned": round(float(np.mean(tuned)), 4),
        "scratch": round(float(np.mean(test)), 4),
        "frozen_min": round(min(frozen), 4), "fine_tuned_min": round(min(tuned), 4),
        "scratch_min": round(min(test), 4),
        "scratch_train_accuracy": round(float(np.mean([r["train"] for r in best])), 4),
        "scratch_lr": best_lr,
        "scratch_by_lr": {str(lr): {s: round(float(np.mean([r[s] for r in rs])), 4)
                                    for s in ("train", "validation", "test")} for lr, rs in scratch.items()},
        "train_size": run.splits.sizes["train"], "test_size": run.splits.sizes["test"], "seeds": len(seeds),
        "epochs": {"head": p.head_epochs, "fine_tune": p.fine_tune_epochs,
                   "scratch": p.head_epochs + p.fine_tune_epochs},
        "seconds": round(time.time() - t, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scratch-lrs", type=float, nargs="+", default=[1e-2, 1e-3, 3e-4])
    args = ap.parse_args()
    for name in args.datasets:
        result = benchmark(name, PROFILES["offline"], list(range(args.seeds)), args.scratch_lrs)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
