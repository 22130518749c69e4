"""Answers built on tiny models for the exercise unit tests: a VGG16 stand-in, heads, features, and ``run``,
which checks an answer the way a notebook cell does."""
from __future__ import annotations

import contextlib
import io

import keras
import numpy as np
import pytest

from helpers import config
from helpers.standins import vgg16_standin

PROFILE = config.PROFILES["offline"]
SIZE = PROFILE.image_size


@pytest.fixture
def judged_as_a_real_run(monkeypatch):
    """Judge accuracy as in a real run (not a smoke run), with solutions on."""
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    monkeypatch.setenv("COURSE_HARNESS", "offline")
    monkeypatch.setenv("COURSE_SOLUTIONS", "on")


def run(question, *values, **namespace):
    """check() with the profile in the namespace; returns (result, printed text)."""
    namespace.setdefault("cfg", PROFILE)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = question.check(*values, namespace=namespace)
    return result, out.getvalue()


def vgg(pretrained=True, include_top=False, size=SIZE, frozen=False):
    model = vgg16_standin((size, size, 3), include_top=include_top)
    if pretrained:  # Keras initialises biases to zero: non-zero ones look pre-trained
        model.get_layer("block1_conv1").bias.assign(np.full((8,), 0.1, "float32"))
    model.trainable = not frozen
    return model


def head(units=5, activation=None, pool=True, features=(SIZE // 32, SIZE // 32, 64)):
    layers = [keras.Input(features)] + ([keras.layers.GlobalAveragePooling2D()] if pool else [])
    return keras.Sequential(layers + [keras.layers.Dense(units, activation=activation)])


def compiled(model, loss=None, lr=1e-3, metrics=("accuracy",)):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if loss is None else loss
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=list(metrics))
    return model


def features(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, SIZE // 32, SIZE // 32, 64)).astype("float32"), rng.integers(0, 5, n)
