"""Fixtures shared by the unit tests."""
from __future__ import annotations

from pathlib import Path

import keras
import pytest
import tensorflow as tf

from helpers import config, standins


def save_hub_model(folder: Path, standin: bool = False) -> Path:
    """A tiny TF-Hub-format SavedModel (conv + BatchNorm + pooling), fine-tunable like the real ones."""
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    net = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)

    @tf.function
    def call(images, training=False):
        return net(images, training=training)

    for training in (True, False):
        call.get_concrete_function(spec, training)
    root = tf.__internal__.tracking.AutoTrackable()
    root.__call__ = call
    root.variables = [v.value for v in net.variables]
    root.trainable_variables = [v.value for v in net.trainable_variables]
    root.regularization_losses = []
    serving = tf.function(lambda images: {"output_0": net(images, training=False)}).get_concrete_function(spec)
    tf.saved_model.save(root, str(folder), signatures={"serving_default": serving})
    if standin:
        (folder / standins.MARKER).write_text("A test stand-in.\n")
    return folder


@pytest.fixture(scope="session")
def hub_model_path(tmp_path_factory) -> Path:
    return save_hub_model(tmp_path_factory.mktemp("hub") / "tiny")


@pytest.fixture
def fresh_profile(monkeypatch):
    """Let a test resolve its own profile; the kernel-wide one is restored afterwards."""
    monkeypatch.setattr(config, "_RESOLVED", None)
    monkeypatch.delenv("COURSE_SMOKE", raising=False)


@pytest.fixture
def network_attempts(monkeypatch, tmp_path):
    """For tests that try the network on purpose: a separate log, returned as a callable."""
    log = tmp_path / "attempts.log"
    monkeypatch.setenv("COURSE_NETLOG", str(log))
    return lambda: log.read_text() if log.exists() else ""


@pytest.fixture(autouse=True)
def _no_policy_leak():
    yield
    keras.mixed_precision.set_global_policy("float32")
