"""scripts/prefetch.py: fills one folder with the real assets, which then serve the real profiles offline.

Nothing is downloaded: the network boundary of each library is replaced (tfds's ``download_and_prepare``
writes a 4-example prepared dataset, TF Hub's HTTP call returns a tiny SavedModel as a .tar.gz, Keras's
``get_file`` hands back the harness's randomly initialised weights, or tests/mock_photos.py's folder in the
layout of tf_flowers' photo archive) and the harness's guard still blocks
every connection. To stay fast it fetches only small models (both TF Hub models, keras MobileNetV2, which
covers every kind of asset; ``--models`` chooses them) and only the quick profile's image size
(``test_every_catalogue_asset_is_planned`` checks the full plan without fetching it).
"""
from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
import tensorflow_hub as hub
from keras.src.utils import file_utils

import harness
import mock_photos
from conftest import save_hub_model
from helpers import catalogue, config, images, models, runtime

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "prefetch.py"
SMALL_MODELS = ["mobilenet_v2_hub", "mobilenet_v2_hub_classifier", "mobilenet_v2"]
HUB_HANDLES = [catalogue.MODELS[m].handle for m in SMALL_MODELS[:2]]
KERAS_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_128_no_top.h5"


def _load_script():
    spec = importlib.util.spec_from_file_location("prefetch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["prefetch"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


prefetch = _load_script()


# ---------------------------------------------------------------- the replaced network boundaries
def _fake_download_and_prepare(self, *args, **kwargs) -> None:
    """What a real download leaves behind: a prepared dataset (4 tiny images) with the real name and version.

    Like the real one, it does nothing when the dataset is already prepared there.
    """
    if (Path(self.data_dir) / "dataset_info.json").exists():
        return
    features = self.info.features
    count = 4
    examples = {"image": np.zeros((count, 8, 8, 3), "uint8"),
                "label": np.arange(count) % features["label"].num_classes}
    if "image/filename" in features:
        examples["image/filename"] = [b"fake.jpg"] * count
    tfds.dataset_builders.store_as_tfds_dataset(
        name=self.name, version=str(self.version), features=features, data_dir=str(self.data_dir_root),
        split_datasets={"train": tf.data.Dataset.from_tensor_slices(examples)})


def _fake_keras_get_file(fname=None, origin=None, *args, cache_subdir="datasets", cache_dir=None, **kwargs) -> str:
    """harness.fake_get_file, plus a copy where the real get_file caches the file or unpacked folder."""
    path = harness.fake_get_file(fname, origin, **kwargs)
    cached = Path(cache_dir or os.environ["KERAS_HOME"]) / cache_subdir / (fname or Path(origin).name)
    cached.parent.mkdir(parents=True, exist_ok=True)
    if Path(path).is_dir():  # get_file(..., extract=True) unpacks an archive: the photo folder
        shutil.copytree(path, cached, dirs_exist_ok=True)
    else:
        shutil.copy(path, cached)
    return path  # the harness's file: its suffix tells Keras which weights format it is


def _fake_model_download(handle: str, path: str | None = None, **kwargs) -> str:
    """harness.fake_model_download, copied where kagglehub caches a model (KAGGLEHUB_CACHE/models/<handle>)."""
    cached = Path(os.environ["KAGGLEHUB_CACHE"]) / "models" / handle
    if not cached.exists():
        shutil.copytree(harness.fake_model_download(handle), cached)
    return str(cached / path) if path else str(cached)


@pytest.fixture(scope="module")
def hub_archive(tmp_path_factory) -> bytes:
    """A tiny TF-Hub-format SavedModel as the .tar.gz tfhub.dev serves."""
    folder = save_hub_model(tmp_path_factory.mktemp("hub") / "tiny")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for child in folder.iterdir():
            tar.add(child, arcname=child.name)
    return buffer.getvalue()


def replace_network_boundaries(patch: pytest.MonkeyPatch, hub_archive: bytes) -> list[str]:
    """Install the fakes above; return the list the TF Hub fake appends each requested URL to."""
    requested: list[str] = []

    def urlopen(self, request):
        requested.append(getattr(request, "full_url", request))
        return io.BytesIO(hub_archive)

    patch.setattr(runtime, "hosts_reachable", lambda hosts=catalogue.CATALOGUE_HOSTS, **k: {h: True for h in hosts})
    for name in catalogue.DATASETS:
        patch.setattr(tfds.builder_cls(name), "download_and_prepare", _fake_download_and_prepare)
    patch.setattr(hub.resolver.HttpResolverBase, "_call_urlopen", urlopen)
    patch.setattr(file_utils, "get_file", _fake_keras_get_file)
    patch.setattr("kagglehub.model_download", _fake_model_download)
    patch.setattr("keras.utils.get_file", _fake_keras_get_file)
    for variable in ("COURSE_ASSETS", *prefetch.LAYOUT):  # the script sets them: restore them afterwards
        patch.setenv(variable, os.environ.get(variable, ""))
    return requested


@pytest.fixture(scope="module")
def prefetched(tmp_path_factory, hub_archive):
    """Run the script twice into one folder; return (folder, exit codes, reports, TF Hub requests).

    Only the quick profile is real here, so MobileNetV2's weights are fetched at 128 px only; the second
    run leaves out the Keras model (whose rebuild costs seconds and whose cache the fake only imitates).
    """
    folder = tmp_path_factory.mktemp("assets") / "course-assets"
    codes, reports = [], []
    with pytest.MonkeyPatch.context() as patch:
        requested = replace_network_boundaries(patch, hub_archive)
        patch.delitem(config.PROFILES, "full")
        for models_to_fetch in (SMALL_MODELS, SMALL_MODELS[:2]):
            output = io.StringIO()
            patch.setattr(sys, "stdout", output)
            codes.append(prefetch.main([str(folder), "--models", *models_to_fetch]))
            reports.append(output.getvalue())
    return folder, codes, reports, requested


def _row(report: str, name: str) -> str:
    """The table row (after the "kind" header) that names ``name``."""
    table = report[report.index("kind "):]
    return next(line for line in table.splitlines() if name in line)


# ---------------------------------------------------------------- tests
def test_every_catalogue_asset_is_planned_with_keras_weights_at_each_real_profile_size():
    planned = [(a.kind, a.name) for a in prefetch.planned_assets(list(catalogue.MODELS), list(catalogue.DATASETS))]
    assert [n for k, n in planned if k == "tfds dataset"] == list(catalogue.DATASETS)
    assert [k for k, _ in planned].count("photo folder") == 1  # tf_flowers' photos as a folder (notebook 10)
    assert [n for k, n in planned if k == "TF Hub model"] == [
        m.handle for m in catalogue.MODELS.values() if m.source == "tfhub"]
    assert [n for k, n in planned if k == "Keras weights"] == [
        f"{m.handle} {size} px no top" for m in catalogue.MODELS.values() if m.source == "keras" for size in (128, 224)]
    assert planned[-1][0] == "ImageNet labels"


def test_report_lists_every_asset_with_its_size_and_the_total(prefetched):
    folder, codes, (report, _), requested = prefetched
    assert codes[0] == 0, report
    expected = [*catalogue.DATASETS, "tf_flowers photos", *HUB_HANDLES, "MobileNetV2 128 px", "imagenet_class_index.json"]
    for name in expected:
        row = _row(report, name)
        assert row.rstrip().endswith(("kB", "MB")) and "FAILED" not in row, row
    assert f"Total in {folder}:" in report and f"COURSE_ASSETS={folder}" in report
    assert sorted(url.split("?")[0] for url in requested) == sorted(HUB_HANDLES)


def test_folder_has_the_layout_the_libraries_read(prefetched):
    folder, *_ = prefetched
    for name, version in (("tf_flowers", "3.0.1"), ("cats_vs_dogs", "4.0.1")):
        assert (folder / "tensorflow_datasets" / name / version / "dataset_info.json").is_file()
    for handle in HUB_HANDLES:
        sha1 = runtime.hub_cache_path(handle).name
        assert (folder / "tfhub_modules" / sha1 / "saved_model.pb").is_file()
    for name in (KERAS_FILE, "imagenet_class_index.json"):
        assert (folder / "keras" / "models" / name).is_file(), name
    assert (folder / "keras" / "datasets" / "ImageNetLabels.txt").is_file()
    photos = folder / "keras" / "datasets" / "flower_photos" / "flower_photos"
    assert sorted(p.name for p in photos.iterdir() if p.is_dir()) == list(mock_photos.CLASSES)
    assert not (folder / "keras" / "datasets" / "flower_photos_archive").exists(), "the archive is not needed"
    assert not (folder / ".downloads-scratch").exists(), "raw tfds archives must not stay in the folder"


def test_second_run_downloads_nothing_and_says_so(prefetched):
    _, codes, (_, second), requested = prefetched
    assert codes[1] == 0
    assert len(requested) == len(HUB_HANDLES), "TF Hub was asked again for a cached model"
    rows = second[second.index("kind "):].split("\n\n")[0].splitlines()[2:]
    assert rows and all(row.endswith("already there") for row in rows), rows


def test_class_index_is_the_file_decode_predictions_fetches():
    from keras.src.applications import imagenet_utils

    assert prefetch.IMAGENET_CLASS_INDEX == ("imagenet_class_index.json", imagenet_utils.CLASS_INDEX_PATH)


def test_layout_is_the_one_use_assets_folder_sets(monkeypatch, tmp_path):
    for variable in prefetch.LAYOUT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("COURSE_ASSETS", str(tmp_path))
    config.use_assets_folder()
    assert {v: os.environ[v] for v in prefetch.LAYOUT} == {v: str(tmp_path / s) for v, s in prefetch.LAYOUT.items()}


def test_with_course_assets_set_the_real_profile_loads_from_the_folder_offline(
        prefetched, monkeypatch, fresh_profile, network_attempts):
    import keras

    folder, *_ = prefetched
    for variable in prefetch.LAYOUT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("COURSE_ASSETS", str(folder))
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setattr(runtime, "gpu_available", lambda: False)
    config.use_assets_folder()
    assert runtime.real_assets_cached()
    resolution = config.resolve_profile()
    assert resolution.profile.name == "quick" and "cached" in resolution.reason
    layer = models.HubLayer(models.model_handle("mobilenet_v2_hub"))  # the real URL, from the folder
    assert layer.handle == catalogue.TFHUB_MOBILENET_V2 and layer(tf.zeros((1, 32, 32, 3))).shape == (1, 4)
    flowers = tfds.load("tf_flowers", split="train", data_dir=str(runtime.tfds_data_dir()), download=False)
    assert flowers.cardinality() == 4
    labels = keras.utils.get_file("ImageNetLabels.txt", catalogue.IMAGENET_LABELS_URL, cache_dir=str(folder / "keras"))
    assert Path(labels).parent == folder / "keras" / "datasets"
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("notebook 10 downloaded its photos"))
    photos = images.example_folder()
    assert photos.is_relative_to(folder) and images.load_image_folder(photos, 32)[0].num_classes == 5
    assert network_attempts() == ""


