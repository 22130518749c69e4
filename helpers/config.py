"""Profiles, the asset catalogue and the one-call notebook setup.

Every notebook starts with ``cfg = setup()``. It resolves the *profile* once per kernel:

* ``full``    real assets (TF Hub, tfds, Keras ImageNet weights), full data: for a GPU;
* ``quick``   real assets, smaller images, subsets and fewer epochs: for a CPU laptop;
* ``offline`` the small stand-ins shipped in ``data/``: no network needed (what CI runs);
* ``auto``    (``COURSE_PROFILE`` unset) ``full``/``quick`` when the real assets are reachable or cached,
  else ``offline``, decided in a few seconds.

The handle of every real asset lives in :data:`DATASETS` and :data:`MODELS`, next to the stand-in that
replaces it offline. Notebooks read sizes and epochs from the returned :class:`Profile`.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import os
import platform
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import standins

REPO_URL = "https://github.com/tl-course/transfer-learning-course"
"""The one place the course's repository URL is configured (Colab badges, the Colab setup cell)."""

REPO_ROOT = standins.REPO_ROOT
SEED = 42


def use_assets_folder() -> None:
    """Point TF Hub, tfds and Keras at a prefetched folder when ``COURSE_ASSETS`` names one.

    Runs when this module is imported, before Keras reads ``KERAS_HOME``; variables already set win.
    ``make prefetch`` fills such a folder (docs/instructor-guide.md).
    """
    folder = os.environ.get("COURSE_ASSETS")
    if folder:
        os.environ.setdefault("TFHUB_CACHE_DIR", str(Path(folder) / "tfhub_modules"))
        os.environ.setdefault("TFDS_DATA_DIR", str(Path(folder) / "tensorflow_datasets"))
        os.environ.setdefault("KERAS_HOME", str(Path(folder) / "keras"))


use_assets_folder()


