"""The test harness itself: the network guard, and the real path with its network boundary replaced."""
from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import keras
import pytest

import harness
from conftest import save_hub_model
from helpers import catalogue, models, runtime


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
def _shipped_photos() -> list[tuple[str, bytes]]:
    """``(class/file name, JPEG bytes)`` of every photo in data/tfds/flower_photos_small, in harness order."""
    import tensorflow as tf

    shards, _ = harness.shipped_shards("flower_photos_small")
    examples = [tf.train.Example.FromString(r.numpy()).features.feature for r in tf.data.TFRecordDataset(
        [str(shard) for shard in shards])]
    return [(f["image/filename"].bytes_list.value[0].decode(), f["image"].bytes_list.value[0]) for f in examples]


def test_mock_real_tf_flowers_is_the_shipped_photos_in_the_real_split_specs():
    import numpy as np
    import tensorflow as tf

    from helpers import data

    shipped = _shipped_photos()
    with harness.mock_tfds():
        flowers = data.load_dataset("tf_flowers", "quick")  # train[:30%], train[80%:85%], train[90%:] of 998
        cats = data.load_dataset("cats_vs_dogs", "quick")
    assert flowers.class_names == ["dandelion", "daisy", "tulips", "sunflowers", "roses"]  # tf_flowers' label order
    assert flowers.sizes == {"train": 299, "validation": 50, "test": 100}
    for split, first in (("train", 0), ("validation", 798), ("test", 898)):
        image, label = next(iter(getattr(flowers, split)))
        np.testing.assert_array_equal(image, tf.io.decode_jpeg(shipped[first][1], channels=3))  # the photo's pixels
        assert flowers.class_names[int(label)] == shipped[first][0].split("/")[0]
    assert cats.class_names == ["cat", "dog"] and set(cats.sizes.values()) == {harness.MOCK_EXAMPLES}  # random


def test_mock_real_photo_archive_holds_shipped_photos_each_credited():
    import mock_photos

    shipped = dict(_shipped_photos())
    tree = mock_photos.files()
    photos = {path.removeprefix("flower_photos/"): content for path, content in tree.items()
              if path.endswith(".jpg")}
    assert len(photos) == len(mock_photos.CLASSES) * mock_photos.PER_CLASS
    assert all(shipped[name] == content for name, content in photos.items())  # real JPEGs, under their real names
    licence = tree["flower_photos/LICENSE.txt"].decode()
    assert licence.startswith("All images in this archive are licensed under the Creative Commons")
    assert sorted(line.split(" ")[0] for line in licence.split("\n\n", 1)[1].splitlines()) == sorted(photos)