def test_a_failed_asset_is_reported_and_the_others_still_arrive(monkeypatch, tmp_path, hub_archive, capsys):
    replace_network_boundaries(monkeypatch, hub_archive)

    def moved(self, request):
        raise OSError("HTTP Error 404: Not Found")

    monkeypatch.setattr(hub.resolver.HttpResolverBase, "_call_urlopen", moved)
    code = prefetch.main([str(tmp_path / "assets"), "--models", "mobilenet_v2_hub", "--datasets", "tf_flowers"])
    report = capsys.readouterr().out
    assert code == prefetch.SOME_FAILED
    assert "FAILED" in _row(report, catalogue.TFHUB_MOBILENET_V2) and "404" in _row(report, catalogue.TFHUB_MOBILENET_V2)
    assert _row(report, "tf_flowers").endswith(("kB", "MB"))


def test_without_network_it_stops_at_once_with_a_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runtime, "hosts_reachable", lambda hosts=catalogue.CATALOGUE_HOSTS, **k: {h: False for h in hosts})
    monkeypatch.setattr(prefetch, "fetch_all", lambda *a: pytest.fail("fetched without network"))
    start = time.perf_counter()
    with pytest.raises(SystemExit) as stop:
        prefetch.main([str(tmp_path / "assets")])
    assert time.perf_counter() - start < 5
    assert stop.value.code == prefetch.NO_NETWORK != 0
    message = capsys.readouterr().err
    assert "no network" in message and "download.microsoft.com" in message and "COURSE_PROFILE=offline" in message
    assert not (tmp_path / "assets").exists()


