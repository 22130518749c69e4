"""Tests for helpers.images: a folder of your own images, every broken or odd file reported."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import data, images


def _labels(ds) -> list[int]:
    """Every label of a batched dataset, in order."""
    return [int(v) for _, y in ds for v in y.numpy()]


def _save(path, image: Image.Image, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)


def _photo(seed: int, size=(48, 40)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


@pytest.fixture
def messy_folder(tmp_path):
    """cats and dogs with one file of every bad kind, an empty class and a class of only broken files."""
    root = tmp_path / "photos"
    for i in range(4):
        _save(root / "cats" / f"good{i}.jpg", _photo(i))
        _save(root / "dogs" / f"good{i}.png", _photo(10 + i, (70, 35)))
    _save(root / "dogs" / "nested" / "deep.jpg", _photo(20))
    jpeg = root / "cats" / "good0.jpg"
    (root / "cats" / "truncated.jpg").write_bytes(jpeg.read_bytes()[: len(jpeg.read_bytes()) // 2])
    (root / "cats" / "notes.jpg").write_text("this is not a picture")
    _save(root / "cats" / "alpha.png", Image.new("RGBA", (40, 40), (0, 0, 0, 0)))
    _save(root / "cats" / "gray.png", Image.new("L", (40, 40), 100))
    _save(root / "cats" / "cmyk.jpg", Image.new("CMYK", (40, 40), (0, 255, 255, 0)))
    _save(root / "cats" / "deep16.png", Image.fromarray(np.full((40, 40), 60000, np.uint16)))
    _save(root / "cats" / "tiny.png", _photo(30, (10, 10)))
    _save(root / "cats" / "palette.png", _photo(31).convert("P"))
    exif = Image.Exif()
    exif[0x0112] = 6
    _save(root / "dogs" / "rotated.jpg", _photo(32), exif=exif)
    (root / "empty").mkdir()
    (root / "broken").mkdir()
    (root / "broken" / "x.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (root / "README.txt").write_text("my photos")
    return root


def test_messy_folder_is_cleaned_and_every_problem_reported(messy_folder):
    splits, report = images.load_image_folder(messy_folder, 32, validation_fraction=0.25, seed=0)
    assert splits.class_names == ["cats", "dogs"] and splits.num_classes == 2
    assert report.counts == {"cats": 9, "dogs": 6}
    assert splits.sizes == {"train": 11, "validation": 4} and splits.test is None
    skipped = {p.name: why for p, why in report.skipped}
    assert set(skipped) == {"truncated.jpg", "notes.jpg", "tiny.png", "x.jpg", "README.txt"}
    assert "corrupt or truncated" in skipped["truncated.jpg"] and "not an image" in skipped["notes.jpg"]
    assert "too small" in skipped["tiny.png"] and "class folder" in skipped["README.txt"]
    converted = {p.name: why for p, why in report.converted}
    assert "alpha composited on white" in converted["alpha.png"] and "grayscale" in converted["gray.png"]
    assert "CMYK" in converted["cmyk.jpg"] and "P → RGB" in converted["palette.png"]
    assert "EXIF" in converted["rotated.jpg"]
    assert any(p.name == "deep16.png" and "16-bit" in why for p, why in report.converted)
    assert dict(report.dropped_classes) == {"empty": "empty folder", "broken": "no usable images"}
    text = str(report)
    assert "15 images in 2 classes" in text and "cats/truncated.jpg" in text and "empty: empty folder" in text

    batches = list(data.make_pipeline(splits.train, 32, data.preprocessing_for("vgg16"), batch_size=4,
                                      training=True, augment=data.augmentation_layers()))
    assert sum(len(y) for _, y in batches) == 11 and batches[0][0].shape[1:] == (32, 32, 3)
    assert _labels(data.make_pipeline(splits.validation, 32)).count(1) == 2  # stratified: 25% of 6 dogs


def test_converted_images_have_the_right_pixels(messy_folder):
    for name in ("cats", "dogs", "empty", "broken"):
        for p in (messy_folder / name).glob("*"):
            if p.name not in ("alpha.png", "gray.png", "deep16.png", "good0.png"):
                p.unlink() if p.is_file() else None
    splits, _ = images.load_image_folder(messy_folder, 16, validation_fraction=0.0, min_side=1)
    by_mean = {int(x.numpy().mean()): x.numpy() for x, _ in splits.train}
    assert 255 in by_mean  # transparent → white
    assert 100 in by_mean and (by_mean[100] == 100).all()  # grayscale copied to three equal channels
    assert round(60000 / 257) in by_mean  # 16-bit scaled to 8-bit


def test_keras_image_dataset_from_directory_crashes_where_ours_does_not(tmp_path):
    root = tmp_path / "photos"
    for i in range(3):
        _save(root / "a" / f"{i}.jpg", _photo(i))
        _save(root / "b" / f"{i}.jpg", _photo(10 + i))
    good = (root / "a" / "0.jpg").read_bytes()
    (root / "a" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (root / "b" / "text.jpg").write_text("not an image")
    keras_ds = keras.utils.image_dataset_from_directory(root, image_size=(32, 32), batch_size=8, verbose=False)
    with pytest.raises(tf.errors.InvalidArgumentError):
        for _ in keras_ds:
            pass
    splits, report = images.load_image_folder(root, 32, validation_fraction=0.0)
    assert len(report.skipped) == 2 and sum(len(y) for _, y in data.make_pipeline(splits.train, 32)) == 6


def test_missing_or_unusable_folder_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        images.load_image_folder(tmp_path / "nope", 32)
    with pytest.raises(ValueError, match="at least 2"):
        images.load_image_folder(tmp_path, 32)
    _save(tmp_path / "only" / "a.png", _photo(0))
    with pytest.raises(ValueError, match="1 class folder"):
        images.load_image_folder(tmp_path, 32)
    with pytest.raises(ValueError, match="validation_fraction"):
        images.load_image_folder(tmp_path, 32, validation_fraction=1.0)
