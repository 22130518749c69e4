"""Tests for helpers.data: loading, preprocessing, pipelines, cached features, bring-your-own images.

Offline by construction: tfds is mocked (tfds.testing.mock_data) or reads the bundled stand-ins, and the
network check is replaced by a stub.
"""
from __future__ import annotations

import os
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_datasets as tfds  # noqa: E402

from helpers import catalogue, config, data, runtime, standins  # noqa: E402


def _examples(n: int, seed: int = 0, labels=None) -> tf.data.Dataset:
    """n (uint8 image of random size, int64 label) examples; label i by default, so order is visible."""
    rng = np.random.default_rng(seed)
    images = [rng.integers(0, 256, (rng.integers(20, 50), rng.integers(20, 50), 3), dtype=np.uint8)
              for _ in range(n)]
    labels = list(range(n)) if labels is None else labels
    return tf.data.Dataset.from_generator(
        lambda: zip(images, labels),
        output_signature=(tf.TensorSpec((None, None, 3), tf.uint8), tf.TensorSpec((), tf.int64)))


def _labels(ds: tf.data.Dataset) -> list[int]:
    return [int(v) for _, y in ds for v in y.numpy()]


# ---------------------------------------------------------------------------------------------- loading
@pytest.mark.parametrize("name, classes", [("cats_vs_dogs", ["cat", "dog"]), ("tf_flowers", None)])
def test_load_dataset_under_mock_data_gives_three_splits_class_names_and_sizes(name, classes):
    with tfds.testing.mock_data(num_examples=6):
        splits = data.load_dataset(name, "quick")
    assert splits.num_classes == catalogue.DATASETS[name].num_classes
    if classes:
        assert splits.class_names == classes
    assert splits.sizes == {"train": 6, "validation": 6, "test": 6}  # mock_data: same N in every split
    image, label = next(iter(splits.test))
    assert image.dtype == tf.uint8 and image.shape[-1] == 3 and label.shape == ()


def test_load_dataset_without_profile_uses_the_active_one(monkeypatch):
    asked = os.environ.get("COURSE_PROFILE", "auto")  # decided for the current COURSE_PROFILE: not decided again
    monkeypatch.setattr(config, "_RESOLVED", config.Resolution(config.PROFILES["full"], "test", False, asked))
    with tfds.testing.mock_data(num_examples=3):
        assert data.load_dataset("cats_vs_dogs").sizes["train"] == 3


def test_unknown_dataset_name_is_a_clear_value_error():
    with pytest.raises(ValueError, match="cats_vs_dogs"):
        data.load_dataset("imagenet", "offline")


def test_missing_offline_standin_says_where_it_should_be(monkeypatch, tmp_path):
    monkeypatch.setattr(standins, "TFDS_DIR", tmp_path)
    with pytest.raises(data.DatasetUnavailableError, match="data/tfds"):
        data.load_dataset("cats_vs_dogs", "offline")


def test_missing_real_dataset_without_network_says_prefetch_or_go_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(runtime, "hosts_reachable", lambda **kw: {"storage.googleapis.com": False})
    with pytest.raises(data.DatasetUnavailableError, match="COURSE_PROFILE=offline") as caught:
        data.load_dataset("tf_flowers", "quick")
    assert "prefetch" in str(caught.value) and caught.value.__cause__ is None


def test_real_dataset_is_downloaded_only_when_missing_and_hosts_answer(monkeypatch, tmp_path):
    calls = []
    unknown_size = _examples(4).filter(lambda x, y: True)  # cardinality unknown: must be counted

    def fake_load(name, split, data_dir, as_supervised, with_info, download):
        calls.append(download)
        if not download:
            raise AssertionError("not prepared")
        info = types.SimpleNamespace(features={"label": types.SimpleNamespace(names=["a", "b"])})
        return [unknown_size] * 3, info

    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(runtime, "hosts_reachable", lambda **kw: {"storage.googleapis.com": True})
    monkeypatch.setattr(tfds, "load", fake_load)
    splits = data.load_dataset("cats_vs_dogs", "quick")
    assert calls == [False, True]
    assert splits.sizes == {"train": 4, "validation": 4, "test": 4}