def test_the_script_imports_neither_keras_nor_tensorflow_before_it_sets_keras_home():
    """Keras reads KERAS_HOME once, at import: an import at the top of the script would send the weights
    to ~/.keras instead of the assets folder."""
    code = (f"import runpy, sys; runpy.run_path({str(SCRIPT)!r}); "
            "print(sorted(m for m in ('keras', 'tensorflow', 'tensorflow_hub') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_command_line_without_network_exits_non_zero_within_seconds(tmp_path):
    """The real command, in a fresh process whose sockets the harness guard blocks (as no network would)."""
    log = tmp_path / "attempts.log"
    code = (f"import sys, runpy; sys.path.insert(0, {str(REPO / 'tests')!r}); import harness; "
            f"harness.install_network_guard(); sys.argv = ['prefetch.py', {str(tmp_path / 'assets')!r}]; "
            f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "COURSE_NETLOG": str(log)})
    assert time.perf_counter() - start < 5
    assert run.returncode == prefetch.NO_NETWORK, run.stderr
    assert "no network" in run.stderr and "Traceback" not in run.stderr
    assert all(host in log.read_text() for host in prefetch.DOWNLOAD_HOSTS), "it asked every host first"


def test_the_keras_hub_preset_of_each_real_profile_is_fetched_into_kagglehubs_cache(prefetched):
    folder, codes, (report, _), _ = prefetched
    spec = catalogue.KERAS_HUB_PRESETS["quick"]  # the fixture's only real profile
    row = _row(report, spec.name)
    assert row.startswith("KerasHub preset") and row.rstrip().endswith(("kB", "MB")), row
    assert (folder / "kagglehub" / "models" / spec.kaggle_handle / "config.json").is_file()
