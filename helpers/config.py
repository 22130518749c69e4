"""Profiles and the one-call notebook setup: the banner, warning filters, the out-of-memory message, ``expect``.

Every notebook starts with ``cfg = setup()``. It resolves the *profile* once per kernel:

* ``full``    real assets (TF Hub, tfds, Keras ImageNet weights), full data: for a GPU;
* ``quick``   real assets, smaller images, subsets and fewer epochs: for a CPU laptop;
* ``offline`` the small stand-ins shipped in ``data/``: no network needed (what CI runs);
* ``auto``    (``COURSE_PROFILE`` unset) ``full``/``quick`` when the real assets are reachable or cached,
  else ``offline``, decided in a few seconds.

The handle of every real asset lives in the catalogue (:mod:`helpers.catalogue`), next to the stand-in that
replaces it offline; probing the machine (caches, hosts, GPU) is :mod:`helpers.runtime`'s. Notebooks read sizes
and epochs from the returned :class:`Profile`.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import catalogue, runtime, standins
from helpers.errors import CourseError, CourseValueError

REPO_URL = "https://github.com/tl-course/transfer-learning-course"
"""The one place the course's repository URL is configured (Colab badges, the Colab setup cell)."""

REPO_ROOT = standins.REPO_ROOT
SEED = 42


def use_assets_folder() -> None:
    """Point TF Hub, tfds, Keras and kagglehub at a prefetched folder when ``COURSE_ASSETS`` names one.

    Runs when this module is imported, before Keras reads ``KERAS_HOME``; variables already set win.
    ``make prefetch`` fills such a folder (docs/instructor-guide.md).
    """
    folder = os.environ.get("COURSE_ASSETS")
    if folder:
        os.environ.setdefault("TFHUB_CACHE_DIR", str(Path(folder) / "tfhub_modules"))
        os.environ.setdefault("TFDS_DATA_DIR", str(Path(folder) / "tensorflow_datasets"))
        os.environ.setdefault("KERAS_HOME", str(Path(folder) / "keras"))
        os.environ.setdefault("KAGGLEHUB_CACHE", str(Path(folder) / "kagglehub"))  # KerasHub presets (notebook 12)


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
    fine_tune_at: int  # MobileNetV2 (keras form): layers below this index stay frozen in 06; a block's first layer
    summary: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(image_size, image_size, 3)``, the input shape of the bases."""
        return (self.image_size, self.image_size, 3)


PROFILES: dict[str, Profile] = {
    "offline": Profile(
        name="offline", real_assets=False, image_size=64, batch_size=32,
        # fine-tuning: layers from 54 up (block_6_expand: a block's first layer; BatchNorm frozen) at 1e-4, 10x below
        # the head's rate; what that gains on the real photos: benchmarks/real_photos.py (results/real_photos.json)
        head_epochs=10, fine_tune_epochs=10, head_learning_rate=1e-3, fine_tune_learning_rate=1e-4,
        fine_tune_at=54,
        summary="bundled in data/: real flower photos and real ImageNet MobileNetV2 weights, alpha 0.35, at "
                "64 px, and labelled glyph STAND-INS for VGG16 (07-09) and the KerasHub preset (12): "
                "no network needed",
    ),
    "quick": Profile(
        name="quick", real_assets=True, image_size=128, batch_size=32,
        head_epochs=3, fine_tune_epochs=2, head_learning_rate=1e-3, fine_tune_learning_rate=1e-5,
        fine_tune_at=107,  # block_12_expand, a block's first layer
        summary="real datasets and pre-trained models, smaller images and data subsets: sized for a CPU laptop",
    ),
    "full": Profile(
        name="full", real_assets=True, image_size=224, batch_size=32,
        head_epochs=10, fine_tune_epochs=10, head_learning_rate=1e-3, fine_tune_learning_rate=1e-5,
        fine_tune_at=107,  # block_12_expand, a block's first layer
        summary="real datasets and pre-trained models at full size: meant for a GPU",
    ),
}


SCRATCH_LEARNING_RATES: tuple[float, ...] = (1e-2, 1e-3, 3e-4)
"""The grid a network trained from scratch gets its learning rate from, chosen on validation: exercise 09 and
``benchmarks/transfer_gain.py`` both use it, so the comparison gives the from-scratch side its best chance."""


def as_profile(profile: Profile | str | None, where: str) -> Profile:
    """``profile`` as a :class:`Profile`: the active one for None, a name looked up in :data:`PROFILES`."""
    if profile is None:
        return resolve_profile().profile
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, str) and profile in PROFILES:
        return PROFILES[profile]
    raise CourseValueError(f"{where}: the profile is one of {', '.join(PROFILES)} (or leave it out for the active "
                           f"one); got {profile!r}.")


@dataclass(frozen=True)
class Resolution:
    """The active profile and why it was chosen."""

    profile: Profile
    reason: str
    gpu: bool
    asked: str = "auto"  # the COURSE_PROFILE value it was decided from


_RESOLVED: Resolution | None = None


def resolve_profile(refresh: bool = False) -> Resolution:
    """Decide the profile from ``COURSE_PROFILE`` (see the module docstring), once per kernel and value.

    Changing ``COURSE_PROFILE`` (e.g. ``%env COURSE_PROFILE=offline`` in a cell) and running the setup cell again
    decides again; nothing else does, so every notebook cell sees the same profile.

    >>> resolve_profile().profile.name in PROFILES
    True
    """
    global _RESOLVED
    asked = os.environ.get("COURSE_PROFILE", "auto").strip().lower() or "auto"
    if _RESOLVED is not None and not refresh and _RESOLVED.asked == asked:
        return _RESOLVED
    gpu = runtime.gpu_available()
    if asked in PROFILES:
        name, reason = asked, f"COURSE_PROFILE={asked} is set"
    elif asked == "auto":
        name, reason = _auto_profile(gpu)
    else:
        raise CourseValueError(
            f"COURSE_PROFILE={asked!r} is not a profile. Use one of: auto, {', '.join(PROFILES)}.")
    profile = PROFILES[name]
    if os.environ.get("COURSE_SMOKE") == "1":  # test harness only: one tiny step per fit
        profile = dataclasses.replace(profile, image_size=32, batch_size=8, head_epochs=1, fine_tune_epochs=1)
        reason += "; COURSE_SMOKE=1 shrinks it to a smoke run"
    _RESOLVED = Resolution(profile, reason, gpu, asked)
    return _RESOLVED


def _auto_profile(gpu: bool) -> tuple[str, str]:
    real = "full" if gpu else "quick"
    why_size = "a GPU was found" if gpu else "no GPU, so the CPU-sized profile"
    if runtime.real_assets_cached():
        return real, f"COURSE_PROFILE is unset and the real assets are cached on this machine; {why_size}"
    answers = runtime.hosts_reachable()
    if all(answers.values()):
        return real, f"COURSE_PROFILE is unset and the model/data hosts answer; {why_size}"
    silent = ", ".join(h for h, ok in answers.items() if not ok)
    return "offline", (f"COURSE_PROFILE is unset, {silent} did not serve the course's files within 2 s (no "
                       "network, or a proxy that blocks them) and the real assets are not cached")


def results_dir() -> Path:
    """Where the course writes what it keeps between notebooks (``COURSE_RESULTS_DIR``, default ``results/``)."""
    return Path(os.environ.get("COURSE_RESULTS_DIR") or REPO_ROOT / "results")


BANNER_WIDTH = 88
"""The banner's width in characters: its lines wrap between words at this width, not mid-word in a narrow window."""


