"""What notebook 03 says about Keras' random rotation and zoom, and 01 about a new BatchNorm's statistics, shown on
tiny inputs (the format of tests/keras_behaviour/test_keras_behaviour.py: each test's ``Backs:`` lines quote the
sentences it backs, and that module's checker verifies they still stand in their files)."""
from __future__ import annotations

import keras
import numpy as np

from helpers.data import augmentation_layers

NB03 = "notebooks/03_preprocess_your_data.ipynb"


def _edge_object(size: int = 32) -> np.ndarray:
    """A batch of one dark image with a bright bar along its left edge, one pixel wide."""
    image = np.zeros((1, size, size, 3), "float32")
    image[:, 8:24, :1] = 255.0
    return image


def test_a_default_rotation_mirrors_the_image_into_the_corners_the_course_fills_them_with_black():
    """Backs:
      notebooks/03_preprocess_your_data.ipynb: "Keras fills the corners a rotation uncovers with a mirror image by default"
      notebooks/03_preprocess_your_data.ipynb: "`augmentation_layers` fills them with black instead."
    """
    bright = np.full((1, 32, 32, 3), 200.0, "float32")
    default = keras.layers.RandomRotation((0.1, 0.1), seed=0)  # 36 degrees, Keras' default fill_mode
    assert default.fill_mode == "reflect"
    assert np.asarray(default(bright, training=True)).min() > 150  # corners filled with the image itself
    rotation = next(layer for layer in augmentation_layers().layers if isinstance(layer, keras.layers.RandomRotation))
    assert rotation.fill_mode == "constant"
    black_corners = keras.layers.RandomRotation((0.1, 0.1), fill_mode="constant", seed=0)(bright, training=True)
    assert np.asarray(black_corners)[0, 0, 0].max() == 0.0


def test_zooming_in_can_crop_an_object_at_the_edge_out_of_frame_the_course_only_zooms_out():
    """Backs:
      notebooks/03_preprocess_your_data.ipynb: "It also only zooms out: zooming in crops the edges"
    """
    zoom_in = keras.layers.RandomZoom((-0.1, -0.1), fill_mode="constant", seed=0)  # negative: zoom in by 10%
    assert np.asarray(zoom_in(_edge_object(), training=True)).max() < 50  # the bar is gone
    zoom = next(layer for layer in augmentation_layers().layers if isinstance(layer, keras.layers.RandomZoom))
    assert zoom.height_factor == (0.0, 0.1) and zoom.fill_mode == "constant"
    for seed in range(5):
        shown = augmentation_layers(seed=seed, flip=False)(_edge_object(), training=True)
        assert np.asarray(shown).max() > 100  # still in frame after every draw


NB01 = "notebooks/01_what_is_transfer_learning.ipynb"


def test_a_new_batchnorm_normalises_nothing_in_inference_mode_until_its_statistics_are_estimated():
    """Backs:
      notebooks/01_what_is_transfer_learning.ipynb: "a new `BatchNormalization` layer's moving statistics start at mean 0 and variance 1, so in inference mode it normalises nothing"
      notebooks/01_what_is_transfer_learning.ipynb: "A fair random baseline re-estimates the moving statistics on training photos, a few batches in training mode"
    """
    from helpers.standins import recalibrate_batchnorm

    x = np.random.default_rng(0).normal(5.0, 0.1, (64, 4)).astype("float32")  # far from mean 0, variance 1
    bn = keras.layers.BatchNormalization()
    model = keras.Sequential([keras.Input((4,)), bn])
    assert np.allclose(bn.moving_mean.numpy(), 0) and np.allclose(bn.moving_variance.numpy(), 1)
    np.testing.assert_allclose(model(x, training=False), x / np.sqrt(1 + bn.epsilon), rtol=1e-5)  # (x - 0) / 1
    recalibrate_batchnorm(model, x, batch=16, batches=4)  # a few batches, as 01 does
    normalised = np.asarray(model(x, training=False))
    assert abs(normalised.mean()) < 1e-3 and 0.5 < normalised.std() < 1.5
