"""Test harness: no network anywhere, and the real asset path with its network boundary replaced.

Test-only code (never imported by helpers). ``conftest.py`` activates it in the pytest process, and the
IPython startup file ``tests/ipython_startup/00_course_harness.py`` activates it in every notebook kernel
nbval starts (pytest's own patches do not reach those kernels).

Environment (set by conftest.py, inherited by the kernels):
    COURSE_NETLOG        file that records every attempted network connection (the suite fails if non-empty)
    COURSE_HARNESS       "offline" or "mock-real"; mock-real replaces the network boundary (:func:`activate`):
                         tfds -> tf_flowers: real photos shipped in data/tfds, in the real split specs
                                 (:func:`real_photos`); any other dataset: tfds.testing.mock_data's random pixels
                                 (cats_vs_dogs: no real cats or dogs ship here);
                         TF Hub -> the shipped real re-export, or the stand-in, in a temporary TFHUB_CACHE_DIR,
                         kagglehub.model_download -> notebook 12's shipped stand-in KerasHub preset folder,
                         keras.utils.get_file -> randomly initialised real-architecture weights, a fake ImageNet
                                 class index, and for notebook 10's flower_photos archive a folder of the shipped
                                 real photos in its layout (tests/mock_photos.py)
    COURSE_HARNESS_DIR   temporary folder for the fake weights
    COURSE_HARNESS_GPU   "1": setup() takes the GPU branch on a CPU (mixed precision), as on Colab's GPU

In every harness kernel each ``fit`` also checks that its loss stays finite (:func:`guard_finite_losses`), in
smoke runs too, where the notebooks' ``expect`` cells only print.
"""
from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import os
import re
import shutil
import socket
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator
from unittest import mock

MOCK_EXAMPLES = 16


class NetworkBlocked(OSError):
    """Raised by the harness when code tries to reach another machine."""


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)) and not isinstance(address, tuple):
        return True  # AF_UNIX path
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _record(what: str) -> None:
    log = os.environ.get("COURSE_NETLOG")
    if log:
        with open(log, "a", encoding="utf8") as handle:
            handle.write(f"pid {os.getpid()}: {what}\n")


