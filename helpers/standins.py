"""The offline stand-ins: the one home of their facts (folders, file names, widths, layouts), how to recognise
them, the small VGG16-shaped builder and the two BatchNorm tools their pre-training needs.

The stand-ins are built by ``scripts/build_offline_assets.py`` and described in ``data/README.md``; the
catalogue (``helpers/catalogue.py``: which stand-in replaces which real asset, its classes and sizes), the
loaders, the builder and the benchmarks read every fact about their files and layouts from here. This module
imports nothing heavy at import time (the catalogue imports it before TensorFlow is loaded): Keras and NumPy are
imported inside the functions that need them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
TFDS_DIR = DATA_DIR / "tfds"
"""Prepared tfds datasets of the stand-ins (``tfds.load(name, data_dir=TFDS_DIR)``)."""
MODELS_DIR = DATA_DIR / "models"
MARKER = "COURSE_STANDIN.txt"
"""File every stand-in model folder carries; the real profiles refuse a model that has it."""

SOURCE_SAMPLE_DIR = DATA_DIR / "glyphs_source_sample"
"""A few images of the source task the bases were pre-trained on (file name = class), e.g. for a top-5."""
IMAGE_SIZE = 64
"""Side of every stand-in image, in pixels, and the input size the stand-in bases were pre-trained at."""

SPLITS = {"train": "train", "validation": "validation", "test": "test"}
"""The stand-in datasets ship the three splits the course uses, under these names."""

MOBILENET_V2_DIR = MODELS_DIR / "mobilenet_v2_standin"
MOBILENET_V2_ALPHA = 0.35
"""Width multiplier of the MobileNetV2 stand-in: ``keras.applications.MobileNetV2(alpha=0.35, ...)``."""
MOBILENET_V2_WEIGHTS = MOBILENET_V2_DIR / "notop.weights.h5"
MOBILENET_V2_FEATURE_VECTOR = MOBILENET_V2_DIR / "feature_vector"
MOBILENET_V2_CLASSIFIER = MOBILENET_V2_DIR / "classifier"
MOBILENET_V2_SOURCE_CLASSES = MOBILENET_V2_DIR / "source_classes.txt"
KERAS_HUB_PRESET_DIR = DATA_DIR / "keras_hub" / "resnet_standin"
"""Notebook 12's offline KerasHub preset folder (``scripts/build_keras_hub_preset.py``): a glyph-trained toy ResNet."""
MOBILENET_V2_IMAGENET_DIR = MODELS_DIR / "mobilenet_v2_imagenet"
"""Not a stand-in: Keras's own ImageNet weights of MobileNetV2 (alpha 0.35), shipped so that the offline
profile runs the lessons on a real pre-trained network (``scripts/build_real_assets.py``; no marker file)."""
MOBILENET_V2_IMAGENET_WEIGHTS = MOBILENET_V2_IMAGENET_DIR / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
MOBILENET_V2_IMAGENET_FEATURE_VECTOR = MOBILENET_V2_IMAGENET_DIR / "feature_vector"
"""The same real weights as a TF Hub SavedModel: [0,1] images of any size in, 1280 pooled features out."""
PHOTOS_DIR = DATA_DIR / "flower_photos"
"""Real photos of tf_flowers' ``flower_photos`` (CC-BY 2.0, attributions in its LICENSE.txt), downscaled, in one
folder per class: notebook 10's folder offline, with the broken and odd files its loader report needs."""
VGG16_DIR = MODELS_DIR / "vgg16_standin"
VGG16_WEIGHTS = VGG16_DIR / "notop.weights.h5"

VGG16_FILTERS = (8, 16, 32, 64, 64)
"""Filters per block: 1/8 of VGG16's (64, 128, 256, 512, 512)."""
VGG16_CONVS = (2, 2, 3, 3, 3)
VGG16_FC_UNITS = 256
"""Units of ``fc1``/``fc2`` (VGG16: 4096)."""


def is_standin(path: str | Path) -> bool:
    """True when ``path`` (a model folder or a file) or a folder above it carries the stand-in marker."""
    p = Path(path)
    folders = ([p] if p.is_dir() else []) + list(p.parents)
    return any((d / MARKER).is_file() for d in folders)


def source_classes() -> list[str]:
    """The classes the MobileNetV2 stand-in classifier predicts (its "ImageNet")."""
    return MOBILENET_V2_SOURCE_CLASSES.read_text(encoding="utf8").split()


