"""MirroredStrategy on two logical CPU devices trains exactly like one device given the same global batch.

Logical devices can only be configured before TensorFlow's runtime starts, so every check runs in a process of
its own: pytest starts this file as a script (``python tests/test_distribute.py MODE``), which prints one JSON
line. The model has no dropout and no augmentation, and its BatchNormalization layer is frozen (a frozen
BatchNorm runs in inference mode), so nothing differs between the runs but how the batch is split.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5
"""Largest absolute difference allowed between a weight after the distributed fit and after the one-device fit."""
GLOBAL_BATCH, REPLICAS, EXAMPLES = 16, 2, 64  # 4 steps per epoch; per-replica batch 8


def run_child(mode: str) -> dict:
    """Run this file as a script in a fresh process; return the JSON it printed last."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, env=env, timeout=600,
                          cwd=REPO)
    assert done.returncode == 0, f"the {mode} process failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def comparison() -> dict:
    return run_child("compare")


def test_after_the_setup_cell_the_cpu_splits_into_two_replicas(comparison):
    assert comparison["devices"] == ["/cpu:0", "/cpu:1"]
    assert comparison["logical_cpus"] == REPLICAS and comparison["replicas"] == REPLICAS


def test_distributed_fit_matches_one_device_fit_with_the_same_global_batch(comparison):
    assert comparison["moved"] > 1000 * TOLERANCE, "the weights must move for the comparison to mean anything"
    assert comparison["same_global_batch"] <= TOLERANCE


def test_per_replica_batch_used_as_the_global_batch_does_not_match(comparison):
    assert comparison["per_replica_batch_as_global"] > 100 * TOLERANCE


def test_frozen_batchnorm_keeps_its_statistics_in_the_distributed_fit(comparison):
    assert comparison["batchnorm_statistics_moved"] == 0.0


def test_splitting_after_tensorflow_started_says_restart_in_one_sentence():
    result = run_child("too_late")
    assert result["error"] == "RuntimeAlreadyStarted"
    assert "restart the kernel" in result["message"] and result["message"].count(". ") == 0


# ---------------------------------------------------------------------------------------------- child process
def _compare() -> dict:
    from helpers import setup  # the notebook's order: the setup cell, then the split

    setup(quiet=True)
    from helpers.distribute import split_cpu_if_no_gpu

    devices = split_cpu_if_no_gpu(REPLICAS)
    import keras
    import numpy as np
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(EXAMPLES, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 3, EXAMPLES)

    def build() -> keras.Model:
        keras.utils.set_random_seed(0)
        inputs = keras.Input((12, 12, 3))
        features = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
        batchnorm = keras.layers.BatchNormalization()
        batchnorm.trainable = False  # inference mode: its statistics, not each replica's batch, normalise
        features = keras.layers.GlobalAveragePooling2D()(batchnorm(features))
        model = keras.Model(inputs, keras.layers.Dense(3, dtype="float32")(features))
        batchnorm.moving_mean.assign(np.full(8, 0.3, "float32"))  # not the identity: a real normalisation
        batchnorm.moving_variance.assign(np.full(8, 2.0, "float32"))
        return model

    def fit(strategy: tf.distribute.Strategy, batch: int) -> list:
        with strategy.scope():
            model = build()
            model.compile(keras.optimizers.Adam(1e-2),
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(batch), epochs=1, verbose=0)
        return [np.asarray(w) for w in model.get_weights()]

    def largest_difference(a: list, b: list) -> float:
        return float(max(np.abs(u - v).max() for u, v in zip(a, b)))

    initial = [np.asarray(w) for w in build().get_weights()]
    mirrored = tf.distribute.MirroredStrategy(devices)
    one_device = fit(tf.distribute.get_strategy(), GLOBAL_BATCH)
    distributed = fit(mirrored, GLOBAL_BATCH)
    per_replica_as_global = fit(mirrored, GLOBAL_BATCH // REPLICAS)
    statistics = [i for i, w in enumerate(build().weights) if "moving" in w.path]
    return {"devices": devices, "logical_cpus": len(tf.config.list_logical_devices("CPU")),
            "replicas": mirrored.num_replicas_in_sync,
            "moved": largest_difference(one_device, initial),
            "same_global_batch": largest_difference(distributed, one_device),
            "per_replica_batch_as_global": largest_difference(per_replica_as_global, one_device),
            "batchnorm_statistics_moved": largest_difference([distributed[i] for i in statistics],
                                                             [initial[i] for i in statistics])}


def _too_late() -> dict:
    import tensorflow as tf

    from helpers.distribute import RuntimeAlreadyStarted, split_cpu_if_no_gpu

    tf.constant(1.0) + 1.0  # the runtime starts with the first operation
    try:
        split_cpu_if_no_gpu(REPLICAS)
    except RuntimeAlreadyStarted as error:
        return {"error": type(error).__name__, "message": str(error)}
    return {"error": None, "message": ""}


if __name__ == "__main__":
    from tests import harness  # PYTHONPATH is the repository (run_child)

    harness.install_network_guard()
    print(json.dumps({"compare": _compare, "too_late": _too_late}[sys.argv[1]]()))
