"""benchmarks/transfer_gain.py builds what the notebooks build, and its runs work end to end (1 epoch)."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import transfer_gain  # noqa: E402

from helpers.config import PROFILES  # noqa: E402

ONE_EPOCH = dataclasses.replace(PROFILES["offline"], head_epochs=1, fine_tune_epochs=1)


@pytest.fixture(scope="module")
def five() -> transfer_gain.Run:
    return transfer_gain.Run("glyphs_five", ONE_EPOCH)


def test_each_target_set_uses_its_notebooks_base_head_and_augmentation(five) -> None:
    assert five.splits.class_names == ["two", "four", "five", "seven", "nine"]
    model, base, head = five.network(pretrained=True)
    assert base.name == "vgg16_standin" and not base.trainable
    assert [type(layer).__name__ for layer in head.layers] == [
        "GlobalAveragePooling2D", "Dense", "Dropout", "Dense"]  # exercise 07's head
    assert model.output_shape == (None, 5)
    binary = transfer_gain.Run("glyphs_binary", ONE_EPOCH)
    model, base, head = binary.network(pretrained=False)
    assert base.trainable and "mobilenet" in base.name
    assert [type(layer).__name__ for layer in head.layers] == ["GlobalAveragePooling2D", "Dropout", "Dense"]
    assert model.output_shape == (None, 1)  # notebook 06's single logit
    assert binary.augment and not five.augment
    # glyphs are digits: the training batches are never mirrored
    assert not binary.splits.mirror_safe


def test_runs_return_accuracies_and_scratch_reports_its_train_accuracy(five) -> None:
    frozen, fine_tuned = five.pretrained(seed=0)
    scratch = five.scratch(seed=0, learning_rate=1e-3)
    assert set(scratch) == {"train", "validation", "test"}
    for value in (frozen, fine_tuned, *scratch.values()):
        assert 0.0 <= value <= 1.0
    assert frozen > 0.2 + 0.15, "one epoch on the pre-trained features already beats chance (0.2) clearly"


def test_precise_batchnorm_sets_the_statistics_of_the_training_set() -> None:
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    x = np.random.default_rng(0).normal(5.0, 2.0, (64, 3)).astype("float32")
    transfer_gain.recalibrate_batchnorm(model, x, batch=len(x), batches=1)  # as the benchmark calls it
    bn = model.layers[-1]
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=0), rtol=1e-3)
    assert bn.momentum == 0.99
