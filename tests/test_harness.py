"""The test harness itself: the network guard, and the real path with its network boundary replaced."""
from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import harness
import mock_photos
from conftest import save_hub_model
from helpers import catalogue, data, models, runtime, standins


def test_network_guard_blocks_and_records_a_connection(network_attempts):
    with pytest.raises(harness.NetworkBlocked):
        socket.create_connection(("tfhub.dev", 443), timeout=1)
    assert "tfhub.dev" in network_attempts()


def test_network_guard_lets_loopback_through(network_attempts):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()
    assert network_attempts() == ""


def test_hub_cache_is_never_tf_hubs_default_folder(monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", "/tmp/tfhub_modules")
    with pytest.raises(RuntimeError, match="temporary folder"):
        harness.populate_hub_cache()


def test_standins_placed_in_the_hub_cache_resolve_the_real_handles_offline(monkeypatch, tmp_path, fresh_profile):
    tiny = {}
    for name, spec in catalogue.MODELS.items():  # tiny stand-ins in place of the shipped ones
        if spec.source == "tfhub":  # the shipped real re-export where there is one, else the stand-in
            field = "offline_real" if spec.offline_real else "standin"
            tiny_model = save_hub_model(tmp_path / "models" / getattr(spec, field).name, standin=field == "standin")
            spec = dataclasses.replace(spec, **{field: tiny_model})
        tiny[name] = spec
    monkeypatch.setattr(catalogue, "MODELS", tiny)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    placed = harness.populate_hub_cache()
    assert {p.name for p in placed} == {runtime.hub_cache_path(catalogue.TFHUB_MOBILENET_V2).name,
                                        runtime.hub_cache_path(catalogue.TFHUB_MOBILENET_V2_CLASSIFIER).name}
    layer = models.HubLayer(models.model_handle("mobilenet_v2_hub"))  # the real URL, served from the cache
    assert layer.handle == catalogue.TFHUB_MOBILENET_V2 and layer.weights


def test_fake_keras_download_gives_real_architecture_weights(monkeypatch, tmp_path, fresh_profile):
    monkeypatch.setenv("COURSE_HARNESS_DIR", str(tmp_path))
    monkeypatch.setattr(keras.src.utils.file_utils, "get_file", harness.fake_get_file)
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    base = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                          input_shape=(96, 96, 3))
    assert base.get_layer("Conv1").kernel.shape == (3, 3, 3, 16)
    assert list(tmp_path.glob("mobilenet_v2_*0.35_96_no_top.weights.h5"))


def test_fake_class_index_feeds_decode_predictions(monkeypatch, tmp_path):
    import numpy as np

    monkeypatch.setenv("COURSE_HARNESS_DIR", str(tmp_path))
    monkeypatch.setattr(keras.src.utils.file_utils, "get_file", harness.fake_get_file)
    scores = np.zeros((1, 1000))
    scores[0, 7] = 1
    top = keras.applications.imagenet_utils.decode_predictions(scores, top=1)
    assert top[0][0][1] == "mock_class_7"


def test_unknown_downloads_are_refused_and_recorded(monkeypatch, tmp_path, network_attempts):
    monkeypatch.setenv("COURSE_HARNESS_DIR", str(tmp_path))
    with pytest.raises(harness.NetworkBlocked, match="no fake"):
        harness.fake_get_file("mystery.zip", "https://example.org/mystery.zip")
    assert "mystery.zip" in network_attempts()


def test_notebook_kernels_get_the_harness_startup_file():
    import os

    startup = Path(os.environ["IPYTHONDIR"]) / "profile_default" / "startup" / "00_course_harness.py"
    assert "harness" in startup.read_text() and os.environ["TFHUB_CACHE_DIR"] != "/tmp/tfhub_modules"


# ---------------------------------------------------------------- mock-real: real photos where they exist
def _shipped_photos() -> dict[bytes, str]:
    """``{JPEG bytes: class/file name}`` of every photo in data/tfds/flower_photos_small, read without the harness."""
    shards = (standins.TFDS_DIR / "flower_photos_small").glob("*/*.tfrecord-*")
    records = tf.data.TFRecordDataset([str(shard) for shard in shards])
    examples = [tf.train.Example.FromString(record).features.feature for record in records.as_numpy_iterator()]
    return {f["image"].bytes_list.value[0]: f["image/filename"].bytes_list.value[0].decode() for f in examples}


def test_mock_real_tf_flowers_is_shipped_photos_in_the_real_split_specs():
    shipped = _shipped_photos()
    served = [tf.train.Example.FromString(r).features.feature["image"].bytes_list.value[0]
              for r in harness.served_records("flower_photos_small")]
    assert len(served) == 100 and all(photo in shipped for photo in served)
    with harness.mock_tfds():
        flowers = data.load_dataset("tf_flowers", "quick")  # train[:30%], train[80%:85%], train[90%:] of 100
        cats = data.load_dataset("cats_vs_dogs", "quick")
    assert flowers.class_names == ["dandelion", "daisy", "tulips", "sunflowers", "roses"]  # tf_flowers' label order
    assert flowers.sizes == {"train": 30, "validation": 5, "test": 10}
    for split, first in (("train", 0), ("validation", 80), ("test", 90)):
        images, labels = zip(*getattr(flowers, split).as_numpy_iterator())
        np.testing.assert_array_equal(images[0], tf.io.decode_jpeg(served[first], channels=3))  # a photo's pixels
        assert [flowers.class_names[label] for label in labels] == [
            shipped[photo].split("/")[0] for photo in served[first:first + len(labels)]]
        assert set(labels) == set(range(5)), f"every class in {split}"
    assert cats.class_names == ["cat", "dog"] and set(cats.sizes.values()) == {harness.MOCK_EXAMPLES}  # random


def test_mock_real_photo_archive_holds_shipped_photos_each_credited():
    shipped = _shipped_photos()
    tree = mock_photos.files()
    photos = {path.removeprefix("flower_photos/"): content for path, content in tree.items()
              if path.endswith(".jpg")}
    assert all(shipped.get(content) == name for name, content in photos.items())  # real JPEGs, with their names
    assert sorted(name.split("/")[0] for name in photos) == sorted(mock_photos.CLASSES * mock_photos.PER_CLASS)
    licence = tree["flower_photos/LICENSE.txt"].decode()
    assert licence.startswith("All images in this archive are licensed under the Creative Commons")
    assert sorted(line.split(" ")[0] for line in licence.split("\n\n", 1)[1].splitlines()) == sorted(photos)