def install_network_guard() -> None:
    """Make every non-loopback connection and DNS lookup fail, and record it in COURSE_NETLOG."""
    if getattr(socket, "_course_guarded", False):
        return
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)

    def connect(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            _record(f"connect {address!r}")
            raise NetworkBlocked(f"network disabled by the course test harness: connect {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            _record(f"connect_ex {address!r}")
            raise NetworkBlocked(f"network disabled by the course test harness: connect {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host if isinstance(host, tuple) else (host,)):
            _record(f"getaddrinfo {host!r}")
            raise NetworkBlocked(f"network disabled by the course test harness: DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket._course_guarded = True  # type: ignore[attr-defined]


# ---------------------------------------------------------------- mock-real: TF Hub
def populate_hub_cache() -> list[Path]:
    """Where each TF Hub model's offline form (its shipped real re-export, else its stand-in) was copied to: the
    folder TF Hub's cache keeps its real handle in.

    Only into a temporary ``TFHUB_CACHE_DIR`` (never TF Hub's default /tmp/tfhub_modules, where a
    learner's later real run would silently pick the stand-in up).
    """
    from helpers import catalogue, runtime

    cache = os.environ.get("TFHUB_CACHE_DIR", "")
    if not cache or Path(cache).resolve() == Path("/tmp/tfhub_modules"):
        raise RuntimeError("set TFHUB_CACHE_DIR to a temporary folder before populating the hub cache")
    placed = []
    for spec in catalogue.MODELS.values():
        shipped = spec.offline_real or spec.standin  # the real ImageNet re-export where it ships, else the stand-in
        if spec.source != "tfhub" or not shipped:
            continue
        target = runtime.hub_cache_path(spec.handle)
        if not target.exists():
            shutil.copytree(shipped, target)
        placed.append(target)
    return placed


# ---------------------------------------------------------------- mock-real: Keras weights
def _fake_application(fname: str) -> Callable[[], Any] | None:
    import keras

    apps = keras.applications
    if fname.startswith("vgg16_weights"):
        return lambda: apps.VGG16(weights=None, include_top="notop" not in fname)
    match = re.match(r"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_([\d.]+)_(\d+)(_no_top)?\.h5", fname)
    if match:
        alpha, rows, notop = float(match[1]), int(match[2]), bool(match[3])
        return lambda: apps.MobileNetV2(weights=None, alpha=alpha, include_top=not notop,
                                        input_shape=(rows, rows, 3))
    if fname.startswith("resnet50_weights"):
        return lambda: apps.ResNet50(weights=None, include_top="notop" not in fname)
    if fname.startswith("efficientnetb0"):
        return lambda: apps.EfficientNetB0(weights=None, include_top="notop" not in fname)
    return None


def fake_get_file(fname: str | None = None, origin: str | None = None, *args: Any, **kwargs: Any) -> str:
    """Stand-in for ``keras.utils.get_file``: random real-architecture weights, a fake class index, or real photos."""
    folder = Path(os.environ.get("COURSE_HARNESS_DIR") or "/nonexistent")
    folder.mkdir(parents=True, exist_ok=True)
    fname = fname or Path(origin or "").name
    if fname.startswith("flower_photos"):  # notebook 10's example photos: shipped real photos, the same layout
        from mock_photos import fake_flower_photos

        return fake_flower_photos(folder, fname, **kwargs)
    if fname == "imagenet_class_index.json":
        path = folder / fname
        if not path.exists():
            path.write_text(json.dumps({str(i): [f"n{i:08d}", f"mock_class_{i}"] for i in range(1000)}))
        return str(path)
    if fname == "ImageNetLabels.txt":
        path = folder / fname
        if not path.exists():
            path.write_text("\n".join(["background"] + [f"mock_class_{i}" for i in range(1000)]))
        return str(path)
    build = _fake_application(fname)
    if build is None:
        _record(f"get_file {fname} from {origin}")
        raise NetworkBlocked(f"the course test harness has no fake for {fname!r} ({origin})")
    path = folder / (Path(fname).stem + ".weights.h5")  # Keras loads by suffix: the new weights format
    if not path.exists():
        build().save_weights(str(path))
    return str(path)


def patch_keras_get_file() -> None:
    """Route Keras downloads (application weights, the ImageNet class index) to :func:`fake_get_file`."""
    import keras
    from keras.src.utils import file_utils

    file_utils.get_file = fake_get_file
    keras.utils.get_file = fake_get_file


# ---------------------------------------------------------------- mock-real: KerasHub presets (Kaggle Models)
def fake_model_download(handle: str, path: str | None = None, **kwargs: Any) -> str:
    """Stand-in for ``kagglehub.model_download``: notebook 12's offline preset folder (or a file in it) for any
    handle, as a real download would return its cached copy."""
    from helpers import standins

    _record_unless_keras_hub(handle)
    folder = standins.KERAS_HUB_PRESET_DIR
    return str(folder / path) if path else str(folder)


def _record_unless_keras_hub(handle: str) -> None:
    if not handle.startswith("keras/"):  # only KerasHub's own presets are faked
        _record(f"kagglehub.model_download {handle}")
        raise NetworkBlocked(f"the course test harness has no fake for the Kaggle model {handle!r}")


def patch_kagglehub() -> None:
    """Route kagglehub's model downloads (KerasHub presets) to :func:`fake_model_download`, when kagglehub is first
    imported (importing it at kernel start would cost every notebook about a second)."""
    import importlib.abc
    import importlib.util

    if "kagglehub" in sys.modules:
        sys.modules["kagglehub"].model_download = fake_model_download
        return

    class PatchOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname != "kagglehub":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            run = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                run(module)
                module.model_download = fake_model_download

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, PatchOnImport())


# ---------------------------------------------------------------- mock-real: tfds
REAL_PHOTOS = {"tf_flowers": "flower_photos_small"}
"""tfds datasets served from real photos shipped in data/tfds: {tfds name: shipped name}. Not cats_vs_dogs: no real
cats or dogs ship here (its offline form is two flower classes), so it keeps mock_data's random pixels."""
SERVED_PER_CLASS = 20
"""Shipped photos served per class: 100 for tf_flowers, so quick's "train[:30%]" is 30 photos, about the smoke
run's 16 random examples (with all 998 served, the mocked run of 08's solution took 106 s instead of 55 s)."""


@functools.cache
def served_records(name: str) -> tuple[bytes, ...]:
    """The serialized examples served for the tfds dataset ``name`` shipped in data/tfds: the first
    :data:`SERVED_PER_CLASS` photos of each class in its records (train, validation, test), interleaved one class
    after another, so that every slice of 5 or more holds every class (a slice of the records as shipped may not)."""
    import tensorflow as tf

    from helpers import standins

    (folder,) = (standins.TFDS_DIR / name).iterdir()  # its one version
    splits = [split["name"] for split in json.loads((folder / "dataset_info.json").read_text())["splits"]]
    shards = [str(shard) for split in splits for shard in sorted(folder.glob(f"{name}-{split}.tfrecord-*"))]
    by_class: dict[int, list[bytes]] = {}
    for record in tf.data.TFRecordDataset(shards).as_numpy_iterator():
        label = tf.train.Example.FromString(record).features.feature["label"].int64_list.value[0]
        by_class.setdefault(label, []).append(record)
    return tuple(record for row in zip(*(by_class[c][:SERVED_PER_CLASS] for c in sorted(by_class))) for record in row)


def real_photos(builder: Any, split: Any, decoders: Any = None, **ignored: Any) -> Any:
    """``builder._as_dataset`` for a dataset of :data:`REAL_PHOTOS`: :func:`served_records` as its one split "train",
    sliced as ``split`` asks ("train[:30%]"), decoded by the dataset's own features (JPEG bytes to uint8 images,
    labels in its label order, which must be the shipped one)."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from helpers import standins

    name = REAL_PHOTOS[builder.name]
    (labels,) = (standins.TFDS_DIR / name).glob("*/*.labels.txt")
    if labels.read_text().split() != builder.info.features["label"].names:
        raise AssertionError(f"the labels of data/tfds/{name} are not {builder.name}'s, in its order")
    records = served_records(name)
    total = SimpleNamespace(num_examples=len(records))
    parts = tfds.core.ReadInstruction.from_spec(split).to_absolute({"train": total})
    chosen = [r for part in parts for r in records[part.from_ or 0:part.to]]
    return tf.data.Dataset.from_tensor_slices(list(chosen)).map(
        functools.partial(builder.info.features.deserialize_example, decoders=decoders),
        num_parallel_calls=tf.data.AUTOTUNE)


@contextlib.contextmanager
def mock_tfds(num_examples: int = MOCK_EXAMPLES) -> Iterator[None]:
    """``tfds.testing.mock_data(num_examples)`` (no download, random pixels), but :data:`REAL_PHOTOS` read real."""
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core import dataset_builder

    with tfds.testing.mock_data(num_examples=num_examples):
        random_pixels = dataset_builder.FileReaderBuilder._as_dataset

        def as_dataset(self: Any, split: Any, *args: Any, **kwargs: Any) -> Any:
            if self.name in REAL_PHOTOS:
                return real_photos(self, split, **kwargs)
            return random_pixels(self, split, *args, **kwargs)

        with mock.patch.object(dataset_builder.FileReaderBuilder, "_as_dataset", as_dataset):
            yield


_MOCK: Any = None


def start_tfds_mock(num_examples: int = MOCK_EXAMPLES) -> None:
    """:func:`mock_tfds` for the rest of the process."""
    global _MOCK

    if _MOCK is None:
        _MOCK = mock_tfds(num_examples)
        _MOCK.__enter__()


class NonFiniteLoss(AssertionError):
    """A fit's loss became NaN or infinite: the harness fails the notebook instead of letting it carry on."""


def _check_finite(logs: dict[str, Any] | None, where: str) -> None:
    import math

    for key, value in (logs or {}).items():
        if "loss" in key and not math.isfinite(float(value)):
            raise NonFiniteLoss(f"{key} is {float(value)} {where} (the test harness checks every fit's loss)")


def guard_finite_losses() -> None:
    """Make every ``keras.Model.fit`` fail as soon as its loss is NaN or infinite (after any batch or epoch).

    A fit given ``keras.callbacks.TerminateOnNaN`` is left alone: it expects divergence and stops itself (09's
    learning-rate grid), and what the notebook then does with it is what its cells check.
    """
    import keras

    if getattr(keras.Model.fit, "_course_guarded", False):
        return

    class FiniteLossGuard(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            _check_finite(logs, f"after training batch {batch}")

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            _check_finite(logs, f"at the end of epoch {epoch + 1}")

    real_fit = keras.Model.fit

    def fit(self: Any, *args: Any, callbacks: Any = None, **kwargs: Any) -> Any:
        callbacks = list(callbacks or [])
        if not any(isinstance(c, keras.callbacks.TerminateOnNaN) for c in callbacks):  # else the fit handles NaN
            callbacks.append(FiniteLossGuard())
        return real_fit(self, *args, callbacks=callbacks, **kwargs)

    fit._course_guarded = True  # type: ignore[attr-defined]
    keras.Model.fit = fit  # type: ignore[method-assign]


def guard_finite_losses_once_keras_is_loaded() -> None:
    """:func:`guard_finite_losses` now if Keras is loaded, else before the first cell that runs after it is.

    Importing Keras here would import TensorFlow at kernel start, before the notebook's setup cell, and hide
    what that cell shows a learner (TensorFlow's import messages among them).
    """
    if "keras" in sys.modules:
        guard_finite_losses()
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is None:
        return

    def before_cell(*args: Any) -> None:
        if "keras" in sys.modules:
            guard_finite_losses()
            shell.events.unregister("pre_run_cell", before_cell)

    shell.events.register("pre_run_cell", before_cell)


def activate() -> None:
    """Everything the environment asks for: the network guard always, mock-real if COURSE_HARNESS says so."""
    install_network_guard()
    if os.environ.get("COURSE_HARNESS") == "mock-real":
        populate_hub_cache()
        patch_keras_get_file()
        patch_kagglehub()
        start_tfds_mock()
    guard_finite_losses_once_keras_is_loaded()