def switch_profile(active: str) -> str:
    """How to switch profiles, in the order that works, with an example other than ``active``.

    (A kernel restart would erase a value set in a cell.)
    """
    other = "quick" if active == "offline" else "offline"
    return (f"Change it: start Jupyter with COURSE_PROFILE=offline|quick|full, e.g. `COURSE_PROFILE={other} make "
            f"lab`; or run `%env COURSE_PROFILE={other}` in a cell, then this cell and the rest again.")


SEED_NOTE = ("Seed {seed}: the same initial weights, data order and augmentations on every run; results still "
             "vary by a point or so between runs and machines: thread timing, oneDNN, GPU maths.")


def banner(resolution: Resolution) -> str:
    """The text the setup cell prints: profile, why, how to change it, versions, GPU, what the seed fixes.

    Each line wraps between words at :data:`BANNER_WIDTH`; no bracket holds another.
    """
    import textwrap

    p = resolution.profile
    lines = [f"Profile: {p.name.upper()}, {p.summary}.", f"Why: {resolution.reason}."]
    if not p.real_assets:
        lines.append("Offline: the photos and MobileNetV2's ImageNet weights are real but small: 998 flower photos, "
                     "alpha 0.35, 64 px. VGG16 with its glyph data, and the TF Hub ImageNet classifier (a "
                     "glyph-letter network), are labelled STAND-INS; data/README.md says more.")
    if runtime.in_test_harness():
        lines.append(f"TEST HARNESS ({os.environ['COURSE_HARNESS']}): assets are mocked, results mean nothing.")
    lines += [
        switch_profile(p.name),
        "  ".join(f"{k} {v}" for k, v in runtime.versions().items()),
        ("GPU: yes" + (" (SIMULATED by the test harness: the GPU code path on a CPU)" if runtime.simulated_gpu() else "")
         + ("; mixed precision on (float16 maths, float32 weights)" if p.real_assets else ""))
        if resolution.gpu else
        "GPU: none, training runs on the CPU. In Colab: Runtime > Change runtime type > T4 GPU.",
        SEED_NOTE.format(seed=SEED),
    ]
    wrapped = [row for line in lines for row in textwrap.wrap(line, BANNER_WIDTH, subsequent_indent="  ",
                                                              break_long_words=False, break_on_hyphens=False)]
    rule = "=" * BANNER_WIDTH
    return "\n".join([rule, *wrapped, rule])


