"""Exercise 09's re-run of exercises 07 and 08, for a profile whose results file lacks their runs.

09 compares its from-scratch run with 07's frozen run and 08's fine-tuned run, read from the results file
(``results.py``). When one of them is missing for this profile, :func:`rerun_07_and_08` trains both again with
the solutions' code (07: the head on the frozen base's features; 08: block5 unfrozen, recompiled low, the epochs
continued) and saves them. The lessons themselves are in 07 and 08; in 09 this is plumbing.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers import config
from helpers.data import extract_features, features_dataset, make_pipeline
from helpers.exercises.results import Stopwatch, load_results, save_result
from helpers.models import count_params, restart_training


def rerun_07_and_08(cfg: config.Profile, runs: dict[str, dict[str, Any]], base_model: keras.Model,
                    head: keras.Model, head_start: list[Any], splits: Any, preprocess: Any, *,
                    datasets: tuple[tf.data.Dataset, tf.data.Dataset, tf.data.Dataset],
                    val_features: tuple[np.ndarray, np.ndarray], seconds_before: float) -> dict[str, dict[str, Any]]:
    """``runs`` when it holds "frozen" and "fine-tuned"; else both trained again, saved, and the results re-read.

    ``base_model`` is 09's frozen VGG16 and ``head`` its head (restarted from ``head_start``); ``datasets`` are the
    ``(train_ds, val_ds, test_ds)`` pipelines, ``val_features`` the validation split's ``(features, labels)``, and
    ``seconds_before`` the extraction time already spent, counted in the frozen run's time. The base comes back
    frozen (its block5 weights fine-tuned), the head trained.
    """
    if {"frozen", "fine-tuned"} <= set(runs):
        return runs
    train_ds, val_ds, test_ds = datasets
    with Stopwatch() as frozen_clock:  # 07: the head on the frozen base's features of the whole training split
        all_features, all_labels = extract_features(
            base_model, make_pipeline(splits.train, cfg.image_size, preprocess, batch_size=cfg.batch_size))
        restart_training(head, head_start)
        history = head.fit(features_dataset(all_features, all_labels, cfg.batch_size),
                           validation_data=features_dataset(*val_features, cfg.batch_size, shuffle=False),
                           epochs=cfg.head_epochs, verbose=0)
    test_features, test_labels = extract_features(base_model, test_ds)
    frozen_accuracy = head.evaluate(features_dataset(test_features, test_labels, cfg.batch_size, shuffle=False),
                                    verbose=0)[1]
    save_result(cfg, "frozen", test_accuracy=frozen_accuracy, val_accuracy=history.history["val_accuracy"][-1],
                seconds=seconds_before + frozen_clock.seconds, params_trained=count_params(head)["trainable"],
                train_images=len(all_features), history=history.history)
    model = keras.Sequential([keras.Input(cfg.image_shape), base_model, head])  # 08: block5 fine-tuned
    base_model.trainable = True
    for layer in base_model.layers:
        layer.trainable = layer.name.startswith("block5")
    model.compile(optimizer=keras.optimizers.Adam(cfg.fine_tune_learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    with Stopwatch() as fine_clock:
        history_fine = model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch),
                                 epochs=len(history.epoch) + cfg.fine_tune_epochs, verbose=0)
    save_result(cfg, "fine-tuned", test_accuracy=model.evaluate(test_ds, verbose=0)[1],
                val_accuracy=history_fine.history["val_accuracy"][-1],
                seconds=seconds_before + frozen_clock.seconds + fine_clock.seconds,
                params_trained=count_params(model)["trainable"], train_images=len(all_features),
                history=history_fine.history)
    base_model.trainable = False
    runs = load_results(cfg)
    print("re-ran exercises 07 and 08:", sorted(runs))
    return runs
