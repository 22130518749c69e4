"""Does transfer learning pay off on the VGG16 stand-in pair? Frozen / fine-tuned / from-scratch accuracy.

    python -m benchmarks.transfer_gain                   # the glyph target set, 3 seeds (time: data/README.md)
    python -m benchmarks.transfer_gain --datasets glyphs_five --seeds 1
    python -m benchmarks.transfer_gain --set fine_tune_learning_rate=1e-4   # try other offline settings

Since the offline MobileNetV2 lessons run on real photos and real ImageNet weights, their figures come from
``benchmarks/real_photos.py``; this benchmark keeps the glyph pair of exercises 07-09 (the rows for
glyphs_binary and the MobileNetV2 glyph stand-in in ``benchmarks/results/transfer_gain.jsonl`` are history).
Each target set is run the way its notebooks run it in the offline profile, through the same helpers
(load_dataset, make_pipeline, augmentation_layers, load_base, extract_features) and the profile's sizes,
epochs and learning rates:

glyphs_binary, as notebook 06 (MobileNetV2 stand-in, keras.applications form, [-1,1] inputs, one logit):
  frozen      base frozen and called with training=False, Dropout + Dense(1) head, trained end to end on
              augmented batches for ``head_epochs``;
  fine_tuned  then layers from ``fine_tune_at`` up unfrozen except BatchNorm (frozen: inference mode, source
              statistics), recompiled at the fine-tuning rate, ``fine_tune_epochs`` more;
glyphs_five, as exercises 07-09 (VGG16 stand-in, caffe preprocessing, five logits, no augmentation):
  frozen      features extracted once, GAP + Dense(128) + Dropout + Dense(5) head trained on them;
  fine_tuned  then the last block (block5) unfrozen, the whole model recompiled at the fine-tuning rate and
              trained for ``fine_tune_epochs`` more on the same (un-augmented, shuffled) images;
both:
  scratch     the same network (same head) from random weights, all of it trained on the same batches as
              the pre-trained runs (augmented for glyphs_binary, not for glyphs_five) for head + fine-tune
              epochs, at the best rate of ``helpers.config.SCRATCH_LEARNING_RATES`` (picked on validation,
              mean over seeds). Its BatchNorm statistics (MobileNetV2) are re-estimated on the training set
              before evaluation, since momentum 0.999 leaves them near their initial values after so few steps.

Prints one JSON line per target set (and appends it to ``--output`` if given): validation and test accuracy
of every run, per seed and as mean / min, whether the issue's conditions hold (``checks``), the from-scratch
net's accuracy on its own (un-augmented) training set, where over-fitting shows as train >> test, the same
three accuracies for every learning rate tried, the profile used and the seconds. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import standins  # noqa: E402
from helpers.catalogue import DATASETS  # noqa: E402
from helpers.config import PROFILES, SCRATCH_LEARNING_RATES, Profile  # noqa: E402
from helpers.data import (Splits, augmentation_layers, extract_features, features_dataset,  # noqa: E402
                          load_dataset, make_pipeline, preprocessing_for)
from helpers.models import load_base  # noqa: E402

NOTEBOOK_RUNS = {"tf_flowers": ("vgg16", False)}
"""Real dataset -> (the base its notebooks use, augmented training batches?): exercises 07-09."""
TARGETS = {DATASETS[real].standin: (real, *run) for real, run in NOTEBOOK_RUNS.items()}
"""Bundled target set -> (the real dataset its notebooks ask for, base model, augmented training batches?)."""
VGG16_TOP_BLOCK = f"block{len(standins.VGG16_CONVS)}"
"""The block exercise 08 fine-tunes: VGG16's last (its layer names start with it)."""
GOAL = {"fine_tuned_over_frozen": 0.03, "frozen_over_scratch": 0.20}
"""Issue 14: mean fine-tuned >= frozen + 3 points (and better on every seed); frozen >= scratch + 20."""


