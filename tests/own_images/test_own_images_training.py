"""Notebook 10's path on tiny models: resume after an interrupted fit, raw-photo export, where the folder comes from."""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import harness
import mock_photos
from helpers import config, data, images
from helpers.models import export_raw_image_model, load_raw_image_model, training_callbacks

SIZE = 32


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """Two classes of photos of assorted sizes and shapes: a bright one and a dark one."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for label, name in enumerate(("bright", "dark")):
        (root / name).mkdir()
        for i in range(10):
            h, w = int(rng.integers(30, 120)), int(rng.integers(30, 120))
            pixels = rng.integers(0, 128, (h, w, 3)).astype(np.uint8) + (0 if label else 127)
            Image.fromarray(pixels).save(root / name / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


def _tiny_model(num_classes: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(num_classes, dtype="float32")(x))
    model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class Disconnected(Exception):
    pass


class DisconnectAfter(keras.callbacks.Callback):
    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs
        self.weights: list[np.ndarray] = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs:
            self.weights = self.model.get_weights()
            raise Disconnected


def test_the_same_fit_resumes_after_an_interruption_from_the_backup(photo_folder, tmp_path):
    splits, _ = images.load_image_folder(photo_folder, SIZE)
    train = data.make_pipeline(splits.train, SIZE, batch_size=4, training=True)
    validation = data.make_pipeline(splits.validation, SIZE, batch_size=4)
    model = _tiny_model(splits.num_classes)
    callbacks = training_callbacks(tmp_path / "checkpoints", patience=100)
    cut = DisconnectAfter(2)
    with pytest.raises(Disconnected):
        model.fit(train, validation_data=validation, epochs=5, callbacks=[*callbacks, cut], verbose=0)
    assert (tmp_path / "checkpoints" / "backup" / "training_metadata.json").is_file()

    fresh = _tiny_model(splits.num_classes)  # as after a restart: a new kernel builds the model again
    restored_at_start = []

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):  # runs after BackupAndRestore's (it comes later in the list)
            restored_at_start.append(self.model.get_weights())

    history = fresh.fit(train, validation_data=validation, epochs=5, callbacks=[*callbacks, Spy()], verbose=0)
    assert history.epoch == [2, 3, 4], "it continues at epoch 3, not at epoch 1"
    for restored, saved in zip(restored_at_start[0], cut.weights, strict=True):
        np.testing.assert_array_equal(restored, saved)
    assert not (tmp_path / "checkpoints" / "backup").exists(), "a completed fit deletes its backup"
    assert (tmp_path / "checkpoints" / "best.keras").is_file()


def test_the_export_fed_raw_files_predicts_what_the_trained_model_predicted(photo_folder, tmp_path):
    splits, report = images.load_image_folder(photo_folder, SIZE)
    preprocess = data.preprocessing_for("mobilenet_v2")
    train = data.make_pipeline(splits.train, SIZE, preprocess, batch_size=4, training=True)
    test = data.make_pipeline(splits.test, SIZE, preprocess, batch_size=4)
    model = _tiny_model(splits.num_classes)
    model.fit(train, epochs=2, verbose=0)
    in_memory = model.predict(test, verbose=0)

    predict = load_raw_image_model(export_raw_image_model(model, tmp_path / "exported", SIZE, preprocess))
    raw = [images.decode_image(file)[0] for file in report.files["test"]]
    assert len({photo.shape for photo in raw}) > 1, "raw photos of different sizes"
    np.testing.assert_allclose(np.concatenate([predict(photo) for photo in raw]), in_memory, atol=1e-4)


def _phone_photo(path: Path, seed: int, size=(3000, 2250)) -> None:
    """A phone-sized JPEG: a small textured photo upscaled, as a camera's full-resolution file is big and smooth."""
    small = images.make_test_photos(path.parent / f".small{seed}", 1, 400, 300, seed=seed)[0]
    Image.open(small).resize(size, Image.Resampling.BICUBIC).save(path, "JPEG", quality=90)


def test_the_loader_and_the_export_see_the_same_pixels_of_a_phone_sized_jpeg(tmp_path):
    # the exported model decodes fully and resizes inside; a loader that decodes JPEGs at 1/8 scale (PIL's draft
    # mode) trained on other pixels: up to 6 levels apart at 96 px, and notebook 10's atol=1e-4 check fails
    size, root = 96, tmp_path / "photos"
    for label, name in enumerate(("bright", "dark")):
        (root / name).mkdir(parents=True)
        _phone_photo(root / name / "phone.jpg", seed=label)
        for i in range(2):
            _phone_photo(root / name / f"small{i}.jpg", seed=10 + 2 * label + i, size=(400, 300))
    splits, report = images.load_image_folder(root, size, validation_fraction=0.34, test_fraction=0.34)
    identity = keras.Sequential([keras.Input((size, size, 3)), keras.layers.Identity()])
    served = load_raw_image_model(export_raw_image_model(identity, tmp_path / "exported", size, None))
    phones = 0
    for split in ("train", "validation", "test"):
        loaded = np.concatenate([x for x, _ in getattr(splits, split).batch(8)])
        for pixels, file in zip(loaded, report.files[split], strict=True):
            raw = images.decode_image(file)[0]  # what notebook 10 feeds the export: the file, fully decoded
            phones += raw.shape[1] == 3000
            np.testing.assert_allclose(pixels, served(raw)[0], atol=1, err_msg=file.name)  # rounding only
    assert phones == 2


def test_example_folder_is_the_stand_in_offline():
    assert images.example_folder(config.PROFILES["offline"]) == images.STANDIN_FOLDER


def test_example_folder_on_the_mocked_real_path_is_in_flower_photos_layout(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("COURSE_HARNESS_DIR", str(tmp_path / "harness"))
    asked = []

    def fake(*args, **kwargs):
        asked.append((args, kwargs))
        return harness.fake_get_file(*args, **kwargs)

    monkeypatch.setattr(keras.utils, "get_file", fake)
    folder = images.example_folder(config.PROFILES["quick"])
    assert asked[0][0] == ("flower_photos", images.EXAMPLE_PHOTOS_URL) and asked[0][1]["extract"] is True
    assert asked[0][1]["file_hash"] == images.EXAMPLE_PHOTOS_SHA256
    splits, report = images.load_image_folder(folder, SIZE)
    assert splits.class_names == list(mock_photos.CLASSES) and splits.mirror_safe
    assert [(p.name, why) for p, why in report.skipped] == [("LICENSE.txt", "not inside a class folder")]


def test_the_mock_archive_unpacks_like_the_folder_it_stands_for(tmp_path):
    archive = mock_photos.fake_flower_photos(tmp_path, "flower_photos.tgz")
    folder = images.unpack_archive(archive, tmp_path / "unpacked")
    tree = mock_photos.fake_flower_photos(tmp_path, "flower_photos.tgz", extract=True)
    assert tree.endswith("flower_photos_extracted")  # Keras 3's name when fname has an extension
    listing = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert listing == sorted(mock_photos.files()) == sorted(
        p.relative_to(tree).as_posix() for p in Path(tree).rglob("*") if p.is_file())


def test_a_failed_download_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -2] Name unknown")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(ConnectionError, match="make prefetch.*IMAGE_FOLDER.*COURSE_PROFILE=offline"):
        images.example_folder(config.PROFILES["quick"])


def test_checkpoints_go_under_the_results_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    assert images.checkpoint_folder("run") == tmp_path / "checkpoints" / "run"
