"""TFRecord shards of an image folder give back every original file, byte for byte; the pipeline benchmark runs."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from benchmarks import decode_pipeline
from helpers.benchmark_results import load_benchmark_result
from helpers.distribute import ImageRecords, decode_and_resize, parse_image_record, write_image_records


def encoded(image: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three classes: JPEGs, PNGs (one in a nested folder), a GIF; different sizes."""
    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    for name, fmt, count in (("cat", "JPEG", 5), ("dog", "PNG", 4), ("fox", "GIF", 3)):
        for i in range(count):
            sub = root / name / ("nested" if name == "dog" and i == 0 else "")
            sub.mkdir(parents=True, exist_ok=True)
            image = rng.integers(0, 256, (20 + i, 30 + 2 * i, 3), dtype=np.uint8)
            (sub / f"{name}{i}.{fmt.lower()}").write_bytes(encoded(image, fmt))
    return root


def read_back(records: ImageRecords) -> list[dict]:
    return [{k: v.numpy() for k, v in parse_image_record(r).items()} for r in tf.data.TFRecordDataset(records.files)]


def test_round_trip_gives_back_every_file_byte_for_byte_with_its_label(folder, tmp_path):
    records = write_image_records(folder, tmp_path / "records", shards=3)
    originals = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    back = read_back(records)
    assert len(back) == len(originals) == records.total == 12
    for record in back:
        name = record["filename"].decode()
        assert record["image"] == originals[name]  # the original bytes: nothing re-encoded
        assert records.class_names[record["label"]] == name.split("/")[0]
    assert records.class_names == ["cat", "dog", "fox"] and records.counts == {"cat": 5, "dog": 4, "fox": 3}
    assert (tmp_path / "records" / "classes.txt").read_text().split() == records.class_names


def test_labels_follow_the_class_names_the_model_learned_not_the_folders_sorted_order(folder, tmp_path):
    learned = ["fox", "cat", "dog"]  # e.g. splits.class_names: not the folders' sorted order
    records = write_image_records(folder, tmp_path / "records", shards=2, class_names=learned)
    assert records.class_names == learned
    for record in read_back(records):
        assert learned[record["label"]] == record["filename"].decode().split("/")[0]
    assert (tmp_path / "records" / "classes.txt").read_text().split() == learned


@pytest.mark.parametrize("names", [["cat", "dog"], ["cat", "dog", "fox", "owl"], ["cat", "cat", "dog"], "cat"])
def test_class_names_that_do_not_match_the_folders_get_a_clear_message(names, folder, tmp_path):
    with pytest.raises(ValueError, match="class_names must name .* class folders, each once"):
        write_image_records(folder, tmp_path / "records", class_names=names)


def test_shards_share_the_images_and_mix_the_classes(folder, tmp_path):
    records = write_image_records(folder, tmp_path / "records", shards=2)
    per_shard = [[parse_image_record(r)["label"].numpy() for r in tf.data.TFRecordDataset(str(f))]
                 for f in records.files]
    assert [len(labels) for labels in per_shard] == [6, 6]
    assert all(len(set(labels)) >= 2 for labels in per_shard), "each shard holds more than one class"


def test_unreadable_files_are_skipped_and_named_with_the_reason(folder, tmp_path):
    good = (folder / "cat" / "cat0.jpeg").read_bytes()
    (folder / "cat" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "cat" / "notes.jpg").write_text("not a picture")
    tiff = np.zeros((8, 8, 3), np.uint8)
    (folder / "dog" / "scan.tiff").write_bytes(encoded(tiff, "TIFF"))
    (folder / "dog" / ".DS_Store").write_bytes(b"\0\0")
    records = write_image_records(folder, tmp_path / "records")
    reasons = {path.name: why for path, why in records.skipped}
    assert set(reasons) == {"truncated.jpg", "notes.jpg", "scan.tiff"}
    assert "truncated" in reasons["truncated.jpg"] and "not an image" in reasons["notes.jpg"]
    assert "convert it to JPEG" in reasons["scan.tiff"]
    assert records.total == 12 and "skipped scan.tiff" in str(records)