def head(num_classes: int, hidden: bool) -> list[keras.layers.Layer]:
    """Notebook 06's head (pool, dropout, logits) or exercise 07's (pool, Dense(128), dropout, logits)."""
    layers = [keras.layers.GlobalAveragePooling2D()]
    if hidden:
        layers.append(keras.layers.Dense(128, activation="relu"))
    layers.append(keras.layers.Dropout(0.2))
    layers.append(keras.layers.Dense(1 if num_classes == 2 else num_classes))
    return layers


def compile_model(model: keras.Model, learning_rate: float, num_classes: int) -> None:
    """Adam at ``learning_rate``, cross-entropy on logits and accuracy, as the notebooks compile."""
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
        self.splits: Splits = load_dataset(self.real_name, p, base=self.base_name)
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

    def pretrained(self, seed: int) -> dict[str, float]:
        """Validation and test accuracy of the frozen phase and of the fine-tuned model, as the notebooks run."""
        p = self.p
        keras.utils.set_random_seed(seed)
        model, base, top = self.network(pretrained=True)
        result = {}
        if self.base_name == "vgg16":  # exercises 07/08: head trained on cached features
            cached = {s: extract_features(base, self.plain[s]) for s in ("train", "validation", "test")}
            features = keras.Input(base.output_shape[1:])
            head_model = keras.Model(features, top(features))
            compile_model(head_model, p.head_learning_rate, self.n)
            head_model.fit(features_dataset(*cached["train"], p.batch_size, seed=seed), epochs=p.head_epochs,
                           verbose=0)
            for s in ("validation", "test"):
                ds = features_dataset(*cached[s], p.batch_size, shuffle=False)
                result[f"frozen_{s}"] = float(head_model.evaluate(ds, verbose=0)[1])
            base.trainable = True
            for layer in base.layers:
                layer.trainable = layer.name.startswith(VGG16_TOP_BLOCK)
        else:  # notebook 06: trained end to end, base frozen
            compile_model(model, p.head_learning_rate, self.n)
            model.fit(self.training(seed), epochs=p.head_epochs, verbose=0)
            for s in ("validation", "test"):
                result[f"frozen_{s}"] = self.accuracy(model, s)
            base.trainable = True
            for layer in base.layers[:p.fine_tune_at]:
                layer.trainable = False
            for layer in base.layers[p.fine_tune_at:]:
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.trainable = False  # as notebook 06: frozen BatchNorm, inference mode
        compile_model(model, p.fine_tune_learning_rate, self.n)
        model.fit(self.training(seed + 1000), epochs=p.fine_tune_epochs, verbose=0)
        for s in ("validation", "test"):
            result[f"fine_tuned_{s}"] = self.accuracy(model, s)
        return result

    def scratch(self, seed: int, learning_rate: float) -> dict[str, float]:
        """Train, validation and test accuracy of the same network trained from random weights."""
        keras.utils.set_random_seed(seed)
        model, _, _ = self.network(pretrained=False)
        compile_model(model, learning_rate, self.n)
        model.fit(self.training(seed), epochs=self.p.head_epochs + self.p.fine_tune_epochs, verbose=0)
        images = np.concatenate([x for x, _ in self.plain["train"]])
        standins.recalibrate_batchnorm(model, images, batch=len(images), batches=1)  # the whole set's statistics
        return {s: self.accuracy(model, s) for s in ("train", "validation", "test")}


def _stats(values: list[float]) -> dict[str, object]:
    return {"mean": round(float(np.mean(values)), 4), "min": round(min(values), 4),
            "per_seed": [round(v, 4) for v in values]}