def _check_environment() -> None:
    """Colab: install what it lacks and mend a broken package pair. Elsewhere: refuse a kernel without the course."""
    if runtime.in_colab():
        runtime.colab_install()
        mended = runtime.mend_tfds_metadata()
        if mended:
            print(mended)
            if "Restart the session" in mended:
                raise CourseError(mended)
        return
    missing = runtime.missing_packages()
    if missing:
        raise CourseError(
            f"This kernel's Python ({sys.executable}) lacks {', '.join(missing)}: it is not the course's environment. "
            "Start JupyterLab with `make lab` (it uses the course's .venv), or install the course into this Python: "
            "`pip install -r requirements.txt -e .`.")
    folder = os.environ.get("COURSE_ASSETS")
    if folder and not Path(folder).is_dir():
        raise CourseError(f"COURSE_ASSETS={folder} is not a folder. Point it at the folder `make prefetch` filled "
                          "(docs/instructor-guide.md), or unset it.")


def _quiet_keras_warnings() -> None:
    """Hide one Keras warning that every ``fit(tf.data.Dataset)`` triggers and that says nothing to act on.

    Keras 3.15 (keras-team/keras#22777) warns that ``shuffle=True`` is ignored whenever ``fit`` gets a Dataset,
    because ``shuffle=True`` is ``fit``'s default; the course's pipelines shuffle in ``tf.data``. Only this exact
    message is filtered; every other warning shows.
    """
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning,
                            message=r"`shuffle=True` was passed, but will be ignored since the data `x` was "
                                    r"provided as a tf\.data\.Dataset")


def setup(seed: int = SEED, quiet: bool = False) -> Profile:
    """Resolve the profile, fix the seeds, print the banner; return the active :class:`Profile`.

    >>> cfg = setup()          # first code cell of every notebook
    >>> cfg.image_size, cfg.batch_size
    (64, 32)
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ INFO and WARNING lines; errors show
    _check_environment()
    runtime.import_tensorflow()
    import keras
    import tensorflow as tf

    _quiet_keras_warnings()
    tf.get_logger().setLevel("WARNING")  # TensorFlow's Python INFO lines (e.g. MirroredStrategy's); warnings show
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


STANDIN_NOTE = "stand-in data"
"""How a result of the offline stand-ins is labelled wherever a learner sees it (plot titles, printed lines)."""
OFFLINE_REAL_NOTE = "offline: real photos, real ImageNet MobileNetV2 alpha 0.35, small images"
"""How a result of the offline profile's real assets is labelled: real, but smaller than quick/full's."""


def standin_note(profile: Profile | None = None, base: str | None = None) -> str | None:
    """What the offline profile ran on (None in the real profiles), for a plot title or a printed result.

    Offline, the lessons' MobileNetV2 runs on real ImageNet weights and real photos (:data:`OFFLINE_REAL_NOTE`);
    a ``base`` with only a glyph stand-in offline (``"vgg16"``) gives :data:`STANDIN_NOTE`. The plots of
    :mod:`helpers.plots` put the default in their titles by themselves.
    """
    if (profile or resolve_profile().profile).real_assets:
        return None
    return OFFLINE_REAL_NOTE if catalogue.runs_real_offline(base) else STANDIN_NOTE


def standin_suffix(detail: str = "", profile: Profile | None = None, base: str | None = None) -> str:
    """``" (<standin_note>)"`` (``detail`` after a semicolon) offline, else ``""``: ends a printed result.

    >>> print(f"test accuracy {test_accuracy:.1%}{standin_suffix()}")
    """
    note = standin_note(profile, base)
    return f" ({note}; {detail})" if note and detail else f" ({note})" if note else ""


def expect(condition: bool, message: str, profiles: tuple[str, ...] | None = None) -> None:
    """Assert a result the lesson relies on, with a message a learner can act on (skipped in smoke runs).

    ``profiles`` names the profiles where the check was verified (by the offline run or a benchmark on real
    data; ``tests/test_data_checks.py`` lists each one): elsewhere it prints the comparison without asserting.

    >>> expect(test_accuracy > 0.65, "the frozen base plus a new head should beat chance clearly")
    >>> expect(fine_tuned > frozen, "fine-tuning beats the frozen base here", profiles=("offline",))
    """
    active = resolve_profile().profile.name
    if not results_are_meaningful():
        print(f"(smoke run, not checked) {message}")
    elif profiles is not None and active not in profiles:
        print(f"({'holds' if condition else 'does NOT hold'} here; checked only in the {' and '.join(profiles)} "
              f"profile, where it was measured) {message}")
    elif not condition:
        raise AssertionError(f"Unexpected result: {message}. Re-run the notebook from the top (Kernel > "
                             "Restart & Run All); if it persists, please report it.")
    else:
        print(f"OK: {message}")
