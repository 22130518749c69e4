"""The tiny models and data the Keras behaviour tests share: a two-layer "base" ("low", "top") under a "head"."""
from __future__ import annotations

import keras
import numpy as np


def tiny_data(n: int = 32, seed: int = 0, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``n`` examples of 4 features; labels: one float column (2 classes) or integers 0-3 (4 classes)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    if classes == 2:
        return x, (x.sum(axis=1) > 0).astype("float32")[:, None]
    assert classes == 4, "the tiny data have 2 or 4 classes"
    return x, (x[:, 0] > 0).astype("int64") + 2 * (x[:, 1] > 0)


def tiny_base_and_model(seed: int = 0, outputs: int = 1) -> tuple[keras.Model, keras.Model]:
    """A two-layer "base" ("low", "top") and a model = base + a head of ``outputs`` logits ("head")."""
    keras.utils.set_random_seed(seed)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu", name="low"),
                             keras.layers.Dense(6, activation="relu", name="top")], name="base")
    model = keras.Sequential([keras.Input((4,)), base, keras.layers.Dense(outputs, name="head")])
    return base, model


def moved(before: list[np.ndarray], layer: keras.layers.Layer) -> bool:
    """True when any of ``layer``'s weights differs from ``before``."""
    return any(not np.allclose(a, b) for a, b in zip(before, layer.get_weights()))
