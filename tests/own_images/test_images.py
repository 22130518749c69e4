"""Tests for helpers.images: one decoder for every image file, and a folder loader that reports what it did."""
from __future__ import annotations

import io
import tarfile
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import data, images, standins


def _labels(ds) -> list[int]:
    """Every label of a batched dataset, in order."""
    return [int(v) for _, y in ds for v in y.numpy()]


def _save(path, image: Image.Image, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)


def _photo(seed: int, size=(48, 40)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def _bytes(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _class_folder(root, name: str, count: int, seed: int = 0) -> None:
    for i in range(count):
        _save(root / name / f"{i:03d}.png", _photo(seed * 1000 + i))


@pytest.fixture
def messy_folder(tmp_path):
    """cats and dogs with one file of every bad and odd kind, an empty class and a class of only broken files."""
    root = tmp_path / "photos"
    for i in range(4):
        _save(root / "cats" / f"good{i}.jpg", _photo(i))
        _save(root / "dogs" / f"good{i}.png", _photo(10 + i, (70, 35)))
    _save(root / "dogs" / "nested" / "deep.jpg", _photo(20))
    jpeg = (root / "cats" / "good0.jpg").read_bytes()
    (root / "cats" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (root / "cats" / "notes.jpg").write_text("this is not a picture")
    (root / "cats" / "empty.jpg").write_bytes(b"")
    _save(root / "cats" / "alpha.png", Image.new("RGBA", (40, 40), (0, 0, 0, 0)))
    _save(root / "cats" / "gray.png", Image.new("L", (40, 40), 100))
    _save(root / "cats" / "cmyk.jpg", Image.new("CMYK", (40, 40), (0, 255, 255, 0)))
    _save(root / "cats" / "deep16.png", Image.fromarray(np.full((40, 40), 60000, np.uint16)))
    _save(root / "cats" / "tiny.png", _photo(30, (6, 6)))
    _save(root / "cats" / "palette.png", _photo(31).convert("P"))
    exif = Image.Exif()
    exif[0x0112] = 6
    _save(root / "dogs" / "rotated.jpg", _photo(32), exif=exif)
    (root / "cats" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "empty").mkdir()
    (root / "broken").mkdir()
    (root / "broken" / "x.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (root / "README.txt").write_text("my photos")
    return root


# ---------------------------------------------------------------------------------------------- the report
def test_messy_folder_is_cleaned_and_every_problem_reported(messy_folder):
    splits, report = images.load_image_folder(messy_folder, 32, validation_fraction=0.25, test_fraction=0.25, seed=0)
    assert splits.class_names == ["cats", "dogs"] and splits.num_classes == 2
    assert {name: sum(c.values()) for name, c in report.counts.items()} == {"cats": 9, "dogs": 6}
    assert splits.sizes == {"train": 7, "validation": 4, "test": 4} and report.total == 15
    skipped = {p.name: why for p, why in report.skipped}
    assert set(skipped) == {"truncated.jpg", "notes.jpg", "empty.jpg", "tiny.png", "x.jpg", "README.txt"}
    assert "corrupt or truncated" in skipped["truncated.jpg"] and "not an image" in skipped["notes.jpg"]
    assert "empty file" in skipped["empty.jpg"] and "too small" in skipped["tiny.png"]
    assert "class folder" in skipped["README.txt"]
    converted = {p.name: why for p, why in report.converted}
    assert "composited on white" in converted["alpha.png"] and "grayscale" in converted["gray.png"]
    assert "CMYK" in converted["cmyk.jpg"] and "palette" in converted["palette.png"]
    assert "EXIF" in converted["rotated.jpg"] and "16-bit" in converted["deep16.png"]
    assert dict(report.dropped_classes) == {"empty": "empty folder",
                                            "broken": "none of its files is usable (see Skipped)"}
    assert [p.name for p in report.ignored] == [".DS_Store"]
    text = str(report)
    for line in ("15 images in 2 classes", "cats/truncated.jpg: corrupt", "empty: empty folder", "Ignored (1"):
        assert line in text, line

    batches = list(data.make_pipeline(splits.train, 32, data.preprocessing_for("vgg16"), batch_size=4,
                                      training=True, augment=data.augmentation_layers()))
    assert sum(len(y) for _, y in batches) == 7 and batches[0][0].shape[1:] == (32, 32, 3)


def test_hidden_folders_at_any_depth_are_ignored_not_loaded_as_duplicates(tmp_path):
    """The probe: alpha/.ipynb_checkpoints/*.jpg used to be loaded, alpha 19 -> 21 images."""
    root = tmp_path / "photos"
    _class_folder(root, "alpha", 19, seed=1)
    _class_folder(root, "beta", 19, seed=2)
    for i in range(2):
        _save(root / "alpha" / ".ipynb_checkpoints" / f"{i:03d}-checkpoint.png", _photo(1000 + i))
    _save(root / "beta" / "deeper" / ".cache" / "thumb.png", _photo(5))
    _save(root / "__MACOSX" / "alpha" / "._000.png", _photo(6))
    (root / ".Trashes").mkdir()
    (root / "beta" / "Thumbs.db").write_bytes(b"\0" * 32)
    splits, report = images.load_image_folder(root, 32)
    assert {name: sum(c.values()) for name, c in report.counts.items()} == {"alpha": 19, "beta": 19}
    assert splits.class_names == ["alpha", "beta"]  # __MACOSX is no class
    assert {p.name for p in report.ignored} == {".ipynb_checkpoints", ".cache", "__MACOSX", ".Trashes", "Thumbs.db"}
    assert not report.skipped and "Ignored (5 hidden or system" in str(report)


def test_duplicates_are_left_out_so_none_lands_in_two_splits(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "a", 10, seed=1)
    _class_folder(root, "b", 10, seed=2)
    (root / "a" / "copy.png").write_bytes((root / "a" / "003.png").read_bytes())
    _save(root / "a" / "reencoded.bmp", Image.open(root / "a" / "005.png"))  # other bytes, same pixels
    (root / "b" / "which_label.png").write_bytes((root / "a" / "006.png").read_bytes())
    splits, report = images.load_image_folder(root, 32)
    skipped = {p.relative_to(root).as_posix(): why for p, why in report.skipped}
    assert skipped["a/copy.png"] == "duplicate of a/003.png (same pixels)"
    assert "duplicate of a/005.png" in skipped["a/reencoded.bmp"]
    assert "the same picture as a/006.png, in another class" in skipped["b/which_label.png"]
    assert "the same picture as b/which_label.png" in skipped["a/006.png"], "both copies are left out"
    assert {name: sum(c.values()) for name, c in report.counts.items()} == {"a": 9, "b": 10}
    kept = [f for files in report.files.values() for f in files]
    assert len(kept) == len(set(kept)) == 19


def test_a_thin_valid_image_is_judged_by_what_the_model_sees(tmp_path):
    """The probe: a valid 900x8 image was skipped as "too small (900x8 px, under 32 px)"."""
    root = tmp_path / "photos"
    _class_folder(root, "a", 5, seed=1)
    _class_folder(root, "b", 5, seed=2)
    _save(root / "a" / "strip.png", _photo(3, (900, 8)))
    _save(root / "a" / "thumb.png", _photo(4, (12, 12)))
    _, report = images.load_image_folder(root, 64)
    assert "a/strip.png" in {p.relative_to(root).as_posix() for f in report.files.values() for p in f}
    assert any(p.name == "strip.png" and "distorted 112:1" in why for p, why in report.warnings)
    assert dict((p.name, why) for p, why in report.skipped)["thumb.png"].startswith(
        "too small: 12×12 px would be enlarged more than 4× to the model's 64×64 px")
    _, small_model = images.load_image_folder(root, 32)  # enlarged under 4x at 32 px: kept
    assert not small_model.skipped


def test_tiny_classes_are_dropped_with_the_minimum_and_imbalance_is_flagged(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "big", 45, seed=1)
    _class_folder(root, "small", 20, seed=2)
    _class_folder(root, "single", 1, seed=3)
    _class_folder(root, "pair", 2, seed=4)
    splits, report = images.load_image_folder(root, 32)
    dropped = dict(report.dropped_classes)
    assert dropped["single"] == ("only 1 usable image: a class needs at least 3, one each for training, "
                                 "validation and test")
    assert dropped["pair"].startswith("only 2 usable images") and splits.class_names == ["big", "small"]
    imbalance = dict(report.warnings)["class imbalance"]
    assert imbalance.startswith("big has 45 images, small 20 (2.2:1)")
    _, no_test = images.load_image_folder(root, 32, test_fraction=0)
    assert "pair" not in dict(no_test.dropped_classes), "2 images are enough for training + validation"
    assert "one each for training and validation" in dict(no_test.dropped_classes)["single"]


def test_few_images_per_class_are_flagged_with_the_advised_minimum(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "a", images.ADVISED_PER_CLASS, seed=1)
    _class_folder(root, "b", images.ADVISED_PER_CLASS - 1, seed=2)
    _, report = images.load_image_folder(root, 32)
    assert [name for name, _ in report.warnings] == ["b"]
    assert f"under {images.ADVISED_PER_CLASS} per class" in dict(report.warnings)["b"]


# ---------------------------------------------------------------------------------------------- the split
def _split_files(report) -> dict[str, list[str]]:
    return {s: sorted(p.relative_to(report.path).as_posix() for p in files) for s, files in report.files.items()}


def test_split_is_stratified_and_reproducible_and_a_class_keeps_its_split_when_another_grows(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "a", 50, seed=1)
    _class_folder(root, "b", 10, seed=2)
    splits, report = images.load_image_folder(root, 32, validation_fraction=0.2, test_fraction=0.2, seed=7)
    assert report.counts == {"a": {"train": 30, "validation": 10, "test": 10},
                             "b": {"train": 6, "validation": 2, "test": 2}}
    for name, ds in (("validation", splits.validation), ("test", splits.test)):
        labels = _labels(data.make_pipeline(ds, 32))
        assert labels.count(0) == report.counts["a"][name] and labels.count(1) == report.counts["b"][name]
    again = _split_files(images.load_image_folder(root, 32, seed=7)[1])
    assert again == _split_files(report)
    assert _split_files(images.load_image_folder(root, 32, seed=8)[1]) != again
    for i in range(50, 60):
        _save(root / "a" / f"{i:03d}.png", _photo(1000 + i))
    grown = _split_files(images.load_image_folder(root, 32, seed=7)[1])
    for split in grown:
        assert [f for f in grown[split] if f.startswith("b/")] == [f for f in again[split] if f.startswith("b/")]


def test_files_name_the_originals_of_every_example_in_dataset_order(tmp_path):
    root = tmp_path / "photos"
    for i in range(6):  # each image one flat colour: its file is known from its pixels
        _save(root / "a" / f"{i}.png", Image.new("RGB", (40, 40), (i * 40, 0, 0)))
        _save(root / "b" / f"{i}.png", Image.new("RGB", (40, 40), (0, i * 40, 0)))
    splits, report = images.load_image_folder(root, 16)
    for split, ds in (("train", splits.train), ("validation", splits.validation), ("test", splits.test)):
        for (image, label), file in zip(ds.as_numpy_iterator(), report.files[split], strict=True):
            original = np.asarray(Image.open(file))[0, 0]
            assert (image[0, 0] == original).all() and splits.class_names[label] == file.parent.name


# ---------------------------------------------------------------------------------------------- arguments
def test_bad_arguments_get_a_clear_message_at_the_call(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        images.load_image_folder(tmp_path / "nope", 32)
    (tmp_path / "photos.zip").write_bytes(b"PK")
    with pytest.raises(ValueError, match="is an archive: unpack it first"):
        images.load_image_folder(tmp_path / "photos.zip", 32)
    _class_folder(tmp_path / "p", "a", 5, seed=1)
    with pytest.raises(ValueError, match="1 class folder.*at least 2"):
        images.load_image_folder(tmp_path / "p", 32)
    _class_folder(tmp_path / "p", "b", 5, seed=2)
    for kwargs, message in (({"validation_fraction": 0}, "validation_fraction must be between 0 and 1"),
                            ({"validation_fraction": 1.0}, "validation_fraction must be between 0 and 1"),
                            ({"test_fraction": -0.1}, "test_fraction must be at least 0"),
                            ({"validation_fraction": 0.5, "test_fraction": 0.5}, "leave images for training"),
                            ({"image_size": (64, 64, 3)}, "image_size must be a whole number"),
                            ({"image_size": 0}, "image_size must be a whole number")):
        with pytest.raises(ValueError, match=message):
            images.load_image_folder(tmp_path / "p", **{"image_size": 32, **kwargs})


def test_no_test_split_when_test_fraction_is_zero(tmp_path):
    _class_folder(tmp_path, "a", 5, seed=1)
    _class_folder(tmp_path, "b", 5, seed=2)
    splits, report = images.load_image_folder(tmp_path, 32, test_fraction=0)
    assert splits.test is None and set(splits.sizes) == {"train", "validation"} and "test" not in report.files


def test_keras_image_dataset_from_directory_crashes_where_ours_does_not(tmp_path):
    root = tmp_path / "photos"
    for i in range(3):
        _save(root / "a" / f"{i}.jpg", _photo(i))
        _save(root / "b" / f"{i}.jpg", _photo(10 + i))
    good = (root / "a" / "0.jpg").read_bytes()
    (root / "a" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (root / "b" / "text.jpg").write_text("not an image")
    (root / "empty").mkdir()
    keras_ds = keras.utils.image_dataset_from_directory(root, image_size=(32, 32), batch_size=8, verbose=False)
    assert keras_ds.class_names == ["a", "b", "empty"]  # the empty folder counts as a class
    with pytest.raises(tf.errors.InvalidArgumentError):
        for _ in keras_ds:
            pass
    splits, report = images.load_image_folder(root, 32)
    assert len(report.skipped) == 2 and splits.class_names == ["a", "b"] and sum(splits.sizes.values()) == 6


def test_the_stand_in_folder_is_labelled_and_not_mirror_safe(tmp_path):
    _class_folder(tmp_path / "glyphs", "a", 3, seed=1)
    _class_folder(tmp_path / "glyphs", "b", 3, seed=2)
    splits, report = images.load_image_folder(tmp_path / "glyphs", 32)
    assert splits.mirror_safe and "STAND-IN" not in str(report)
    (tmp_path / "glyphs" / standins.MARKER).write_text("STAND-IN for a test")
    splits, report = images.load_image_folder(tmp_path / "glyphs", 32)
    assert not splits.mirror_safe and "STAND-IN" in str(report)
    assert not report.skipped, "the marker is no stray file"
    assert images.load_image_folder(tmp_path / "glyphs", 32, mirror_safe=True)[0].mirror_safe


# ---------------------------------------------------------------------------------------------- archives
def test_an_unpacked_zip_with_a_wrapper_folder_and_macosx_loads(tmp_path):
    archive = tmp_path / "my_photos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(3):
            for name in ("cats", "dogs"):
                z.writestr(f"my_photos/{name}/{i}.png", _bytes(_photo(i + 10 * (name == "dogs")), "PNG"))
        z.writestr("__MACOSX/my_photos/cats/._0.png", b"\0\5\26\7")
    folder = images.unpack_archive(archive)
    assert folder == tmp_path / "my_photos"
    splits, report = images.load_image_folder(folder, 32)
    assert splits.class_names == ["cats", "dogs"] and report.total == 6
    assert "the class folders are inside my_photos/" in str(report)


def test_unpack_archive_refuses_paths_outside_its_folder_and_non_archives(tmp_path):
    bad_zip = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad_zip, "w") as z:
        z.writestr("../escape.png", b"x")
    with pytest.raises(ValueError, match="outside its folder"):
        images.unpack_archive(bad_zip)
    bad_tar = tmp_path / "bad.tar"
    with tarfile.open(bad_tar, "w") as t:
        info = tarfile.TarInfo("../escape.png")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.TarError):
        images.unpack_archive(bad_tar)
    assert not (tmp_path / "escape.png").exists()
    (tmp_path / "photo.jpg").write_bytes(_bytes(_photo(0), "JPEG"))
    with pytest.raises(ValueError, match="not a .zip or .tar archive"):
        images.unpack_archive(tmp_path / "photo.jpg")


# ---------------------------------------------------------------------------------------------- decoding
def test_decoded_pixels_are_what_the_image_shows():
    """The probe: the upload path made a mid-grey 16-bit PNG all white, ignored EXIF, kept hidden colours."""
    grey16, notes = images.decode_image(_bytes(Image.fromarray(np.full((8, 8), 32896, np.uint16)), "PNG"))
    assert grey16.shape == (8, 8, 3) and (grey16 == 128).all() and "16-bit" in notes[0]
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255  # red hidden under fully transparent pixels ...
    rgba[:4, :, 3] = 255  # ... except the top half, opaque red
    mixed, notes = images.decode_image(_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert (mixed[:4] == (255, 0, 0)).all() and (mixed[4:] == 255).all() and "(50%)" in notes[0]
    gray, _ = images.decode_image(_bytes(Image.new("L", (8, 8), 100), "PNG"))
    assert (gray == 100).all()
    palette = _photo(1).convert("P")
    assert (images.decode_image(_bytes(palette, "PNG"))[0] == np.asarray(palette.convert("RGB"))).all()
    cmyk, notes = images.decode_image(_bytes(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG", quality=100))
    assert np.abs(cmyk.astype(int) - (255, 0, 0)).max() < 8 and notes == ["CMYK → RGB"]


def test_exif_orientation_turns_the_photo_upright():
    upright = np.zeros((30, 60, 3), np.uint8)  # landscape, a bright block at the top left
    upright[:10, :20] = 255
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)  # the camera stored it sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    decoded, notes = images.decode_image(_bytes(stored, "PNG", exif=exif))
    assert decoded.shape == (30, 60, 3) and (decoded == upright).all()
    assert notes == ["rotated 90° clockwise to stand upright (EXIF orientation 6)"]


def test_animation_gives_its_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    decoded, notes = images.decode_image(gif.getvalue())
    assert (decoded == (255, 0, 0)).all() and "2 frames (GIF): the first one used" in notes


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"plain text, not a picture", "not an image"),
    (b"\xff\xd8\xff\xe0 a JPEG header, then nothing", "corrupt or truncated"),
    (_bytes(_photo(0, (64, 64)), "JPEG")[:300], "corrupt or truncated"),
    (_bytes(_photo(0, (64, 64)), "PNG")[:200], "corrupt or truncated"),
    (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64), "HEIC photo"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
    (b"%PDF-1.4 ...", "PDF"),
], ids=["empty", "text", "jpeg-header", "truncated-jpeg", "truncated-png", "heic", "svg", "pdf"])
def test_bad_content_gives_none_and_one_sentence_never_an_exception(content, reason):
    image, notes = images.decode_image(content)
    assert image is None and len(notes) == 1 and reason in notes[0]


def test_a_missing_file_or_a_folder_is_a_sentence_too(tmp_path):
    assert images.decode_image(tmp_path / "missing.jpg") == (None, ["cannot be read (No such file or directory)"])
    image, notes = images.decode_image(tmp_path)
    assert image is None and notes[0].startswith("cannot be read")


def test_bytes_memoryview_and_path_decode_to_the_same_pixels(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 3
    content = _bytes(_photo(5, (40, 30)), "JPEG", exif=exif)
    (tmp_path / "photo.jpg").write_bytes(content)
    from_path = images.decode_image(tmp_path / "photo.jpg")
    for other in (images.decode_image(content), images.decode_image(memoryview(content)),
                  images.decode_image(str(tmp_path / "photo.jpg"))):
        assert (other[0] == from_path[0]).all() and other[1] == from_path[1] == ["rotated 180° to stand upright "
                                                                                 "(EXIF orientation 3)"]


def test_reduce_to_decodes_big_jpegs_smaller_but_never_below_the_size_asked():
    content = _bytes(Image.new("RGB", (1600, 1200), (10, 200, 30)), "JPEG")
    full, _ = images.decode_image(content)
    reduced, _ = images.decode_image(content, reduce_to=256)
    assert full.shape == (1200, 1600, 3) and reduced.shape == (300, 400, 3)
    png = _bytes(Image.new("RGB", (1600, 1200)), "PNG")
    assert images.decode_image(png, reduce_to=256)[0].shape == (1200, 1600, 3), "only JPEGs have a draft mode"


def test_test_photos_are_photo_sized_jpegs_that_do_not_compress_to_nothing(tmp_path):
    paths = images.make_test_photos(tmp_path, 2)
    image = tf.io.decode_jpeg(paths[0].read_bytes())
    assert image.shape == (375, 500, 3)
    assert all(30_000 < p.stat().st_size < 150_000 for p in paths)  # tf_flowers' photos average about 60 kB
    assert paths[0].read_bytes() != paths[1].read_bytes()


# ------------------------------------------------------------------------------ issue 22 (13, 21), issue 23
def test_a_bad_argument_is_a_course_error_shown_without_a_traceback(tmp_path):
    from helpers.errors import CourseValueError

    _class_folder(tmp_path / "p", "a", 5, seed=1)
    _class_folder(tmp_path / "p", "b", 5, seed=2)
    for args, kwargs, message in (((tmp_path / "nope", 32), {}, "not a folder"),
                                  ((tmp_path / "p", 32), {"validation_fraction": "0.2"},
                                   r"validation_fraction is a number between 0 and 1, e\.g\. validation_fraction=0\.2 "
                                   r"\(no quotes\); got '0\.2'"),
                                  ((tmp_path / "p", 32), {"test_fraction": None}, "test_fraction is a number"),
                                  ((None, 32), {}, "takes the folder's path.*got a NoneType"),
                                  ((tmp_path / "p", 32), {"group_by": "stem"}, "group_by is a function")):
        with pytest.raises(CourseValueError, match=message) as caught:
            images.load_image_folder(*args, **kwargs)
        assert len(caught.value._render_traceback_()) == 1, "one line in a notebook, no traceback"


def test_a_file_converted_in_several_ways_is_one_row_of_the_report(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "a", 3, seed=1)
    _class_folder(root, "b", 3, seed=2)
    frames = [_photo(50 + i).convert("P") for i in range(3)]
    frames[0].save(root / "a" / "animated.gif", save_all=True, append_images=frames[1:])
    _, report = images.load_image_folder(root, 32, validation_fraction=0.25, test_fraction=0.25)
    rows = [why for file, why in report.converted if file.name == "animated.gif"]
    assert len(rows) == 1 and "3 frames (GIF)" in rows[0] and "palette (P) → RGB" in rows[0]
    assert "Converted (1):" in str(report)


def test_the_printed_report_wraps_between_words_within_its_width(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "a", 3, seed=1)
    _class_folder(root, "b", 3, seed=2)
    _save(root / "a" / "wide.png", _photo(9, (200, 20)))  # distorted: a long "Check" line
    _, report = images.load_image_folder(root, 32, validation_fraction=0.25, test_fraction=0.25)
    text = str(report)
    words = " ".join(text.split())
    assert all(len(line) <= images.REPORT_WIDTH for line in text.splitlines())
    assert "crop it, or remove it if it is not a real example" in words, "wrapped between words: no word cut"
    assert any(line.startswith("      ") for line in text.splitlines()), "continuation lines are indented"


def test_group_by_keeps_every_group_in_one_split_and_the_split_stays_stratified(tmp_path):
    root = tmp_path / "photos"
    for name, seed in (("a", 1), ("b", 2)):  # 8 shooting sessions per class, 3 shots each
        for session in range(8):
            for shot in range(3):
                _save(root / name / f"s{session}_{shot}.png", _photo(seed * 1000 + session * 10 + shot))
    by_session = lambda file: file.stem.split("_")[0]  # noqa: E731
    splits, report = images.load_image_folder(root, 32, group_by=by_session)
    where = {}
    for split, files in report.files.items():
        for file in files:
            where.setdefault((file.parent.name, by_session(file)), set()).add(split)
    assert len(where) == 16 and all(len(splits_) == 1 for splits_ in where.values()), "no session in two splits"
    assert all(set(counts.values()) <= {3, 6, 9, 12, 15, 18} for counts in report.counts.values())
    assert {name: counts["validation"] for name, counts in report.counts.items()} == {"a": 6, "b": 6}  # 0.2 of 24
    again, _ = images.load_image_folder(root, 32, group_by=by_session)
    assert again.sizes == splits.sizes
    ungrouped, plain = images.load_image_folder(root, 32)  # without groups, sessions straddle splits
    straddle = {}
    for split, files in plain.files.items():
        for file in files:
            straddle.setdefault((file.parent.name, by_session(file)), set()).add(split)
    assert any(len(s) > 1 for s in straddle.values())


def test_a_class_with_fewer_groups_than_splits_is_dropped_with_the_reason(tmp_path):
    root = tmp_path / "photos"
    _class_folder(root, "a", 6, seed=1)
    _class_folder(root, "b", 6, seed=2)
    _class_folder(root, "c", 6, seed=3)
    _, report = images.load_image_folder(root, 32, group_by=lambda file: file.parent.name == "c" or file.stem)
    assert dict(report.dropped_classes) == {"c": "its 6 images form only 1 group(s) (group_by): a class needs at "
                                                 "least 3, one per split"}


# ------------------------------------------------------------------------------ issue 22 item 6: caching
def test_the_full_profile_caches_the_training_split_to_a_file_the_others_in_memory(monkeypatch, tmp_path):
    from helpers import catalogue
    from helpers.config import PROFILES

    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    spec = catalogue.DATASETS["cats_vs_dogs"]
    full = PROFILES["full"]
    train = round(spec.train_size * 0.8)  # "train[:80%]": 18,610 images, 2.8 GB at 224 px
    assert spec.splits["train"] == "train[:80%]"
    cache = images.pipeline_cache("cats_vs_dogs-full-train", train, full.image_size)
    assert cache == str(tmp_path / "cache" / "cats_vs_dogs-full-train-224px") and (tmp_path / "cache").is_dir()
    assert images.pipeline_cache("cats_vs_dogs-full-validation", train // 8, full.image_size) is True
    for name in ("offline", "quick"):  # at most a tenth of the data at 128 px, 200 photos at 64 px: in memory
        assert images.pipeline_cache("cats_vs_dogs", 2_400, PROFILES[name].image_size) is True
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((3, 8, 8, 3), np.uint8), np.arange(3)))
    batches = data.make_pipeline(ds, 8, batch_size=2, cache=cache)
    assert sum(len(y) for _, y in batches) == 3 and list((tmp_path / "cache").glob("cats_vs_dogs-full-train-224px*"))
