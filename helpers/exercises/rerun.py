"""Exercise 09's pre-trained side: 07's frozen run and 08's fine-tuned run, on the images the from-scratch run gets.

09 compares its from-scratch run with 07's frozen run and 08's fine-tuned run on the same training images and
epochs. The runs 07 and 08 saved (``results.py``) are reused when they trained on exactly those images (offline
and full: the whole training split). Otherwise (``quick``, whose from-scratch side trains on the first images only,
or a profile without saved runs) :func:`rerun_07_and_08` trains both again on those images with the solutions'
code (07: the head on the frozen base's features; 08: block5 unfrozen, recompiled low, the epochs continued). The
lessons themselves are in 07 and 08; in 09 this is plumbing.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers import config
from helpers.data import extract_features, features_dataset
from helpers.exercises.results import Stopwatch, load_results, save_result
from helpers.models import count_params, restart_training

PRETRAINED_RUNS = ("frozen", "fine-tuned")


def trained_on(runs: dict[str, dict[str, Any]], images: int) -> bool:
    """True when ``runs`` holds both pre-trained runs and each trained on ``images`` training images."""
    return all(runs.get(name, {}).get("train_images") == images for name in PRETRAINED_RUNS)


def rerun_07_and_08(cfg: config.Profile, runs: dict[str, dict[str, Any]], base_model: keras.Model,
                    head: keras.Model, head_start: list[Any], *, train_size: int,
                    datasets: tuple[tf.data.Dataset, tf.data.Dataset, tf.data.Dataset],
                    features: tuple[np.ndarray, np.ndarray], val_features: tuple[np.ndarray, np.ndarray],
                    seconds_before: float) -> dict[str, dict[str, Any]]:
    """``runs`` when its "frozen" and "fine-tuned" trained on the images of ``features``; else both trained on those.

    ``base_model`` is 09's frozen VGG16 and ``head`` its head (restarted from ``head_start``); ``datasets`` are the
    ``(train, validation, test)`` pipelines, the training one over the same images as ``features`` (the frozen
    base's ``(features, labels)``); ``val_features`` are the validation split's; ``seconds_before`` is the
    extraction time already spent, counted in the frozen run's time. Runs on the whole training split
    (``train_size`` images) are saved as 07's and 08's; runs on fewer images only come back. The base comes back
    frozen (its block5 weights fine-tuned), the head trained.
    """
    images = len(features[0])
    if trained_on(runs, images):
        return runs
    train_ds, val_ds, test_ds = datasets
    with Stopwatch() as frozen_clock:  # 07: the head on the frozen base's features
        restart_training(head, head_start)
        history = head.fit(features_dataset(*features, cfg.batch_size),
                           validation_data=features_dataset(*val_features, cfg.batch_size, shuffle=False),
                           epochs=cfg.head_epochs, verbose=0)
    test_features, test_labels = extract_features(base_model, test_ds)
    frozen_accuracy = head.evaluate(features_dataset(test_features, test_labels, cfg.batch_size, shuffle=False),
                                    verbose=0)[1]
    trained = {"frozen": dict(test_accuracy=frozen_accuracy, val_accuracy=history.history["val_accuracy"][-1],
                              seconds=seconds_before + frozen_clock.seconds,
                              params_trained=count_params(head)["trainable"], train_images=images,
                              history=history.history)}
    model = keras.Sequential([keras.Input(cfg.image_shape), base_model, head])  # 08: block5 fine-tuned
    base_model.trainable = True
    for layer in base_model.layers:
        layer.trainable = layer.name.startswith("block5")
    model.compile(optimizer=keras.optimizers.Adam(cfg.fine_tune_learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    with Stopwatch() as fine_clock:
        history_fine = model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch),
                                 epochs=len(history.epoch) + cfg.fine_tune_epochs, verbose=0)
    trained["fine-tuned"] = dict(test_accuracy=model.evaluate(test_ds, verbose=0)[1],
                                 val_accuracy=history_fine.history["val_accuracy"][-1],
                                 seconds=seconds_before + frozen_clock.seconds + fine_clock.seconds,
                                 params_trained=count_params(model)["trainable"], train_images=images,
                                 history=history_fine.history)
    base_model.trainable = False
    if images < train_size:
        print(f"trained exercises 07 and 08 again on the first {images} of the {train_size} training images, "
              "the ones the from-scratch side gets (not saved: 07's and 08's own runs used all of them)")
        return {**runs, **trained}
    for name, metrics in trained.items():
        save_result(cfg, name, **metrics)
    runs = load_results(cfg)
    print("re-ran exercises 07 and 08:", sorted(runs))
    return runs