def mobilenet_v2_standin(input_shape: tuple[int | None, int | None, int] = (64, 64, 3), include_top: bool = False,
                         weights: str | Path | None = None, pooling: str | None = None) -> Any:
    """The MobileNetV2 stand-in's architecture: ``keras.applications.MobileNetV2`` at width :data:`MOBILENET_V2_ALPHA`.

    ``weights`` is ``None`` (random) or a ``.weights.h5`` file (:data:`MOBILENET_V2_WEIGHTS`). Returns a
    ``keras.Model``.
    """
    import keras

    return keras.applications.MobileNetV2(input_shape=input_shape, alpha=MOBILENET_V2_ALPHA, include_top=include_top,
                                          weights=None if weights is None else str(weights), pooling=pooling)


def vgg16_standin(input_shape: tuple[int | None, int | None, int] = (64, 64, 3), include_top: bool = False,
                  weights: str | Path | None = None, classes: int = 26, pooling: str | None = None,
                  classifier_activation: str | None = "softmax", batch_norm: bool = False) -> Any:
    """A small VGG16: same blocks and layer names as ``keras.applications.VGG16``, 1/8 of the filters.

    Expects VGG's "caffe" preprocessing (``keras.applications.vgg16.preprocess_input`` on [0, 255] RGB).
    ``weights`` is ``None`` (random) or a ``.weights.h5`` file saved from a model built with the same
    ``include_top``. ``batch_norm=True`` adds a BatchNorm (``blockN_bnM``) after every conv: the twin that
    ``scripts/build_offline_assets.py`` pre-trains and then folds back into this plain, BatchNorm-free net.
    Returns a ``keras.Model``.
    """
    import keras

    inputs = keras.Input(shape=input_shape)
    x = inputs
    for block, (filters, convs) in enumerate(zip(VGG16_FILTERS, VGG16_CONVS), start=1):
        for i in range(1, convs + 1):
            # He initialisation, the first layer scaled down for caffe inputs (std ~60): the plain net has no
            # BatchNorm to undo a badly scaled start
            scale = 2.0 / 60.0**2 if (block, i) == (1, 1) else 2.0
            init = keras.initializers.VarianceScaling(scale, "fan_in", "truncated_normal")
            x = keras.layers.Conv2D(filters, 3, padding="same", activation=None if batch_norm else "relu",
                                    kernel_initializer=init, name=f"block{block}_conv{i}")(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"block{block}_bn{i}")(x)
                x = keras.layers.ReLU(name=f"block{block}_relu{i}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(VGG16_FC_UNITS, activation="relu", name="fc1")(x)
        x = keras.layers.Dense(VGG16_FC_UNITS, activation="relu", name="fc2")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="global_max_pooling2d")(x)
    model = keras.Model(inputs, x, name="vgg16_standin")
    if weights is not None:
        model.load_weights(str(weights))
    return model


def recalibrate_batchnorm(model: Any, images: Any, batch: int = 128, batches: int = 40, seed: int = 0) -> None:
    """In place: every BatchNorm's moving statistics become the mean of ``batches`` batches' statistics.

    Keras' MobileNetV2 uses momentum 0.999: after a few thousand steps of pre-training its moving averages
    still hold part of their initial values (mean 0, variance 1), which wrecks inference-mode outputs. The
    batches are drawn from ``images`` (a NumPy array, in ``model``'s input format) in an order fixed by
    ``seed``; ``batch=len(images), batches=1`` gives the statistics of the whole set ("precise BN").
    """
    import keras
    import numpy as np

    bns = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        return
    saved = [bn.momentum for bn in bns]
    order = np.random.default_rng(seed).permutation(len(images))
    for k in range(min(batches, len(images) // batch)):
        for bn in bns:
            bn.momentum = k / (k + 1)  # running mean of the batch statistics
        model(images[order[k * batch:(k + 1) * batch]], training=True)
    for bn, momentum in zip(bns, saved):
        bn.momentum = momentum


def fold_batchnorm(twin: Any, plain: Any) -> None:
    """In place: ``plain``'s convolutions become ``twin``'s with the BatchNorm after each one folded in.

    ``twin`` is ``vgg16_standin(batch_norm=True)``, ``plain`` the same layout without BatchNorm. Conv then BN
    in inference mode is ``gamma * (W*x + b - mean) / sqrt(var + eps) + beta``: one conv with kernel
    ``W * s`` and bias ``(b - mean) * s + beta``, where ``s = gamma / sqrt(var + eps)``.
    """
    import keras
    import numpy as np

    for layer in plain.layers:
        if not isinstance(layer, keras.layers.Conv2D):
            continue
        kernel, bias = twin.get_layer(layer.name).get_weights()
        bn = twin.get_layer(layer.name.replace("_conv", "_bn"))
        gamma, beta, mean, var = bn.get_weights()
        scale = gamma / np.sqrt(var + bn.epsilon)
        layer.set_weights([kernel * scale, (bias - mean) * scale + beta])


def standin_label(path: Path) -> str:
    """``path`` relative to ``data/models`` (or ``data/``), as the catalogue shows it."""
    for root in (MODELS_DIR, DATA_DIR):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return str(path)