@dataclass(frozen=True)
class Profile:
    """Sizes and budgets one profile gives every notebook."""

    name: str
    real_assets: bool
    image_size: int
    batch_size: int
    head_epochs: int
    fine_tune_epochs: int
    head_learning_rate: float
    fine_tune_learning_rate: float
    fine_tune_at: int  # MobileNetV2 (keras form): layers below this index stay frozen in notebook 06
    summary: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(image_size, image_size, 3)``, the input shape of the bases."""
        return (self.image_size, self.image_size, 3)


PROFILES: dict[str, Profile] = {
    "offline": Profile(
        name="offline", real_assets=False, image_size=64, batch_size=32,
        head_epochs=10, fine_tune_epochs=10, head_learning_rate=1e-3, fine_tune_learning_rate=1e-5,
        fine_tune_at=100,
        summary="bundled STAND-INS from data/ (synthetic glyph images, small nets pre-trained by this "
                "project): no network needed; results are not what real data gives",
    ),
    "quick": Profile(
        name="quick", real_assets=True, image_size=128, batch_size=32,
        head_epochs=3, fine_tune_epochs=2, head_learning_rate=1e-3, fine_tune_learning_rate=1e-5,
        fine_tune_at=100,
        summary="real datasets and pre-trained models, smaller images and data subsets: sized for a CPU laptop",
    ),
    "full": Profile(
        name="full", real_assets=True, image_size=224, batch_size=32,
        head_epochs=10, fine_tune_epochs=10, head_learning_rate=1e-3, fine_tune_learning_rate=1e-5,
        fine_tune_at=100,
        summary="real datasets and pre-trained models at full size: meant for a GPU",
    ),
}


SCRATCH_LEARNING_RATES: tuple[float, ...] = (1e-2, 1e-3, 3e-4)
"""The grid a network trained from scratch gets its learning rate from, chosen on validation: exercise 09 and
``benchmarks/transfer_gain.py`` both use it, so the comparison gives the from-scratch side its best chance."""


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
    mirror_safe: bool = True  # a mirrored photo keeps its class (cats, flowers); a mirrored digit does not

    @property
    def standin(self) -> str:
        """The tfds name of the offline stand-in shipped in data/tfds (see helpers/standins.py)."""
        return standins.DATASETS[self.name]


DATASETS: dict[str, DatasetSpec] = {
    "cats_vs_dogs": DatasetSpec(
        name="cats_vs_dogs", num_classes=2, train_size=23_262,
        splits={"train": "train[:80%]", "validation": "train[80%:90%]", "test": "train[90%:]"},
        quick_splits={"train": "train[:10%]", "validation": "train[80%:82%]", "test": "train[90%:93%]"},
        homepage="https://www.microsoft.com/en-us/download/details.aspx?id=54765",
        license="Microsoft Research licence for the Kaggle Dogs vs. Cats images (research use)",
    ),
    "tf_flowers": DatasetSpec(
        name="tf_flowers", num_classes=5, train_size=3_670,
        splits={"train": "train[:80%]", "validation": "train[80%:90%]", "test": "train[90%:]"},
        quick_splits={"train": "train[:30%]", "validation": "train[80%:85%]", "test": "train[90%:]"},
        homepage="https://www.tensorflow.org/datasets/catalog/tf_flowers",
        license="CC BY 2.0 (photos from Flickr, credited in the dataset's LICENSE.txt)",
    ),
}


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
    standin: Path | None  # the stand-in's folder or weights file (helpers/standins.py), or None
    license: str = "Apache-2.0"


TFHUB_MOBILENET_V2 = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"
TFHUB_MOBILENET_V2_CLASSIFIER = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/classification/4"

MODELS: dict[str, ModelSpec] = {
    "mobilenet_v2_hub": ModelSpec(
        "mobilenet_v2_hub", "tfhub", TFHUB_MOBILENET_V2, 224, "[0,1]", 2.26, 0.718,
        standin=standins.MOBILENET_V2_FEATURE_VECTOR),
    "mobilenet_v2_hub_classifier": ModelSpec(
        "mobilenet_v2_hub_classifier", "tfhub", TFHUB_MOBILENET_V2_CLASSIFIER, 224, "[0,1]", 3.54, 0.718,
        standin=standins.MOBILENET_V2_CLASSIFIER),
    "mobilenet_v2": ModelSpec(
        "mobilenet_v2", "keras", "MobileNetV2", 224, "[-1,1]", 2.26, 0.713,
        standin=standins.MOBILENET_V2_WEIGHTS),
    "vgg16": ModelSpec(
        "vgg16", "keras", "VGG16", 224, "caffe", 14.71, 0.713,
        standin=standins.VGG16_WEIGHTS),
    "resnet50": ModelSpec("resnet50", "keras", "ResNet50", 224, "caffe", 23.59, 0.749, standin=None),
    "efficientnet_b0": ModelSpec(
        "efficientnet_b0", "keras", "EfficientNetB0", 224, "raw [0,255]", 4.05, 0.771, standin=None),
}

IMAGENET_LABELS_URL = "https://storage.googleapis.com/download.tensorflow.org/data/ImageNetLabels.txt"
"""The 1001 labels (background + ImageNet's 1000) of the TF Hub classifier's outputs."""

CATALOGUE_HOSTS = ("tfhub.dev", "www.kaggle.com", "storage.googleapis.com", "download.microsoft.com")
"""Where the real assets come from: TF Hub handles redirect to Kaggle; Keras weights and tf_flowers come
from GCS, the cats_vs_dogs archive from Microsoft."""


def hub_cache_dir() -> Path:
    """The folder TF Hub caches models in (``TFHUB_CACHE_DIR``, default ``/tmp/tfhub_modules``)."""
    return Path(os.environ.get("TFHUB_CACHE_DIR", Path(os.environ.get("TMPDIR", "/tmp")) / "tfhub_modules"))


def hub_cache_path(handle: str) -> Path:
    """Where TF Hub looks for ``handle`` in its cache: the sha1 of the exact handle string."""
    return hub_cache_dir() / hashlib.sha1(handle.encode("utf8")).hexdigest()


def tfds_data_dir() -> Path:
    """Where tfds keeps prepared datasets (``TFDS_DATA_DIR``, default ``~/tensorflow_datasets``)."""
    return Path(os.environ.get("TFDS_DATA_DIR", Path.home() / "tensorflow_datasets"))


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded weights (``KERAS_HOME``, default ``~/.keras``) / models."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def _host_answers(host: str, timeout: float) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def hosts_reachable(hosts: tuple[str, ...] = CATALOGUE_HOSTS, timeout: float = 2.0) -> dict[str, bool]:
    """Try every host at once; return ``{host: answered within timeout}`` in about ``timeout`` seconds."""
    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
        answers = dict(zip(hosts, pool.map(lambda h: _host_answers(h, timeout), hosts)))
    return answers


def real_assets_cached() -> bool:
    """True when every real model and dataset the tutorial needs is already on disk (e.g. prefetched)."""
    hub_ok = all(
        hub_cache_path(m.handle).is_dir() and any(hub_cache_path(m.handle).iterdir())
        for m in MODELS.values() if m.source == "tfhub"
    )
    tfds_ok = all((tfds_data_dir() / d.name).is_dir() for d in DATASETS.values())
    return hub_ok and tfds_ok


@dataclass(frozen=True)
class Resolution:
    """The active profile and why it was chosen."""

    profile: Profile
    reason: str
    gpu: bool


_RESOLVED: Resolution | None = None


def gpu_available() -> bool:
    """True when TensorFlow sees a GPU (or the test harness simulates one, see :func:`simulated_gpu`)."""
    import tensorflow as tf

    return simulated_gpu() or bool(tf.config.list_physical_devices("GPU"))


def simulated_gpu() -> bool:
    """True when the test harness asks for the GPU code path on a CPU (``COURSE_HARNESS_GPU=1``).

    ``make test-colab`` sets it, so that the notebooks run as on Colab's GPU: mixed precision (float16 maths),
    float32 logits. Only honoured inside the harness: a learner's run never pretends to have a GPU.
    """
    return in_test_harness() and os.environ.get("COURSE_HARNESS_GPU") == "1"


def resolve_profile(refresh: bool = False) -> Resolution:
    """Decide the profile once per kernel from ``COURSE_PROFILE`` (see the module docstring).

    >>> resolve_profile().profile.name in PROFILES
    True
    """
    global _RESOLVED
    if _RESOLVED is not None and not refresh:
        return _RESOLVED
    gpu = gpu_available()
    asked = os.environ.get("COURSE_PROFILE", "auto").strip().lower() or "auto"
    if asked in PROFILES:
        name, reason = asked, f"COURSE_PROFILE={asked} is set"
    elif asked == "auto":
        name, reason = _auto_profile(gpu)
    else:
        raise ValueError(
            f"COURSE_PROFILE={asked!r} is not a profile. Use one of: auto, {', '.join(PROFILES)}.")
    profile = PROFILES[name]
    if os.environ.get("COURSE_SMOKE") == "1":  # test harness only: one tiny step per fit
        profile = dataclasses.replace(profile, image_size=32, batch_size=8, head_epochs=1, fine_tune_epochs=1)
        reason += "; COURSE_SMOKE=1 shrinks it to a smoke run"
    _RESOLVED = Resolution(profile, reason, gpu)
    return _RESOLVED


def _auto_profile(gpu: bool) -> tuple[str, str]:
    real = "full" if gpu else "quick"
    why_size = "a GPU was found" if gpu else "no GPU, so the CPU-sized profile"
    if real_assets_cached():
        return real, f"COURSE_PROFILE is unset and the real assets are cached on this machine; {why_size}"
    answers = hosts_reachable()
    if all(answers.values()):
        return real, f"COURSE_PROFILE is unset and the model/data hosts answer; {why_size}"
    silent = ", ".join(h for h, ok in answers.items() if not ok)
    return "offline", (f"COURSE_PROFILE is unset, {silent} did not answer within 2 s "
                       "and the real assets are not cached")


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def in_test_harness() -> bool:
    """True when the course's test harness runs this kernel (it says so with COURSE_HARNESS)."""
    return bool(os.environ.get("COURSE_HARNESS"))


COLAB_EXTRAS = {"tensorflow_hub": "tensorflow-hub", "tensorflow_datasets": "tensorflow-datasets",
                "importlib_resources": "importlib_resources", "tf_keras": "tf-keras", "ipywidgets": "ipywidgets"}


def colab_install() -> list[str]:
    """In Colab, pip-install the course packages Colab lacks (never TensorFlow or Keras); return their names."""
    import importlib.util
    import subprocess

    missing = [pkg for module, pkg in COLAB_EXTRAS.items() if importlib.util.find_spec(module) is None]
    if missing:
        import tensorflow as tf  # Colab's own: tf-keras must match it, or pip would replace TensorFlow

        minor = ".".join(tf.__version__.split(".")[:2])
        pinned = [f"tf-keras=={minor}.*" if pkg == "tf-keras" else pkg for pkg in missing]
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *pinned], check=True)
    return missing


