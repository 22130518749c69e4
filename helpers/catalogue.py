"""The asset catalogue: one entry per base model and per dataset, holding everything about it.

A :class:`ModelSpec` says where the real base comes from (TF Hub and Kaggle handles, or its
``keras.applications`` class and module), what it expects (input size, ``preprocess_input``), and its offline
stand-in: where it is, which Keras architecture its weights load into, what ``load_base`` prints, and how
``scripts/build_offline_assets.py`` pre-trains it. A :class:`DatasetSpec` does the same for a tfds dataset and its
glyph stand-in. Nothing else in the course branches on a model's or a dataset's name (``tests/test_catalogue.py``
checks it); to add one, see CONTRIBUTING.md ("Add a base model", "Add a dataset").

This module imports nothing heavy at import time: Keras is imported by :attr:`ModelSpec.preprocess_input` only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers import standins
from helpers.errors import CourseValueError, did_you_mean

if TYPE_CHECKING:
    from helpers.config import Profile


@dataclass(frozen=True)
class DatasetSpec:
    """A real tfds dataset, how the course splits it, and its offline stand-in."""

    name: str
    num_classes: int
    train_size: int  # examples in the real dataset's only split, "train"
    splits: dict[str, str]  # full profile
    quick_splits: dict[str, str]
    homepage: str
    license: str
    offline: str  # the tfds name of the real photos in data/tfds served offline (scripts/build_real_assets.py)
    offline_classes: tuple[str, ...]  # their class names in label order
    standin: str  # the tfds name of the glyph stand-in in data/tfds (built by scripts/build_offline_assets.py),
    #               served offline to the bases whose only offline form is a glyph stand-in (VGG16)
    standin_classes: tuple[str, ...]  # the stand-in's class names in label order: digit names (not letters)
    standin_split_sizes: dict[str, int]  # images per split of the stand-in (every class equally often)
    mirror_safe: bool = True  # a mirrored photo keeps its class (cats, flowers); a mirrored digit does not
    example_photos: bool = False  # its photos are also notebook 10's folder of class folders (images.example_folder)


_STANDIN_SPLIT_SIZES = {"train": 200, "validation": 200, "test": 600}

DATASETS: dict[str, DatasetSpec] = {
    "cats_vs_dogs": DatasetSpec(
        name="cats_vs_dogs", num_classes=2, train_size=23_262,
        splits={"train": "train[:80%]", "validation": "train[80%:90%]", "test": "train[90%:]"},
        quick_splits={"train": "train[:10%]", "validation": "train[80%:82%]", "test": "train[90%:93%]"},
        homepage="https://www.microsoft.com/en-us/download/details.aspx?id=54765",
        license="Microsoft Research licence for the Kaggle Dogs vs. Cats images (research use)",
        offline="flower_pair", offline_classes=("roses", "tulips"),
        standin="glyphs_binary", standin_classes=("three", "eight"), standin_split_sizes=_STANDIN_SPLIT_SIZES,
    ),
    "tf_flowers": DatasetSpec(
        name="tf_flowers", num_classes=5, train_size=3_670,
        splits={"train": "train[:80%]", "validation": "train[80%:90%]", "test": "train[90%:]"},
        quick_splits={"train": "train[:30%]", "validation": "train[80%:85%]", "test": "train[90%:]"},
        homepage="https://www.tensorflow.org/datasets/catalog/tf_flowers",
        license="CC BY 2.0 (photos from Flickr, credited in the dataset's LICENSE.txt)",
        offline="flower_photos_small", offline_classes=("dandelion", "daisy", "tulips", "sunflowers", "roses"),
        standin="glyphs_five", standin_classes=("two", "four", "five", "seven", "nine"),
        standin_split_sizes=_STANDIN_SPLIT_SIZES, example_photos=True,
    ),
}


@dataclass(frozen=True)
class Pretraining:
    """How ``scripts/build_offline_assets.py`` pre-trains a stand-in base on the glyph source task.

    The shipped models' figures are in data/README.md.
    """

    epochs: int
    learning_rate: float  # peak of a cosine decay after a short warm-up; Adam, gradients clipped at norm 1
    batchnorm: str  # "recalibrate": re-estimate the BatchNorm statistics after training; "fold": train a twin
    #                 with a BatchNorm after every conv, then fold each into its conv (a net without BatchNorm)


@dataclass(frozen=True)
class ModelSpec:
    """A pre-trained base: where the real one comes from, what it expects, and its stand-in."""

    name: str
    source: str  # "tfhub" or "keras"
    handle: str  # TF Hub handle, or keras.applications attribute name
    input_size: int  # the size it was trained at
    preprocessing: str  # "[0,1]", "[-1,1]", "caffe" or "raw [0,255]"
    params_millions: float  # without the ImageNet classifier
    imagenet_top1: float  # published, as a fraction
    standin: Path | None  # the stand-in's weights file (keras) or SavedModel folder (tfhub), or None
    family: str  # the architecture, as data/README.md credits it ("* MobileNetV2: ...")
    license: str = "Apache-2.0"
    kaggle_handle: str | None = None  # where a tfhub.dev handle redirects to since 2023-11 (Kaggle Models)
    keras_module: str | None = None  # keras.applications.<module>, home of its preprocess_input (keras bases)
    standin_build: Callable[..., Any] | None = None  # keras: the architecture its stand-in weights load into
    standin_loaded: str = ""  # what load_base prints for the stand-in; {label}: pre-trained or random weights
    pretraining: Pretraining | None = None  # keras: how its stand-in is pre-trained
    standin_from: str | None = None  # tfhub: the keras entry whose pre-trained stand-in is exported as this one
    classifier: bool = False  # tfhub: the model keeps its classifier (the stand-in: its source-task head)
    no_standin: str = ""  # why it has no stand-in (then it runs in the real profiles only)
    offline_real: Path | None = None  # real ImageNet weights shipped in data/, used offline instead of the stand-in
    offline_label: str = ""  # what load_base / HubLayer print for them
    min_input_size: int = 32  # keras bases: the smallest side load_base accepts (keras.applications refuses
    #                           below 32 px for all four, include_top=False; their stand-ins pool the same way)

    @property
    def preprocess_input(self) -> Callable:
        """``keras.applications.<keras_module>.preprocess_input`` (keras bases only)."""
        import keras

        if self.keras_module is None:
            raise CourseValueError(f"{self.name} is a TF Hub model: it takes [0, 1] images, no preprocess_input.")
        return getattr(keras.applications, self.keras_module).preprocess_input


TFHUB_MOBILENET_V2 = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"
TFHUB_MOBILENET_V2_CLASSIFIER = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/classification/4"
KAGGLE_MOBILENET_V2 = "https://www.kaggle.com/models/google/mobilenet-v2/TensorFlow2/tf2-preview-feature-vector/4"
"""The seed's handle in its Kaggle form: tfhub.dev handles redirect to Kaggle Models (since 2023-11), and hub.load
takes either."""
_REAL_MOBILENET_LABEL = (f"REAL ImageNet weights of MobileNetV2 at alpha {standins.MOBILENET_V2_ALPHA} (Keras's own "
                         "file, shipped in data/models; quick/full load the full-width alpha 1.0)")
_REAL_ONLY = "no stand-in: shown in the catalogue, loaded in the real profiles only"

MODELS: dict[str, ModelSpec] = {
    "mobilenet_v2_hub": ModelSpec(
        "mobilenet_v2_hub", "tfhub", TFHUB_MOBILENET_V2, 224, "[0,1]", 2.26, 0.718,
        standin=None, family="MobileNetV2", kaggle_handle=KAGGLE_MOBILENET_V2,
        offline_real=standins.MOBILENET_V2_IMAGENET_FEATURE_VECTOR, offline_label=_REAL_MOBILENET_LABEL),
    "mobilenet_v2_hub_classifier": ModelSpec(
        "mobilenet_v2_hub_classifier", "tfhub", TFHUB_MOBILENET_V2_CLASSIFIER, 224, "[0,1]", 3.54, 0.718,
        standin=standins.MOBILENET_V2_CLASSIFIER, family="MobileNetV2", standin_from="mobilenet_v2", classifier=True),
    "mobilenet_v2": ModelSpec(
        "mobilenet_v2", "keras", "MobileNetV2", 224, "[-1,1]", 2.26, 0.713,
        standin=standins.MOBILENET_V2_WEIGHTS, family="MobileNetV2", keras_module="mobilenet_v2",
        standin_build=standins.mobilenet_v2_standin,
        standin_loaded=f"STAND-IN for MobileNetV2: keras.applications.MobileNetV2(alpha={standins.MOBILENET_V2_ALPHA}, "
                       "...) {label}",
        pretraining=Pretraining(epochs=12, learning_rate=2e-3, batchnorm="recalibrate"),
        offline_real=standins.MOBILENET_V2_IMAGENET_WEIGHTS, offline_label=_REAL_MOBILENET_LABEL),
    "vgg16": ModelSpec(
        "vgg16", "keras", "VGG16", 224, "caffe", 14.71, 0.713,
        standin=standins.VGG16_WEIGHTS, family="VGG16", keras_module="vgg16", standin_build=standins.vgg16_standin,
        standin_loaded="STAND-IN for VGG16 (same layout and layer names, fewer filters, {label})",
        pretraining=Pretraining(epochs=10, learning_rate=2e-3, batchnorm="fold")),
    "resnet50": ModelSpec("resnet50", "keras", "ResNet50", 224, "caffe", 23.59, 0.749, standin=None,
                          family="ResNet50", keras_module="resnet50", no_standin=_REAL_ONLY),
    "efficientnet_b0": ModelSpec(
        "efficientnet_b0", "keras", "EfficientNetB0", 224, "raw [0,255]", 4.05, 0.771, standin=None,
        family="EfficientNetB0", keras_module="efficientnet", no_standin=_REAL_ONLY),
}

IMAGENET_LABELS_URL = "https://storage.googleapis.com/download.tensorflow.org/data/ImageNetLabels.txt"
"""The 1001 labels (background + ImageNet's 1000) of the TF Hub classifier's outputs."""

CATALOGUE_HOSTS = ("tfhub.dev", "www.kaggle.com", "storage.googleapis.com", "download.microsoft.com")
"""Where the real assets come from: TF Hub handles redirect to Kaggle; Keras weights and tf_flowers come
from GCS, the cats_vs_dogs archive from Microsoft."""
PROBE_URLS = {
    "tfhub.dev": TFHUB_MOBILENET_V2 + "?tf-hub-format=compressed",
    "storage.googleapis.com": "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz",
    "download.microsoft.com": "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/"
                              "kagglecatsanddogs_5340.zip",
}
"""A real file on each host: a host "answers" when it serves that file's headers (a proxy or portal that
accepts connections but not the course's downloads does not)."""


def _unknown(kind: str, name: Any, known: list[str], where: str) -> CourseValueError:
    """The error for a name the catalogue does not have: what it has, and the likely intended one."""
    return CourseValueError(f"{where}: there is no {kind} {name!r}.{did_you_mean(name, known)} The catalogue has: "
                            f"{', '.join(known)}.")


def model_spec(name: str, where: str = "the catalogue") -> ModelSpec:
    """The catalogue's :class:`ModelSpec` for ``name``, or a clear error naming the models it has."""
    if name not in MODELS:
        raise _unknown("model", name, list(MODELS), where)
    return MODELS[name]


def dataset_spec(name: str, where: str = "the catalogue") -> DatasetSpec:
    """The catalogue's :class:`DatasetSpec` for ``name``, or a clear error naming the datasets it has."""
    if name not in DATASETS:
        raise _unknown("dataset", name, list(DATASETS), where)
    return DATASETS[name]


def runs_real_offline(base: str | None) -> bool:
    """Whether catalogue base ``base`` runs on real ImageNet weights offline (None: the lessons' MobileNetV2)."""
    return base is None or model_spec(base).offline_real is not None


def dataset_splits(name: str, profile: Profile, base: str | None = None) -> tuple[str, dict[str, str], Path | None]:
    """``(tfds name, {train/validation/test: split spec}, data_dir)`` for ``name`` in ``profile``.

    Offline, the real photos shipped in data/tfds; for a ``base`` whose only offline form is a glyph stand-in
    (VGG16), the glyph dataset built as that stand-in's pair.

    >>> dataset_splits("cats_vs_dogs", PROFILES["offline"])[0]
    'flower_pair'
    >>> dataset_splits("tf_flowers", PROFILES["offline"], base="vgg16")[0]
    'glyphs_five'
    """
    spec = dataset_spec(name, "dataset_splits")
    if not profile.real_assets:
        offline = spec.offline if runs_real_offline(base) else spec.standin
        return offline, dict(standins.SPLITS), standins.TFDS_DIR
    splits = spec.splits if profile.name == "full" else spec.quick_splits
    return spec.name, dict(splits), None


@dataclass(frozen=True)
class PresetSpec:
    """A real KerasHub preset (notebook 12): name, Kaggle handle, size (its metadata), published ImageNet top-1."""

    name: str
    kaggle_handle: str  # as in KerasHub's preset list, without "kaggle://"; the same in keras-hub 0.26 and 0.32
    params: int  # the backbone's parameters, the preset's "params" metadata
    imagenet_top1: float  # not in KerasHub's metadata: the published figure, from `top1_source`
    top1_source: str
    why: str


KERAS_HUB_PRESETS: dict[str, PresetSpec] = {
    "quick": PresetSpec(
        name="mobilenet_v3_small_100_imagenet", kaggle_handle="keras/mobilenetv3/keras/mobilenet_v3_small_100_imagenet/1",
        params=939_120, imagenet_top1=0.674, top1_source="Howard et al. 2019, Searching for MobileNetV3, Table 3",
        why="the smallest full-width ImageNet backbone KerasHub has: fine-tunes on a CPU at its 224 px"),
    "full": PresetSpec(
        name="efficientnet_b0_ra_imagenet", kaggle_handle="keras/efficientnet/keras/efficientnet_b0_ra_imagenet/2",
        params=5_288_548, imagenet_top1=0.771,
        top1_source="Tan & Le 2019, EfficientNet, Table 2: the architecture's figure; these are timm's RandAugment weights",
        why="ten points of ImageNet accuracy above it; its 5.3 M count includes EfficientNet's 1.28 M ImageNet "
            "classifier, MobileNetV3's 0.9 M excludes it (backbones: about 4.0 M vs 0.9 M); a T4 fine-tunes it at 224 px"),
}
"""The KerasHub preset of each real profile (notebook 12); offline runs the stand-in preset of
:data:`helpers.standins.KERAS_HUB_PRESET_DIR`. Sizes from each preset's metadata in KerasHub's preset list."""
