"""Datasets and input pipelines: load, resize, augment, batch, cache features.

The notebooks write the lesson's calls themselves (the base model, ``preprocess_input``, ``fit``); this
module supplies the plumbing around them::

    splits = load_dataset("cats_vs_dogs")                          # uint8 images, int labels
    preprocess = preprocessing_for("mobilenet_v2")                 # keras.applications.mobilenet_v2.preprocess_input
    train_ds = make_pipeline(splits.train, 64, preprocess, training=True,
                             augment=augmentation_layers(flip=splits.mirror_safe))
    val_ds = make_pipeline(splits.validation, 64, preprocess)
"""
from __future__ import annotations

import contextlib
import logging
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from helpers import catalogue, config, runtime
from helpers.errors import (AssetUnavailableError, CourseAttributeError, CourseKeyError, CourseTypeError,
                            CourseValueError, did_you_mean)

AUTOTUNE = tf.data.AUTOTUNE
MEMORY_CACHE_LIMIT = 2 * 1024**3
"""Bytes of resized uint8 images ``make_pipeline(cache=True)`` keeps in memory; above it, it does not cache."""
SPLIT_NAMES = ("train", "validation", "test")


class DatasetUnavailableError(AssetUnavailableError):
    """The dataset is not on disk and cannot be downloaded now; the message says what to do."""