@pytest.mark.parametrize("name", sorted(catalogue.DATASETS))
@pytest.mark.parametrize("base", [None, "vgg16"])
def test_bundled_offline_dataset_loads(name, base):
    """Offline: the real photos (any size, at most 160 px), or for VGG16 its 64 px glyph stand-in."""
    spec = catalogue.DATASETS[name]
    splits = data.load_dataset(name, "offline", base=base)
    assert splits.num_classes == spec.num_classes
    assert splits.class_names == list(spec.offline_classes if base is None else spec.standin_classes)
    assert set(splits.sizes) == {"train", "validation", "test"} and min(splits.sizes.values()) > 0
    image, label = next(iter(splits.train))
    assert image.dtype == tf.uint8 and image.shape[-1] == 3 and 0 <= int(label) < spec.num_classes
    assert image.shape == (64, 64, 3) if base else max(image.shape[:2]) <= 160
    assert splits.sizes["train"] == sum(1 for _ in splits.train)  # the recorded size is the real count


# ------------------------------------------------------------------------------------------ preprocessing
@pytest.mark.parametrize("model, expected", [
    ("vgg16", keras.applications.vgg16.preprocess_input),
    ("resnet50", keras.applications.resnet50.preprocess_input),
    ("mobilenet_v2", keras.applications.mobilenet_v2.preprocess_input),
    ("efficientnet_b0", keras.applications.efficientnet.preprocess_input),
    ("mobilenet_v2_hub", data.rescale_to_unit),
    ("mobilenet_v2_hub_classifier", data.rescale_to_unit),
    ("caffe", keras.applications.vgg16.preprocess_input),
])
def test_preprocessing_for_returns_the_family_function(model, expected):
    assert data.preprocessing_for(model) is expected


def test_preprocessing_for_unknown_model_lists_the_choices():
    with pytest.raises(ValueError, match="vgg16"):
        data.preprocessing_for("inception_v3")


