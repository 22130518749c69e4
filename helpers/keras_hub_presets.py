"""Notebook 12's plumbing: KerasHub presets per profile (downloads and the offline stand-in), a learning-rate sweep.

* :func:`download_preset` returns the local folder of the profile's KerasHub preset: the real one from Kaggle
  Models (through ``kagglehub``, cached; ``make prefetch`` fetches it), or offline the stand-in folder
  ``scripts/build_keras_hub_preset.py`` builds into ``data/keras_hub/``. ``from_preset`` takes a folder as it takes
  a name.
* :class:`LearningRateSweep` raises the learning rate exponentially over a given number of batches, records the
  loss, stops when it explodes, and puts the model's weights and optimizer state back at the end.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import keras

from helpers import catalogue, config, runtime, standins
from helpers.errors import AssetUnavailableError


PRESETS = catalogue.KERAS_HUB_PRESETS
"""The real preset of each real profile (the catalogue holds them)."""
STANDIN_PRESET = standins.KERAS_HUB_PRESET_DIR
STANDIN_MARKER_TEXT = ("STAND-IN built by scripts/build_keras_hub_preset.py: a small KerasHub ResNet pre-trained "
                       "on glyph letters, not on ImageNet. Not a real KerasHub preset.")
KAGGLE_HOST = "www.kaggle.com"


def import_keras_hub() -> Any:
    """The ``keras_hub`` module, imported without the C++ start-up lines its tensorflow_text import prints again."""
    runtime.import_tensorflow()
    return runtime.without_start_up_noise(lambda: __import__("keras_hub"))


def preset_label(profile: config.Profile | None = None) -> str:
    """What the profile's preset is, in one line: its name, size and ImageNet top-1, or the stand-in's label."""
    profile = profile or config.resolve_profile().profile
    if not profile.real_assets:
        return f"the offline STAND-IN preset data/keras_hub/{STANDIN_PRESET.name} (a toy ResNet, glyph-trained)"
    spec = catalogue.KERAS_HUB_PRESETS[profile.name]
    return (f"{spec.name}: {spec.params / 1e6:.1f} M backbone parameters, ImageNet top-1 "
            f"{spec.imagenet_top1:.1%} ({spec.top1_source})")


def preset_suffix(profile: config.Profile | None = None) -> str:
    """``" (offline STAND-IN preset ...)"`` offline, else ``""``: ends a printed result of the KerasHub model."""
    profile = profile or config.resolve_profile().profile
    return "" if profile.real_assets else f" (offline: real photos, {preset_label(profile)})"


def download_preset(profile: config.Profile | None = None) -> Path:
    """The local folder of the profile's preset: downloaded once from Kaggle Models (cached), or the stand-in.

    Raises :class:`~helpers.errors.AssetUnavailableError` with one sentence when Kaggle cannot be reached.
    """
    profile = profile or config.resolve_profile().profile
    if not profile.real_assets:
        return STANDIN_PRESET
    spec = catalogue.KERAS_HUB_PRESETS[profile.name]
    import kagglehub

    what = f"the KerasHub preset {spec.name} from Kaggle Models"
    if not preset_cached(spec.kaggle_handle) and kagglehub.model_download.__module__.startswith("kagglehub"):
        runtime.require_hosts((KAGGLE_HOST,), what)  # kagglehub has no timeout: a silent proxy would hang it
    try:
        return Path(kagglehub.model_download(spec.kaggle_handle))
    except Exception as error:  # kagglehub raises requests' and its own errors; all mean "not here"
        raise AssetUnavailableError(f"Could not download {what} ({KAGGLE_HOST}): {type(error).__name__}; "
                                    f"{runtime.GET_IT_OFFLINE}.") from None


def preset_cached(handle: str) -> bool:
    """True when kagglehub's cache holds ``handle`` complete (then ``model_download`` downloads nothing)."""
    try:
        from kagglehub.cache import Cache
        from kagglehub.handle import parse_model_handle

        return Cache().load_from_cache(parse_model_handle(handle)) is not None
    except (ImportError, AttributeError, ValueError):  # another kagglehub: ask the host, as for no cache
        return False


class LearningRateSweep(keras.callbacks.Callback):
    """A callback that raises the learning rate from ``start`` to ``stop`` exponentially over ``steps`` batches,
    records each rate and the smoothed batch loss (``rates``, ``losses``) and stops when the loss passes
    ``explode`` times its lowest; at the end the weights and the optimizer's state are put back as they were.

    >>> sweep = LearningRateSweep(steps=len(train_batches))
    >>> model.fit(train_batches, epochs=1, callbacks=[sweep], verbose=0)
    """

    def __init__(self, steps: int, start: float = 1e-6, stop: float = 1.0, explode: float = 4.0,
                 smoothing: float = 0.8) -> None:
        super().__init__()
        self.steps, self.start, self.stop, self.explode, self.smoothing = steps, start, stop, explode, smoothing
        self.rates: list[float] = []
        self.losses: list[float] = []

    def rate(self, step: int) -> float:
        """The learning rate of batch ``step`` (from 0)."""
        return self.start * (self.stop / self.start) ** (step / max(1, self.steps - 1))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._saved = [v.numpy().copy() for v in (*self.model.weights, *self.model.optimizer.variables)]
        self._mean, self._average = 0.0, 0.0

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.model.optimizer.learning_rate.assign(self.rate(len(self.rates)))

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = len(self.rates) + 1
        mean = float((logs or {})["loss"])  # Keras logs the epoch's running mean: this batch's loss is recovered
        loss, self._mean = step * mean - (step - 1) * self._mean, mean
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing ** step)  # bias-corrected, as Adam's moments
        self.rates.append(self.rate(step - 1))
        self.losses.append(smoothed)
        if not math.isfinite(smoothed) or smoothed > self.explode * min(self.losses) or step >= self.steps:
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        for variable, value in zip((*self.model.weights, *self.model.optimizer.variables), self._saved):
            variable.assign(value)