@dataclass(frozen=True)
class Splits:
    """train / validation / test datasets of ``(uint8 image, int label)`` examples, class names and sizes."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset | None
    class_names: list[str]
    sizes: dict[str, int]
    mirror_safe: bool = True
    """Whether a mirrored image keeps its class, so random flips are a safe augmentation."""

    @property
    def num_classes(self) -> int:
        """How many classes there are: the width of the classification head."""
        return len(self.class_names)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", _Sizes(self.sizes))

    def __getattr__(self, name: str) -> None:  # only for names it does not have
        if name.startswith("__"):
            raise AttributeError(name)
        raise CourseAttributeError(f"splits has no {name!r}.{did_you_mean(name, _SPLITS_NAMES)} It has: "
                                   f"{', '.join(_SPLITS_NAMES)}.")

    def __getitem__(self, key: object) -> None:
        write = f"write splits.{key}" if key in _SPLITS_NAMES else "use an attribute"
        raise CourseTypeError(f"splits is not a dict: {write} (its datasets are splits.train, splits.validation "
                              "and splits.test).")


_SPLITS_NAMES = ["train", "validation", "test", "class_names", "num_classes", "sizes", "mirror_safe"]


class _Sizes(dict):
    """``Splits.sizes``: a dict that names its keys when asked for one it lacks."""

    def __missing__(self, key: object) -> int:
        raise CourseKeyError(f"splits.sizes has no {key!r}.{did_you_mean(key, list(self))} Its keys are "
                             f"{', '.join(map(repr, self))}.")


# ---------------------------------------------------------------------------------------------- loading
def _count(ds: tf.data.Dataset) -> int:
    n = int(ds.cardinality())
    return n if n >= 0 else int(ds.reduce(0, lambda count, _: count + 1))


def load_dataset(name: str, profile: config.Profile | str | None = None, base: str | None = None) -> Splits:
    """Return the :class:`Splits` of catalogue dataset ``name`` in ``profile`` (default: the active one).

    Offline it reads what ships in ``data/tfds`` and never downloads: real photos (a downscaled subset of
    tf_flowers' photos; for ``cats_vs_dogs``, two of its classes), or, for a ``base`` whose only offline form is a
    glyph stand-in (``"vgg16"``), the glyph dataset built as its pair. The real profiles read
    the tfds folder and download only if the dataset is missing and the hosts answer; otherwise they raise
    :class:`DatasetUnavailableError` at once (instead of tfds's 205-second retry loop).

    >>> splits = load_dataset("tf_flowers", "full")
    >>> splits.class_names[:2], splits.sizes["train"]
    (['dandelion', 'daisy'], 2936)
    >>> load_dataset("cats_vs_dogs").class_names  # offline: two classes of real flower photos
    ['roses', 'tulips']
    >>> load_dataset("tf_flowers", base="vgg16").class_names  # offline: the VGG16 stand-in's glyph pair
    ['two', 'four', 'five', 'seven', 'nine']
    """
    spec = catalogue.dataset_spec(name, "load_dataset")
    if isinstance(profile, str) and profile in SPLIT_NAMES:
        raise CourseValueError(f"load_dataset({name!r}, {profile!r}): the second argument is the profile, not a "
                               "split. load_dataset returns all three splits: splits.train, splits.validation, "
                               "splits.test.")
    active = config.as_profile(profile, "load_dataset")
    tfds_name, split_specs, bundled_dir = catalogue.dataset_splits(name, active, base)
    data_dir = bundled_dir or runtime.tfds_data_dir()

    def _load(download: bool):
        # a dataset not prepared yet: tfds logs a warning before it says so; the course says it in its own words
        with contextlib.nullcontext() if download else _quiet_logger("absl"):
            return tfds.load(tfds_name, split=[split_specs[s] for s in SPLIT_NAMES], data_dir=str(data_dir),
                             as_supervised=True, with_info=True, download=download)

    try:
        datasets, info = _load(download=False)
    except (tfds.core.DatasetNotFoundError, AssertionError):
        if bundled_dir is not None:
            raise DatasetUnavailableError(
                f"The offline dataset {tfds_name!r} (for {name!r}) is missing from {data_dir}. It ships with "
                "the course repository in data/tfds: check that your clone is complete (see data/README.md)."
            ) from None
        datasets = None
    if datasets is None:
        runtime.require_hosts(catalogue.CATALOGUE_HOSTS, f"the dataset {name!r} (it is not in {data_dir})",
                              error=DatasetUnavailableError)
        try:
            datasets, info = _load(download=True)
        except Exception as error:  # noqa: BLE001 -- tfds's DownloadError, HTTP errors, a full disk...
            _remove_unprepared(data_dir / tfds_name)
            raise DatasetUnavailableError(
                f"Downloading {name!r} failed ({type(error).__name__}: {str(error).splitlines()[0][:200]}); "
                f"nothing was kept: {runtime.GET_IT_OFFLINE}.") from None
    return Splits(*datasets, class_names=list(info.features["label"].names),
                  sizes={s: _count(ds) for s, ds in zip(SPLIT_NAMES, datasets)},
                  # the glyph stand-ins are digits: mirrored, they are no longer digits
                  mirror_safe=spec.mirror_safe and tfds_name != spec.standin)


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Inside, Python logger ``name`` shows errors only."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _remove_unprepared(folder: Path) -> None:
    """Delete what a failed download left of a tfds dataset, so that it does not look cached later."""
    import shutil

    if folder.is_dir() and not any(folder.glob("*/dataset_info.json")):
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------------------ preprocessing
def rescale_to_unit(images: tf.Tensor) -> tf.Tensor:
    """Return ``images / 255`` as float32: the [0, 1] range TF Hub image models expect."""
    return tf.cast(images, tf.float32) / 255.0


_BY_CONVENTION: dict[str, Callable] = {
    "[0,1]": rescale_to_unit,
    "[-1,1]": keras.applications.mobilenet_v2.preprocess_input,
    "caffe": keras.applications.vgg16.preprocess_input,
    "raw [0,255]": keras.applications.efficientnet.preprocess_input,  # returns its input unchanged
}


def preprocessing_for(model_name: str) -> Callable:
    """Return the preprocess function a catalogue model expects (or the one for a convention name).

    Keras bases get their own ``keras.applications.<family>.preprocess_input``; TF Hub bases get
    :func:`rescale_to_unit`. ``model_name`` may also be a convention: "[0,1]", "[-1,1]", "caffe" (RGB→BGR,
    ImageNet mean subtracted, no scaling) or "raw [0,255]". Feed it float images: on uint8 input some
    of these silently wrap around.

    >>> preprocessing_for("vgg16") is keras.applications.vgg16.preprocess_input
    True
    """
    if model_name in _BY_CONVENTION:
        return _BY_CONVENTION[model_name]
    if model_name not in catalogue.MODELS:
        raise CourseValueError(f"preprocessing_for: there is no model or convention {model_name!r}. Use one of: "
                               f"{', '.join(catalogue.MODELS)}, or a convention: {', '.join(_BY_CONVENTION)}.")
    spec = catalogue.MODELS[model_name]
    if spec.keras_module:
        return spec.preprocess_input
    return _BY_CONVENTION[spec.preprocessing]


def resize(image: tf.Tensor, size: int) -> tf.Tensor:
    """Return ``image`` (one image or a batch) resized to ``size`` × ``size``, float32 in [0, 255].

    Policy: bilinear, antialiased (a 500-px photo shrunk to 64 px does not alias), and *stretched* to a
    square: the aspect ratio is not kept, so nothing at the edges is cropped away.
    """
    return tf.image.resize(image, (size, size), method="bilinear", antialias=True)


def augmentation_layers(seed: int = config.SEED, flip: bool = True) -> keras.Sequential:
    """Return a seeded ``keras.Sequential``: random horizontal flip (if ``flip``), rotation ±18°, zoom out ≤10%.

    Flip only data whose mirror image keeps its class (``splits.mirror_safe``): a mirrored cat is a cat,
    a mirrored 7 is not a 7. Active only when called with ``training=True``; :func:`make_pipeline` applies
    it to training batches. Every augmented image keeps its label true: the uncovered corners are filled
    with black (``fill_mode="constant"``), not with a mirrored copy of the image that could add a second,
    partial object, and the zoom only zooms out, so it never crops an object near the edge out of frame.

    Each layer gets its own seed, derived from ``seed``: Keras random layers with equal seeds draw equal
    numbers, so they would flip, rotate and zoom in lock-step. The rotation and zoom draws do not depend on
    ``flip``.
    """
    flip_seed, rotation_seed, zoom_seed = (int(s) for s in np.random.default_rng(seed).integers(2**31, size=3))
    layers = [keras.layers.RandomFlip("horizontal", seed=flip_seed)] if flip else []
    layers += [keras.layers.RandomRotation(0.05, fill_mode="constant", seed=rotation_seed),
               keras.layers.RandomZoom((0.0, 0.1), fill_mode="constant", seed=zoom_seed)]  # > 0: zooms out
    return keras.Sequential(layers, name="augmentation")


# ------------------------------------------------------------------------------------------- pipelines
def resize_to_uint8(image: tf.Tensor, size: int) -> tf.Tensor:
    """:func:`resize`, rounded back to uint8: what the pipeline caches (4x less memory than float32)."""
    return tf.saturate_cast(tf.round(resize(image, size)), tf.uint8)  # uint8: the cache takes 4x less memory


def _positive_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def _check_pipeline_arguments(ds: object, image_size: object, batch_size: object, preprocess: object,
                              augment: object, cache: object = True, shuffle_buffer: object = 1) -> None:
    """Refuse, at the call, what would otherwise fail on the first batch in TensorFlow's words."""
    if not isinstance(ds, tf.data.Dataset):
        raise CourseValueError(f"make_pipeline takes a tf.data.Dataset of (image, label) examples, such as "
                               f"splits.train; got a {type(ds).__name__}.")
    images = ds.element_spec[0] if isinstance(ds.element_spec, tuple) else ds.element_spec
    if getattr(images, "shape", None) is not None and images.shape.rank == 4:
        raise CourseValueError(f"make_pipeline: ds is already batched (its images have shape {images.shape}); "
                               "pass the unbatched examples, such as splits.train (or ds.unbatch()).")
    if not _positive_int(shuffle_buffer):
        raise CourseValueError(f"make_pipeline: shuffle_buffer is how many examples are shuffled together, a "
                               f"positive int such as 1000; got {shuffle_buffer!r}.")
    if isinstance(cache, str) and cache and not Path(cache).expanduser().resolve().parent.is_dir():
        raise CourseValueError(f"make_pipeline: cache={cache!r} is in a folder that does not exist; create it "
                               f"first (Path({str(Path(cache).parent)!r}).mkdir(parents=True)) or pass cache=True.")
    if not _positive_int(image_size):
        hint = " (that is cfg.image_shape; pass cfg.image_size)" if isinstance(image_size, tuple) else ""
        raise CourseValueError(f"make_pipeline: image_size is the side of the square images in pixels, a positive "
                               f"int such as cfg.image_size; got {image_size!r}{hint}.")
    if not _positive_int(batch_size):
        raise CourseValueError(f"make_pipeline: batch_size is how many images go in a batch, a positive int such as "
                               f"cfg.batch_size; got {batch_size!r}.")
    for name, fn in (("preprocess", preprocess), ("augment", augment)):
        if fn is not None and not callable(fn):
            raise CourseValueError(f"make_pipeline: {name} must be a function (or None); got a "
                                   f"{type(fn).__name__}. Pass the function itself, without calling it.")


def make_pipeline(ds: tf.data.Dataset, image_size: int, preprocess: Callable | None = None,
                  batch_size: int = 32, training: bool = False, augment: Callable | None = None,
                  cache: bool | str = True, shuffle_buffer: int = 1000,
                  seed: int = config.SEED) -> tf.data.Dataset:
    """Return batches of ``(float32 images, labels)`` ready for ``fit``, from ``(image, label)`` examples.

    Order of steps: resize (parallel, deterministic) → cache → shuffle (``training`` only, seeded) →
    batch → augment (``training`` only) → ``preprocess`` → prefetch. Caching comes before augmentation
    and preprocessing, so every epoch gets fresh augmentations and pipelines with different
    ``preprocess`` functions can share the resize work. ``cache=True`` caches in memory when the resized
    images fit in :data:`MEMORY_CACHE_LIMIT`; a string caches to that file.

    >>> train_ds = make_pipeline(splits.train, 64, keras.applications.mobilenet_v2.preprocess_input,
    ...                          training=True, augment=augmentation_layers(flip=splits.mirror_safe))
    """
    _check_pipeline_arguments(ds, image_size, batch_size, preprocess, augment, cache, shuffle_buffer)
    ds = ds.map(lambda x, y: (resize_to_uint8(x, image_size), y), num_parallel_calls=AUTOTUNE,
                deterministic=True)
    if isinstance(cache, str):
        ds = ds.cache(cache)
    elif cache:
        n = int(ds.cardinality())  # negative: unknown (a TFRecord stream) or infinite
        if 0 <= n and n * image_size * image_size * 3 <= MEMORY_CACHE_LIMIT:
            ds = ds.cache()
        else:
            size = f"{n} images of {image_size} px do not fit" if n >= 0 else "a dataset of unknown size may not fit"
            warnings.warn(f"make_pipeline: {size} in the in-memory cache ({MEMORY_CACHE_LIMIT / 1024**3:.0f} GB); "
                          "not caching. Pass cache='some/file' to cache on disk.", stacklevel=2)
    if training:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    @tf.autograph.experimental.do_not_convert  # plain Python branches: nothing for AutoGraph to convert
    def _finish(images, labels):
        images = tf.cast(images, tf.float32)
        if training and augment is not None:
            images = augment(images, training=True) if isinstance(augment, keras.layers.Layer) else augment(images)
        if preprocess is not None:
            images = preprocess(images)
        return images, labels

    return ds.map(_finish, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(AUTOTUNE)


_TRACED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def extract_features(base: keras.Model | Callable, ds: tf.data.Dataset,
                     batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(features, labels)`` numpy arrays: the frozen ``base`` run once over every batch of ``ds``.

    ``ds`` yields preprocessed ``(images, labels)`` batches, e.g. ``make_pipeline(..., training=False)``
    (pass ``batch_size`` if it yields single examples instead). Keras bases run with ``training=False``,
    so BatchNorm uses its stored statistics. Cached features cannot be augmented: use this for the
    frozen phase only.

    >>> features, labels = extract_features(base_model, make_pipeline(splits.train, 64, preprocess))
    """
    if batch_size is not None:
        if not _positive_int(batch_size):
            raise CourseValueError(f"extract_features: batch_size is how many images go in a batch, a positive "
                                   f"int such as cfg.batch_size (or None for a dataset of batches); got {batch_size!r}.")
        ds = ds.batch(batch_size)
    if not isinstance(ds, tf.data.Dataset):
        raise CourseValueError(f"extract_features takes a tf.data.Dataset of (images, labels) batches, such as "
                               f"make_pipeline(splits.train, ...); got a {type(ds).__name__}.")
    shape = ds.element_spec[0].shape if isinstance(ds.element_spec, tuple) else None
    if shape is not None and shape.rank == 3:
        raise CourseValueError(f"extract_features: ds yields single images of shape {shape}, not batches; pass "
                               "make_pipeline(...)'s batches, or batch_size=cfg.batch_size.")
    run = base
    if isinstance(base, keras.layers.Layer):  # trace it once per base, for any batch size
        if base not in _TRACED:
            ref = weakref.ref(base)
            _TRACED[base] = tf.function(lambda images: ref()(images, training=False))
        run = _TRACED[base].get_concrete_function(ds.element_spec[0])
    features, labels = [], []
    for images, batch_labels in ds:
        features.append(np.asarray(run(images)))
        labels.append(np.asarray(batch_labels))
    if not features:
        raise CourseValueError("extract_features got an empty dataset: check the split it came from (its size is "
                               "in splits.sizes).")
    return np.concatenate(features), np.concatenate(labels)


def features_dataset(features: np.ndarray, labels: np.ndarray, batch_size: int = 32, shuffle: bool = True,
                     seed: int = config.SEED) -> tf.data.Dataset:
    """Return batches of ``(features, labels)`` to train a head on, reshuffled every epoch when ``shuffle``.

    >>> head.fit(features_dataset(train_features, train_labels), epochs=cfg.head_epochs)
    """
    if not _positive_int(batch_size):
        raise CourseValueError(f"features_dataset: batch_size is how many feature vectors go in a batch, a "
                               f"positive int such as cfg.batch_size; got {batch_size!r}.")
    if len(features) != len(labels):
        raise CourseValueError(f"features_dataset: {len(features)} feature vectors but {len(labels)} labels; pass "
                               "the two arrays extract_features returned for the same split, unchanged.")
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(AUTOTUNE)