def versions() -> dict[str, str]:
    """Versions of Python and the course's main packages."""
    import keras
    import tensorflow as tf
    import tensorflow_datasets as tfds
    import tensorflow_hub as hub

    return {"Python": platform.python_version(), "TensorFlow": tf.__version__, "Keras": keras.__version__,
            "TF Hub": hub.__version__, "tfds": tfds.__version__}


def banner(resolution: Resolution) -> str:
    """The text the setup cell prints: profile, why, how to change it, versions, GPU."""
    p = resolution.profile
    rule = "=" * 78
    lines = [rule, f"Profile: {p.name.upper()}  ({p.summary})", f"Why: {resolution.reason}."]
    if not p.real_assets:
        lines.append("Offline: every model and dataset you see here is a labelled STAND-IN (data/README.md).")
    if in_test_harness():
        lines.append(f"TEST HARNESS ({os.environ['COURSE_HARNESS']}): assets are mocked, results mean nothing.")
    lines += [
        "Change it: set COURSE_PROFILE=offline|quick|full before starting Jupyter "
        "(or in the first cell), then restart the kernel.",
        "  ".join(f"{k} {v}" for k, v in versions().items()),
        ("GPU: yes" + (" (SIMULATED by the test harness: the GPU code path on a CPU)" if simulated_gpu() else "")
         + ("; mixed precision on (float16 maths, float32 weights)" if p.real_assets else ""))
        if resolution.gpu else
        "GPU: none, training runs on the CPU. In Colab: Runtime > Change runtime type > T4 GPU.",
        f"Seed: {SEED}",
        rule,
    ]
    return "\n".join(lines)