def benchmark(name: str, p: Profile, seeds: list[int], scratch_lrs: list[float]) -> dict:
    """One target set: every seed's pre-trained runs and the from-scratch grid, summarised as one dict."""
    t = time.time()
    run = Run(name, p)
    pre = []
    for s in seeds:
        pre.append(run.pretrained(s))
        print(f"{name} seed {s}: {json.dumps({k: round(v, 4) for k, v in pre[-1].items()})}", file=sys.stderr,
              flush=True)
    pre_seconds = time.time() - t
    scratch: dict[float, list[dict[str, float]]] = {}
    for lr in scratch_lrs:
        for s in seeds:
            scratch.setdefault(lr, []).append(run.scratch(s, lr))
            print(f"{name} seed {s}: scratch at {lr:g} {scratch[lr][-1]}", file=sys.stderr, flush=True)
    best_lr = max(scratch, key=lambda lr: np.mean([r["validation"] for r in scratch[lr]]))
    best = scratch[best_lr]
    runs = {f"{kind}_{split}": _stats([r[f"{kind}_{split}"] for r in pre])
            for kind in ("frozen", "fine_tuned") for split in ("validation", "test")}
    runs["scratch_validation"] = _stats([r["validation"] for r in best])
    runs["scratch_test"] = _stats([r["test"] for r in best])
    gains = [r["fine_tuned_test"] - r["frozen_test"] for r in pre]
    checks = {
        "fine_tuned_ge_frozen_plus_3": bool(np.mean(gains) >= GOAL["fine_tuned_over_frozen"] - 1e-9),
        "fine_tuned_gt_frozen_every_seed": bool(min(gains) > 0),
        "frozen_ge_scratch_plus_20": bool(runs["frozen_test"]["mean"] - runs["scratch_test"]["mean"]
                                          >= GOAL["frozen_over_scratch"] - 1e-9),
    }
    return {
        "dataset": name, "classes": run.splits.class_names, "base": run.base_name + " stand-in",
        "frozen": runs["frozen_test"]["mean"], "fine_tuned": runs["fine_tuned_test"]["mean"],
        "scratch": runs["scratch_test"]["mean"],
        "gain_test": {"mean": round(float(np.mean(gains)), 4), "min": round(min(gains), 4)},
        "gain_validation": round(runs["fine_tuned_validation"]["mean"] - runs["frozen_validation"]["mean"], 4),
        "checks": checks, "runs": runs,
        "scratch_train_accuracy": round(float(np.mean([r["train"] for r in best])), 4),
        "scratch_lr": best_lr,
        "scratch_by_lr": {str(lr): {s: round(float(np.mean([r[s] for r in rs])), 4)
                                    for s in ("train", "validation", "test")} for lr, rs in scratch.items()},
        "sizes": run.splits.sizes, "seeds": len(seeds),
        "profile": {k: v for k, v in dataclasses.asdict(p).items() if k != "summary"},
        "epochs": {"head": p.head_epochs, "fine_tune": p.fine_tune_epochs,
                   "scratch": p.head_epochs + p.fine_tune_epochs},
        "seconds": {"pretrained": round(pre_seconds, 1), "scratch": round(time.time() - t - pre_seconds, 1),
                    "total": round(time.time() - t, 1)},
    }


def profile_with(settings: list[str]) -> Profile:
    """The offline profile with ``field=value`` settings replaced (experiments; the default is the profile)."""
    p = PROFILES["offline"]
    changes = {}
    for item in settings:
        key, _, value = item.partition("=")
        if key not in {f.name for f in dataclasses.fields(p)} or not value:
            raise SystemExit(f"--set {item!r}: expected FIELD=VALUE, FIELD one of the Profile's numbers")
        current = getattr(p, key)
        changes[key] = int(float(value)) if isinstance(current, int) else type(current)(float(value))
    return dataclasses.replace(p, **changes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scratch-lrs", type=float, nargs="+", default=list(SCRATCH_LEARNING_RATES),
                    help="the from-scratch grid (default: helpers.config.SCRATCH_LEARNING_RATES)")
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="change an offline setting")
    ap.add_argument("--output", type=Path, help="append the JSON lines to this file")
    args = ap.parse_args()
    profile = profile_with(args.set)
    for name in args.datasets:
        result = benchmark(name, profile, list(range(args.seeds)), args.scratch_lrs)
        line = json.dumps(result)
        print(line, flush=True)
        if args.output:
            with args.output.open("a", encoding="utf8") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