@pytest.mark.parametrize("make", ["missing", "no_classes", "only_broken", "zero_shards"])
def test_bad_folders_get_a_clear_message(make, folder, tmp_path):
    target, shards = folder, 4
    if make == "missing":
        target = tmp_path / "nowhere"
    elif make == "no_classes":
        target = tmp_path / "flat"
        target.mkdir()
        (target / "a.jpg").write_bytes((folder / "cat" / "cat0.jpeg").read_bytes())
    elif make == "only_broken":
        target = tmp_path / "broken"
        (target / "cat").mkdir(parents=True)
        (target / "cat" / "empty.jpg").write_bytes(b"")
    else:
        shards = 0
    expected = {"missing": "is not a folder", "no_classes": "no class sub-folders",
                "only_broken": "No readable image", "zero_shards": "at least 1"}[make]
    with pytest.raises(ValueError, match=expected):
        write_image_records(target, tmp_path / "records", shards=shards)


def test_decode_and_resize_reads_jpeg_png_and_gif_as_square_rgb(folder):
    for path in (folder / "cat" / "cat1.jpeg", folder / "dog" / "dog1.png", folder / "fox" / "fox2.gif"):
        image = decode_and_resize(tf.constant(path.read_bytes()), 16)
        assert image.shape == (16, 16, 3) and image.dtype == tf.uint8


def test_a_phone_photo_turned_by_its_exif_tag_streams_upright_as_notebook_10_loads_it(folder, tmp_path):
    # a phone stores a portrait photo as a landscape image plus "orientation 6"; tf.io.decode_image ignores the tag
    from helpers.data import resize_to_uint8
    from helpers.images import decode_image

    yy, xx = np.mgrid[0:120, 0:160]
    stored = np.stack([xx * 1.5, yy * 2.0, np.full_like(xx, 90)], -1).astype(np.uint8)  # smooth, not symmetric
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, "JPEG", quality=95, exif=exif)
    (folder / "cat" / "portrait.jpg").write_bytes(buffer.getvalue())
    records = write_image_records(folder, tmp_path / "records", shards=2)
    record = next(r for r in read_back(records) if r["filename"] == b"cat/portrait.jpg")
    streamed = decode_and_resize(tf.constant(record["image"]), 32).numpy().astype(int)
    loaded = resize_to_uint8(decode_image(folder / "cat" / "portrait.jpg")[0], 32).numpy().astype(int)
    sideways = resize_to_uint8(stored, 32).numpy().astype(int)
    assert decode_image(folder / "cat" / "portrait.jpg")[0].shape == (160, 120, 3)  # 10's loader: upright
    assert np.abs(streamed - sideways).mean() > 20, "the stream must not see the photo as stored, sideways"
    assert np.abs(streamed - loaded).max() <= 2, "the stream sees what notebook 10's loader sees"
    assert records.total == 13 and "portrait.jpg" in str(records) and "EXIF orientation 6" in str(records)


def test_the_stream_decodes_a_jpeg_to_the_pixels_notebook_10s_loader_gives(tmp_path):
    # tf.io.decode_image's default JPEG decoder uses a fast, less exact DCT than PIL: up to 3 levels apart at 224 px
    from helpers.data import resize_to_uint8
    from helpers.images import decode_image, make_test_photos

    for path in make_test_photos(tmp_path, 3, seed=1):
        streamed = decode_and_resize(tf.constant(path.read_bytes()), 224).numpy().astype(int)
        loaded = resize_to_uint8(decode_image(path)[0], 224).numpy().astype(int)
        assert np.abs(streamed - loaded).max() <= 1, path.name  # rounding only


def test_benchmark_times_every_pipeline_and_loses_no_image():
    result = decode_pipeline.measure(images=8, rounds=3, image_size=32, batch=4, width=100, height=75)
    assert list(result["median_images_per_s"]) == list(decode_pipeline.VARIANTS)
    for name, median in result["median_images_per_s"].items():
        slowest, fastest = result["spread_images_per_s"][name]
        assert 0 < slowest <= median <= fastest
    cores, ms = result["machine"]["cpu_cores"], result["cpu_ms_per_image"]["parallel"]
    assert result["cpu_ceiling_images_per_s"] == pytest.approx(cores * 1000 / ms, rel=0.1)
    assert result["machine"]["cpu_cores"] >= 1 and result["machine"]["tensorflow"] == tf.__version__


def test_stored_benchmark_result_is_a_full_run_of_the_script():
    stored = load_benchmark_result("decode_pipeline")
    assert list(stored["median_images_per_s"]) == list(decode_pipeline.VARIANTS)
    assert stored["photos"]["width"] == 500 and stored["output"]["image_size"] == 224
    assert stored["photos"]["count"] >= 256 and stored["rounds"] >= 3