def setup(seed: int = SEED, quiet: bool = False) -> Profile:
    """Resolve the profile, fix the seeds, print the banner; return the active :class:`Profile`.

    >>> cfg = setup()          # first code cell of every notebook
    >>> cfg.image_size, cfg.batch_size
    (64, 32)
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if in_colab():
        colab_install()
    import keras
    import tensorflow as tf

    resolution = resolve_profile()
    keras.utils.set_random_seed(seed)
    if os.environ.get("COURSE_DETERMINISTIC") == "1":  # tests only: some GPU ops refuse determinism
        tf.config.experimental.enable_op_determinism()
    # float16 maths with float32 weights on a GPU; float32 elsewhere (also when setup() runs again)
    mixed = resolution.gpu and resolution.profile.real_assets
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    _explain_out_of_memory(resolution.profile)
    if not quiet:
        print(banner(resolution))
    return resolution.profile


def out_of_memory_message(profile: Profile) -> str:
    """What to do when TensorFlow runs out of (GPU) memory."""
    return (f"Out of memory (ResourceExhaustedError) with batches of {profile.batch_size} images of "
            f"{profile.image_size} px.\nLower the batch size, e.g. `cfg = dataclasses.replace(cfg, batch_size="
            f"{max(1, profile.batch_size // 2)})`, and re-run from the cell that builds the pipelines; or "
            "unfreeze fewer layers. In Colab, Runtime > Restart session frees the GPU memory first.")


def _explain_out_of_memory(profile: Profile) -> None:
    """In a notebook, show :func:`out_of_memory_message` instead of a bare ResourceExhaustedError traceback."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return
    shell = get_ipython()
    if shell is None:
        return
    import tensorflow as tf

    def handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
        print(out_of_memory_message(profile), file=sys.stderr)
        print(f"(TensorFlow said: {str(value).splitlines()[0][:300]})", file=sys.stderr)

    shell.set_custom_exc((tf.errors.ResourceExhaustedError,), handler)


def results_are_meaningful() -> bool:
    """False in the harness's smoke run (random weights, mock data, one step): no accuracy to judge there."""
    return not (os.environ.get("COURSE_SMOKE") == "1" or os.environ.get("COURSE_HARNESS") == "mock-real")


def expect(condition: bool, message: str) -> None:
    """Assert a result the lesson relies on, with a message a learner can act on (skipped in smoke runs).

    >>> expect(test_accuracy > 0.65, "the frozen base plus a new head should beat chance clearly")
    """
    if not results_are_meaningful():
        print(f"(smoke run, not checked) {message}")
    elif not condition:
        raise AssertionError(f"Unexpected result: {message}. Re-run the notebook from the top (Kernel > "
                             "Restart & Run All); if it persists, please report it.")
    else:
        print(f"OK: {message}")


def dataset_splits(name: str, profile: Profile) -> tuple[str, dict[str, str], Path | None]:
    """``(tfds name, {train/validation/test: split spec}, data_dir)`` for ``name`` in ``profile``.

    >>> dataset_splits("cats_vs_dogs", PROFILES["offline"])[0]
    'glyphs_binary'
    """
    spec = DATASETS[name]
    if not profile.real_assets:
        return spec.standin, dict(standins.SPLITS), standins.TFDS_DIR
    splits = spec.splits if profile.name == "full" else spec.quick_splits
    return spec.name, dict(splits), None
