"""How long exercise 09 takes in the quick profile on this machine: its training calls, on synthetic images.

    python -m benchmarks.exercise09_quick_budget            # prints one JSON line (~10 min on 2 idle cores)
    python -m benchmarks.exercise09_quick_budget --output benchmarks/results/exercise09_quick_budget.json

The quick profile's sizes (``helpers.config.PROFILES["quick"]``: 128 px, batch 32, 3 + 2 epochs) and tf_flowers'
quick split counts (train[:30%], train[80%:85%], train[90%:] of 3,670 images), random uint8 images instead of
flowers, VGG16 with random weights in place of the ImageNet ones (same architecture, same cost). Every call 09's
solution makes is made here, in its order, through the same helpers: feature extraction (the comparison's
training images and the validation split), the pre-trained side on those images (``rerun_07_and_08``: in quick
07's head and 08's fine-tuning always train again on the comparison's images, since 07 and 08 saved runs on the
whole split), the from-scratch model built and compiled, the learning-rate grid (``SCRATCH_LEARNING_RATES``,
``scratch_plan``), the final from-scratch run with validation, the test and training-accuracy evaluations, the
head trained at each size of the data-efficiency curve and the curve's remaining from-scratch run. Kernel start
and imports (~10 s) and plotting are not included. The JSON says the seconds of each step, the total, and the
load average around the run (other processes on the machine slow it down).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.catalogue import DATASETS  # noqa: E402
from helpers.config import PROFILES, SCRATCH_LEARNING_RATES  # noqa: E402
from helpers.data import extract_features, features_dataset, make_pipeline  # noqa: E402
from helpers.exercises import rerun_07_and_08  # noqa: E402
from helpers.models import restart_training, scratch_plan  # noqa: E402

QUICK = PROFILES["quick"]


def split_counts(total: int = DATASETS["tf_flowers"].train_size) -> dict[str, int]:
    """Examples in tf_flowers' quick splits: train[:30%], train[80%:85%], train[90%:] (tfds rounds the bounds)."""
    def at(percent: int) -> int:
        return round(total * percent / 100)

    return {"train": at(30), "validation": at(85) - at(80), "test": total - at(90)}


def synthetic_split(n: int, seed: int) -> tf.data.Dataset:
    """``n`` random uint8 images of quick's size with labels 0-4, as ``(image, label)`` examples."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, QUICK.image_size, QUICK.image_size, 3), dtype=np.uint8)
    return tf.data.Dataset.from_tensor_slices((images, rng.integers(0, 5, n)))


def compile_like_the_notebook(model: keras.Model, learning_rate: float) -> None:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])


def new_head(feature_shape: tuple[int, ...]) -> keras.Sequential:
    return keras.Sequential([keras.Input(feature_shape), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.2),
                             keras.layers.Dense(5, dtype="float32")], name="head")


def measure() -> dict:
    cfg = QUICK
    keras.utils.set_random_seed(0)
    counts = split_counts()
    splits = {name: synthetic_split(n, seed) for seed, (name, n) in enumerate(counts.items())}
    preprocess = keras.applications.vgg16.preprocess_input
    budget = cfg.head_epochs + cfg.fine_tune_epochs
    plan = scratch_plan(cfg, counts["train"])
    steps: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        steps[name] = round(now - clock[0], 1)
        clock[0] = now
        print(f"{name}: {steps[name]} s", file=sys.stderr, flush=True)

    def pipeline(ds: tf.data.Dataset, training: bool = False) -> tf.data.Dataset:
        return make_pipeline(ds, cfg.image_size, preprocess, batch_size=cfg.batch_size, training=training)

    train_ds = pipeline(splits["train"].take(plan.images), True)
    val_ds, test_ds = pipeline(splits["validation"]), pipeline(splits["test"])

    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=cfg.image_shape)
    base.trainable = False
    train_f, train_l = extract_features(base, pipeline(splits["train"].take(plan.images)))
    val_f, val_l = extract_features(base, val_ds)
    lap("features")
    head = new_head(base.output_shape[1:])
    compile_like_the_notebook(head, cfg.head_learning_rate)
    head_start = head.get_weights()

    def train_head(n: int) -> keras.callbacks.History:
        restart_training(head, head_start)
        return head.fit(features_dataset(train_f[:n], train_l[:n], cfg.batch_size),
                        validation_data=features_dataset(val_f, val_l, cfg.batch_size, shuffle=False),
                        epochs=cfg.head_epochs, verbose=0)

    with contextlib.redirect_stdout(sys.stderr):  # its one line; stdout carries the JSON
        runs = rerun_07_and_08(cfg, {}, base, head, head_start, train_size=counts["train"],
                               datasets=(train_ds, val_ds, test_ds), features=(train_f, train_l),
                               val_features=(val_f, val_l), seconds_before=steps["features"])
    assert runs["fine-tuned"]["train_images"] == plan.images
    lap("pretrained_side")

    scratch_model = keras.Sequential([keras.Input(cfg.image_shape),
                                      keras.applications.VGG16(weights=None, include_top=False,
                                                               input_shape=cfg.image_shape),
                                      keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(128, activation="relu"),
                                      keras.layers.Dropout(0.2), keras.layers.Dense(5, dtype="float32")])
    compile_like_the_notebook(scratch_model, cfg.head_learning_rate)
    initial_weights = scratch_model.get_weights()
    lap("scratch_model")

    def train_scratch(n: int, learning_rate: float) -> list[float]:
        restart_training(scratch_model, initial_weights)
        scratch_model.optimizer.learning_rate.assign(learning_rate)
        scratch_model.fit(pipeline(splits["train"].take(n), True), epochs=budget, verbose=0)
        return scratch_model.evaluate(val_ds, verbose=0)

    val_by_lr = {lr: train_scratch(plan.grid_images, lr) for lr in SCRATCH_LEARNING_RATES}
    best_lr = max(val_by_lr, key=lambda lr: (val_by_lr[lr][1], -val_by_lr[lr][0]))
    lap("grid")
    restart_training(scratch_model, initial_weights)
    scratch_model.optimizer.learning_rate.assign(best_lr)
    scratch_model.fit(train_ds, validation_data=val_ds, epochs=budget, verbose=0)
    scratch_model.evaluate(test_ds, verbose=0)
    lap("q2_scratch_run")
    scratch_model.evaluate(pipeline(splits["train"].take(plan.images)), verbose=0)
    lap("train_accuracy")
    for n in plan.curve:
        train_head(n)
    for n in plan.curve:
        if n not in (plan.grid_images, plan.images):
            train_scratch(n, best_lr)
    lap("curve")
    return {"profile": cfg.name, "image_size": cfg.image_size, "batch_size": cfg.batch_size,
            "epochs": {"head": cfg.head_epochs, "fine_tune": cfg.fine_tune_epochs, "scratch": budget},
            "splits": counts, "scratch_plan": {"images": plan.images, "grid_images": plan.grid_images,
                                               "curve": list(plan.curve),
                                               "learning_rates": list(plan.learning_rates)},
            "steps_seconds": steps, "total_seconds": round(sum(steps.values()), 1),
            "total_minutes": round(sum(steps.values()) / 60, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    load_before, cpu_before = os.getloadavg()[0], time.process_time()
    result = measure()
    result.update(cpu_seconds=round(time.process_time() - cpu_before, 1), cores=os.cpu_count(),
                  load_average_before=round(load_before, 2), load_average_after=round(os.getloadavg()[0], 2),
                  tensorflow=tf.__version__, keras=keras.__version__,
                  measured=time.strftime("%Y-%m-%d %H:%M"))
    line = json.dumps(result)
    print(line)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(line + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