def _pixels() -> tf.Tensor:
    """A 1×1×2 float image: one pure-red pixel (255, 0, 0) and one black pixel."""
    return tf.constant([[[[255.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]])


@pytest.mark.parametrize("convention, low, high", [("[0,1]", 0.0, 1.0), ("[-1,1]", -1.0, 1.0),
                                                   ("raw [0,255]", 0.0, 255.0)])
def test_scaling_conventions_give_their_documented_range(convention, low, high):
    out = np.asarray(data.preprocessing_for(convention)(_pixels()))
    assert out[0, 0, 0, 0] == pytest.approx(high) and out[0, 0, 1, 0] == pytest.approx(low)
    assert out[0, 0, 0, 1] == pytest.approx(low)


def test_caffe_is_bgr_with_imagenet_mean_subtracted_and_no_scaling():
    out = np.asarray(data.preprocessing_for("vgg16")(_pixels()))
    mean_bgr = np.array([103.939, 116.779, 123.68])
    np.testing.assert_allclose(out[0, 0, 0], np.array([0.0, 0.0, 255.0]) - mean_bgr, rtol=1e-5)  # red is last
    np.testing.assert_allclose(out[0, 0, 1], -mean_bgr, rtol=1e-5)


def test_resize_stretches_to_a_square_and_stays_in_0_255():
    image = tf.constant(np.random.default_rng(0).integers(0, 256, (30, 90, 3)), tf.uint8)
    out = data.resize(image, 16)
    assert out.shape == (16, 16, 3) and out.dtype == tf.float32
    assert 0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 255
    assert data.resize(tf.stack([image, image]), 8).shape == (2, 8, 8, 3)


# ------------------------------------------------------------------------------------------- pipelines
def test_pipeline_gives_float_batches_of_the_right_shape_in_input_order():
    ds = data.make_pipeline(_examples(10), 24, batch_size=4)
    shapes = [tuple(x.shape) for x, _ in ds]
    assert shapes == [(4, 24, 24, 3), (4, 24, 24, 3), (2, 24, 24, 3)]
    x, y = next(iter(ds))
    assert x.dtype == tf.float32 and y.dtype == tf.int64
    assert _labels(ds) == list(range(10))  # evaluation order is deterministic and unshuffled


def test_training_shuffle_is_seeded_and_changes_every_epoch():
    first = data.make_pipeline(_examples(32), 8, training=True, seed=1)
    again = data.make_pipeline(_examples(32), 8, training=True, seed=1)
    epoch1, epoch2 = _labels(first), _labels(first)
    assert sorted(epoch1) == list(range(32)) and epoch1 != list(range(32))
    assert epoch1 == _labels(again)  # same seed, same order
    assert epoch2 != epoch1  # reshuffled each epoch


def test_augmentation_happens_only_in_training():
    augment = data.augmentation_layers(seed=3)
    base = dict(image_size=32, batch_size=8, shuffle_buffer=1)  # buffer 1 keeps the order
    plain_eval = np.concatenate([x for x, _ in data.make_pipeline(_examples(8), **base)])
    eval_aug = np.concatenate([x for x, _ in data.make_pipeline(_examples(8), augment=augment, **base)])
    plain_train = np.concatenate([x for x, _ in data.make_pipeline(_examples(8), training=True, **base)])
    train_aug = np.concatenate([x for x, _ in data.make_pipeline(_examples(8), training=True, augment=augment,
                                                                 **base)])
    np.testing.assert_array_equal(eval_aug, plain_eval)
    np.testing.assert_array_equal(plain_train, plain_eval)
    assert np.abs(train_aug - plain_train).mean() > 1.0


def test_flip_is_optional_and_the_stand_ins_are_not_mirror_safe():
    assert [type(layer).__name__ for layer in data.augmentation_layers(flip=False).layers] == [
        "RandomRotation", "RandomZoom"]
    assert type(data.augmentation_layers().layers[0]).__name__ == "RandomFlip"
    assert data.load_dataset("tf_flowers", "offline", base="vgg16").mirror_safe is False  # glyph digits are not
    assert data.load_dataset("tf_flowers", "offline").mirror_safe is True  # the real flower photos are
    with tfds.testing.mock_data(num_examples=3):
        assert data.load_dataset("tf_flowers", "quick").mirror_safe is True  # flowers are


def _augmentation_draws(augment: keras.Sequential, batch: int = 256) -> dict[str, np.ndarray]:
    """Each random layer's draw for a batch, as the layer's own call makes it: one number per image."""
    images = np.zeros((batch, 8, 8, 3), "float32")
    keys = {"RandomFlip": "flips", "RandomRotation": "angle", "RandomZoom": "height_zoom"}
    return {type(layer).__name__: np.asarray(layer.get_random_transformation(images, training=True)[
        keys[type(layer).__name__]], "float64").ravel() for layer in augment.layers}


def test_augmentation_layers_draw_independently():
    # equal seeds give Keras seed generators equal states, hence equal draws: flipped <=> rotated one way <=> zoomed
    augment = data.augmentation_layers(seed=3)
    states = [tuple(layer.generator.state.numpy()) for layer in augment.layers]
    assert len(set(states)) == len(states), states
    draws = _augmentation_draws(augment)
    for first, second in [("RandomFlip", "RandomRotation"), ("RandomFlip", "RandomZoom"),
                          ("RandomRotation", "RandomZoom")]:
        correlation = np.corrcoef(draws[first], draws[second])[0, 1]
        assert abs(correlation) < 0.2, (first, second, correlation)  # 256 independent draws: |r| ~ 0.06


def test_augmentation_layers_same_seed_same_draws_and_flip_does_not_shift_the_others():
    first, again = _augmentation_draws(data.augmentation_layers(seed=3)), _augmentation_draws(
        data.augmentation_layers(seed=3))
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    other = _augmentation_draws(data.augmentation_layers(seed=4))
    assert not np.array_equal(first["RandomRotation"], other["RandomRotation"])
    no_flip = _augmentation_draws(data.augmentation_layers(seed=3, flip=False))
    np.testing.assert_array_equal(no_flip["RandomRotation"], first["RandomRotation"])
    np.testing.assert_array_equal(no_flip["RandomZoom"], first["RandomZoom"])
    images = np.random.default_rng(0).uniform(0, 255, (4, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(data.augmentation_layers(seed=3)(images, training=True),
                                  data.augmentation_layers(seed=3)(images, training=True))


def test_plain_function_can_augment_and_preprocess_runs_last():
    ds = data.make_pipeline(_examples(4), 8, preprocess=lambda x: x / 1000.0, training=True,
                            augment=lambda x: x + 1000.0, shuffle_buffer=1)
    x = np.concatenate([b for b, _ in ds])
    assert x.min() >= 1.0 and x.max() <= 1.255 + 1e-6


def test_one_cache_serves_pipelines_with_different_preprocessing(tmp_path):
    examples = _examples(6)
    unit = np.concatenate([x for x, _ in data.make_pipeline(examples, 16, data.preprocessing_for("[0,1]"))])
    sym = np.concatenate([x for x, _ in data.make_pipeline(examples, 16, data.preprocessing_for("[-1,1]"),
                                                            cache=str(tmp_path / "cache"))])
    assert unit.min() >= 0 and unit.max() <= 1
    np.testing.assert_allclose(sym, unit * 2 - 1, atol=1e-5)
    assert list(tmp_path.iterdir())  # the file cache was written


def test_pipeline_does_not_cache_what_does_not_fit_in_memory(monkeypatch):
    monkeypatch.setattr(data, "MEMORY_CACHE_LIMIT", 100)
    with pytest.warns(UserWarning, match="cache"):
        ds = data.make_pipeline(_examples(4).apply(tf.data.experimental.assert_cardinality(4)), 16)
    assert _labels(ds) == [0, 1, 2, 3]


def test_pipeline_does_not_cache_a_stream_of_unknown_size_in_memory():
    stream = _examples(4).filter(lambda image, label: True)  # cardinality unknown, like a TFRecord stream
    assert int(stream.cardinality()) < 0
    with pytest.warns(UserWarning, match="unknown size may not fit"):
        ds = data.make_pipeline(stream, 16)
    assert _labels(ds) == [0, 1, 2, 3]


# ---------------------------------------------------------------------------------------- cached features
def _tiny_base(seed: int = 0) -> keras.Model:
    """A small conv base with BatchNorm whose stored statistics differ from batch statistics."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, strides=2)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    base = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    bn = base.layers[2]
    bn.moving_mean.assign(np.full(8, -0.2, np.float32))
    bn.moving_variance.assign(np.full(8, 0.25, np.float32))
    base.trainable = False
    return base


def _separable(n: int, seed: int) -> tf.data.Dataset:
    """Class 1 images are brighter than class 0: a base with random weights still separates them."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(0, 0.6, (n, 16, 16, 3)) + 0.4 * labels[:, None, None, None]
    return tf.data.Dataset.from_tensor_slices((images.astype(np.float32), labels.astype(np.int64)))


def test_extract_features_runs_the_base_in_inference_mode():
    base = _tiny_base()
    base.trainable = True  # a trainable base's BatchNorm would use batch statistics if called with training=True
    ds = _separable(20, 0)
    features, labels = extract = data.extract_features(base, ds.batch(8))
    assert features.shape == (20, 8) and labels.shape == (20,)
    images = np.stack([x for x, _ in ds])
    np.testing.assert_allclose(features, base(images, training=False), atol=1e-5)
    unbatched = data.extract_features(base, ds, batch_size=6)
    np.testing.assert_allclose(unbatched[0], extract[0], atol=1e-5)
    np.testing.assert_array_equal(unbatched[1], labels)
    assert not np.allclose(features, base(images, training=True), atol=1e-3)  # (this call moves BN statistics)


def test_extract_features_accepts_any_callable_and_refuses_an_empty_dataset():
    features, _ = data.extract_features(lambda x: tf.reduce_mean(x, axis=[1, 2]), _separable(5, 0).batch(2))
    assert features.shape == (5, 3)
    pooled, _ = data.extract_features(keras.layers.GlobalAveragePooling2D(), _separable(5, 0).batch(2))
    np.testing.assert_allclose(pooled, features, atol=1e-6)  # a bare keras layer works too
    with pytest.raises(ValueError, match="empty"):
        data.extract_features(lambda x: x, _separable(5, 0).take(0).batch(2))


def test_features_dataset_batches_and_reshuffles():
    features, labels = np.arange(20, dtype=np.float32)[:, None], np.arange(20)
    ordered = data.features_dataset(features, labels, batch_size=8, shuffle=False)
    assert [len(y) for _, y in ordered] == [8, 8, 4] and _labels(ordered) == list(range(20))
    shuffled = data.features_dataset(features, labels, batch_size=8, seed=0)
    first, second = _labels(shuffled), _labels(shuffled)
    assert sorted(first) == list(range(20)) and first != list(range(20)) and first != second
    assert all(int(f[0]) == int(y) for fb, yb in shuffled for f, y in zip(fb.numpy(), yb.numpy()))


def test_cached_features_train_the_same_head_as_recomputing_the_base():
    base = _tiny_base()
    train, val = _separable(96, 1), _separable(64, 2)
    keras.utils.set_random_seed(1)
    head = keras.layers.Dense(2, activation="softmax")
    slow = keras.Sequential([keras.Input((16, 16, 3)), base, head])
    fast_head = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, activation="softmax")])
    fast_head.layers[-1].set_weights(head.get_weights())
    for model in (slow, fast_head):
        model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy", metrics=["accuracy"])
    slow.fit(train.batch(16), epochs=4, verbose=0, shuffle=False)
    train_features, train_labels = data.extract_features(base, train.batch(16))
    fast_head.fit(data.features_dataset(train_features, train_labels, 16, shuffle=False), epochs=4,
                  verbose=0, shuffle=False)
    slow_acc = slow.evaluate(val.batch(16), verbose=0)[1]
    val_features, val_labels = data.extract_features(base, val.batch(16))
    fast_acc = fast_head.evaluate(val_features, val_labels, verbose=0)[1]
    assert slow_acc > 0.8  # the task is learnable, so equal accuracies mean something
    assert abs(slow_acc - fast_acc) <= 0.05
    np.testing.assert_allclose(fast_head.layers[-1].get_weights()[0], head.get_weights()[0], atol=1e-3)
