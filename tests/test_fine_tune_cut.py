"""Notebook 06's cut (``cfg.fine_tune_at``) falls between two blocks of MobileNetV2, and the slider says the same."""
from __future__ import annotations

import re

import keras
import pytest

from helpers.config import PROFILES
from helpers.widgets import top_trainable


def _unfreeze_as_06_does(base: keras.Model, fine_tune_at: int) -> None:
    base.trainable = True
    for layer in base.layers[:fine_tune_at]:
        layer.trainable = False
    for layer in base.layers[fine_tune_at:]:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_cut_is_a_block_boundary_and_the_slider_opens_at_the_layers_above_it(profile):
    p = PROFILES[profile]
    alpha = 0.35 if profile == "offline" else 1.0  # offline: the shipped alpha 0.35; quick/full: Keras's 1.0
    base = keras.applications.MobileNetV2(input_shape=p.image_shape, alpha=alpha, include_top=False, weights=None)
    cut, below = base.layers[p.fine_tune_at], base.layers[p.fine_tune_at - 1]
    assert re.fullmatch(r"block_\d+_expand", cut.name), f"{cut.name}: not the first layer of a block"
    assert isinstance(below, keras.layers.Add), f"{below.name}: the block below ends with its residual Add"
    _unfreeze_as_06_does(base, p.fine_tune_at)
    assert top_trainable(base) == len(base.layers) - p.fine_tune_at, "06's slider opens at the layers above the cut"
    block = cut.name.rsplit("_", 1)[0]
    assert all(layer.name.startswith(block) for layer in base.layers[p.fine_tune_at:p.fine_tune_at + 8])
    assert not any(layer.name.startswith(block + "_") for layer in base.layers[:p.fine_tune_at]), "no block is split"
