"""Pre-trained bases: the Keras 3 TF Hub layer, the catalogue loader, parameter counts, speed, callbacks.

The transfer-learning calls (freeze, add a head, compile, fit, unfreeze) stay in the notebooks; this module
only loads bases and reports on them.
"""
from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers import catalogue, config, runtime, standins
from helpers.errors import AssetUnavailableError, CourseError, CourseValueError, did_you_mean
from helpers.standins import is_standin, source_classes, standin_label


class StandinRefused(CourseError, RuntimeError):
    """A real profile was about to load one of the course's stand-in models."""


def model_handle(name: str, profile: config.Profile | None = None) -> str:
    """The TF Hub handle of catalogue model ``name`` in ``profile``: its URL, or the stand-in's folder offline.

    >>> model_handle("mobilenet_v2_hub")  # offline
    '.../data/models/mobilenet_v2_imagenet/feature_vector'
    """
    profile = config.as_profile(profile, "model_handle")
    spec = catalogue.model_spec(name, "model_handle")
    if spec.source != "tfhub":
        raise CourseValueError(f"model_handle({name!r}): {name} is a keras.applications model, not a TF Hub one: "
                               f"load it with load_base({name!r}). TF Hub models: "
                               f"{', '.join(n for n, m in catalogue.MODELS.items() if m.source == 'tfhub')}.")
    if profile.real_assets:
        return spec.handle
    offline = spec.offline_real or spec.standin
    if offline is None:
        raise CourseValueError(f"{name} has no offline form; only {', '.join(standin_names())} do.")
    return str(offline)


def standin_names() -> list[str]:
    """Catalogue names that run offline: on real weights shipped in data/, or on a stand-in."""
    return [n for n, m in catalogue.MODELS.items() if m.offline_real or m.standin]


def _guard_standin(path: str | Path, what: str) -> None:
    profile = config.resolve_profile().profile
    if profile.real_assets and is_standin(path) and not runtime.in_test_harness():
        raise StandinRefused(
            f"{what} resolved to {path}, which is one of this course's STAND-IN models, not the real one.\n"
            f"The '{profile.name}' profile only uses real assets. If a test left it in your TF Hub cache, delete "
            f"that folder (cache: {runtime.hub_cache_dir()}), or set COURSE_PROFILE=offline to use stand-ins.")


HUB_DOWNLOAD_FAILED = (
    "Could not download the TF Hub model {handle} ({error}). tfhub.dev now redirects to Kaggle Models ({kaggle}), "
    "and both sometimes refuse downloads for a while (HTTP 403: tensorflow/hub#922): try again in a few minutes. "
    "Without a network, " + runtime.GET_IT_OFFLINE + ".")


def load_hub_module(handle: str) -> Any:
    """``hub.load(handle)`` with the stand-in guard and a clear message when the download fails."""
    import tensorflow_hub as hub

    if "://" not in handle and not Path(handle).exists():
        raise CourseValueError(f"{handle!r} is neither a TF Hub address (https://tfhub.dev/... or "
                               "https://www.kaggle.com/models/...) nor a folder on this machine: check the spelling, "
                               "or use model_handle(name) for a catalogue model.")
    if "://" not in handle and not (Path(handle) / "saved_model.pb").is_file():
        raise CourseValueError(f"{handle!r} is not a SavedModel (it has no saved_model.pb): give the folder that "
                               "holds saved_model.pb, or use model_handle(name) for a catalogue model.")
    if "://" in handle and not runtime.hub_cached(handle):
        hosts = tuple(dict.fromkeys((urllib.parse.urlsplit(handle).hostname or handle, "www.kaggle.com")))
        runtime.require_hosts(hosts, f"the TF Hub model {handle}")
    try:
        path = hub.resolve(handle)
    except OSError as error:  # URLError and HTTPError are OSErrors
        kaggle = next((m.kaggle_handle for m in catalogue.MODELS.values() if m.handle == handle and m.kaggle_handle),
                      "its Kaggle page")
        raise AssetUnavailableError(HUB_DOWNLOAD_FAILED.format(handle=handle, error=error, kaggle=kaggle)) from None
    _guard_standin(path, f"TF Hub handle {handle!r}")
    return hub.load(path)


class HubLayer(keras.layers.Layer):
    """A Keras 3 layer around a TF Hub SavedModel (URL or local path), frozen or fine-tunable.

    ``hub.KerasLayer`` is a tf-keras (Keras 2) layer, which Keras 3 models refuse. This layer loads the
    SavedModel with ``hub.load`` and wraps each of its variables in a ``keras.Variable`` (no copy), so Keras
    sees, freezes and trains them like any other weights.

    >>> base = HubLayer(model_handle("mobilenet_v2_hub"), trainable=False)
    >>> model = keras.Sequential([keras.Input((64, 64, 3)), base, keras.layers.Dense(1)])

    Args:
        handle: TF Hub URL, Kaggle handle or local SavedModel folder.
        trainable: fine-tune the SavedModel's weights.
        bn_inference: call the model with ``training=False`` even while it trains, so BatchNorm keeps its
            ImageNet statistics (the Keras fine-tuning guide's advice). Set False to see what goes wrong.
        signature, output_key: for SavedModels without ``__call__`` (e.g. ``model.export()``); frozen only.
    """

    def __init__(self, handle: str, trainable: bool = False, bn_inference: bool = True,
                 signature: str | None = None, output_key: str | None = None, verbose: bool = True,
                 **kwargs: Any) -> None:
        # float32 even under a mixed-precision policy: the SavedModel's variables are float32.
        kwargs["dtype"] = "float32"
        super().__init__(trainable=True, **kwargs)  # set the real value below (see the last line)
        if signature and trainable:
            raise CourseValueError("A signature-based SavedModel can only be used frozen (trainable=False).")
        self.handle = str(handle)
        self.bn_inference = bn_inference
        self._module = load_hub_module(self.handle)
        if verbose:
            print(f"Loaded {_hub_label(self.handle)}")
        if signature and signature not in self._module.signatures:
            raise CourseValueError(f"{handle} has no signature {signature!r}; it has {list(self._module.signatures)}.")
        self._fn = self._module.signatures[signature] if signature else self._module
        self._output_key = output_key
        trainable_ids = {id(v) for v in getattr(self._module, "trainable_variables", [])}
        self._hub_variables = [keras.Variable(v, trainable=id(v) in trainable_ids, 
                                              name=v.name.split(":")[0].replace("/", "_"))
                               for v in getattr(self._module, "variables", [])]
        self.built = True
        # Layer.__setattr__ skips an unchanged value: constructing with trainable=True and then setting the
        # wanted value is what actually propagates it to the wrapped variables.
        self.trainable = trainable

    def call(self, inputs: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        inputs = tf.cast(inputs, tf.float32)
        if self._output_key:
            return self._fn(inputs)[self._output_key]
        run_training = bool(training) and self.trainable and not self.bn_inference
        outputs = self._fn(inputs, training=run_training)
        if self.trainable and training:
            for loss_fn in getattr(self._module, "regularization_losses", []):
                self.add_loss(loss_fn())
        return outputs

    def get_config(self) -> dict[str, Any]:
        base = super().get_config()
        base.update(handle=self.handle, bn_inference=self.bn_inference, output_key=self._output_key, verbose=False)
        return base


def _hub_label(handle: str) -> str:
    """What a TF Hub handle is, for a learner: the real model, or a stand-in (and for which real one)."""
    if is_standin(handle):
        real = next((m.handle for m in catalogue.MODELS.values() if m.standin and str(m.standin) == str(handle)), None)
        return f"a STAND-IN TF Hub model from {standin_label(Path(handle))}" + (f", in place of {real}" if real else "")
    shipped = next((m for m in catalogue.MODELS.values() if m.offline_real and str(m.offline_real) == str(handle)), None)
    if shipped:
        return f"the {shipped.offline_label}, as a TF Hub SavedModel from {standin_label(Path(handle))}"
    return f"the TF Hub model {handle}"


POOLINGS = (None, "avg", "max")
"""What ``keras.applications`` bases take as ``pooling`` (they ignore anything else without a word)."""
POOLING_SYNONYMS = {"mean": "avg", "average": "avg", "global_average": "avg", "globalaveragepooling2d": "avg",
                    "maximum": "max", "global_max": "max"}


def load_base(name: str, *, weights: str | None = "pretrained", include_top: bool = False,
              input_shape: tuple[int, int, int] | None = None, pooling: str | None = None,
              profile: config.Profile | None = None, verbose: bool = True) -> keras.Model:
    """A keras.applications base by catalogue name: the real one, or its labelled stand-in offline.

    ``weights="pretrained"`` (or ``"imagenet"``) means ImageNet weights (real profiles) or the stand-in's
    pre-trained weights (offline); ``weights=None`` gives random initial weights (training from scratch).
    Prints which ran.

    >>> base_model = load_base("vgg16", input_shape=(64, 64, 3))
    """
    profile = config.as_profile(profile, "load_base")
    spec = catalogue.model_spec(name, "load_base")
    if spec.source != "keras":
        raise CourseValueError(f"load_base({name!r}): {name} is a TF Hub model: use HubLayer(model_handle({name!r})).")
    if weights not in ("pretrained", "imagenet", None):
        raise CourseValueError(f"load_base: weights is \"pretrained\" (or \"imagenet\") or None (random, to train "
                               f"from scratch); got {weights!r}.")
    input_shape = input_shape or profile.image_shape
    if not (isinstance(input_shape, tuple) and len(input_shape) == 3 and input_shape[-1] == 3):
        raise CourseValueError(f"load_base: input_shape is (height, width, 3), e.g. cfg.image_shape; got "
                               f"{input_shape!r}.")
    if min(input_shape[:2]) < spec.min_input_size:
        raise CourseValueError(f"load_base({name!r}): {spec.handle} takes images of at least {spec.min_input_size}"
                               f"×{spec.min_input_size} px; got input_shape={input_shape!r}. Use cfg.image_shape "
                               f"or a larger size.")
    if pooling not in POOLINGS:
        low = str(pooling).lower()
        hint = (" Did you mean None, without quotes?" if low == "none" else f" Did you mean {POOLING_SYNONYMS[low]!r}?"
                if low in POOLING_SYNONYMS else did_you_mean(pooling, ["avg", "max"]))
        raise CourseValueError(f"load_base: pooling is None (the feature maps), \"avg\" or \"max\"; got "
                               f"{pooling!r}.{hint}")
    kwargs: dict[str, Any] = dict(include_top=include_top, input_shape=input_shape, pooling=pooling)
    if profile.real_assets:
        kwargs["weights"] = "imagenet" if weights else None
        what = f"keras.applications.{spec.handle}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
        try:
            with runtime.bounded_keras_downloads(f"the ImageNet weights of {spec.handle}"):
                model = getattr(keras.applications, spec.handle)(**kwargs)
        except Exception as error:  # noqa: BLE001 -- Keras raises a bare Exception("URL fetch failure ...")
            if "URL fetch failure" not in str(error):
                raise
            raise AssetUnavailableError(f"Could not download the ImageNet weights of {spec.handle} (no network?); "
                                        f"{runtime.GET_IT_OFFLINE}.") from None
    else:
        if include_top:
            raise CourseValueError(
                f"load_base({name!r}, include_top=True): offline, the stand-in for {spec.handle} has no ImageNet "
                "classifier to load. Use include_top=False (this course replaces the top with its own head).")
        model, what = _load_standin(name, weights is not None, kwargs)
    if verbose:
        print(f"Loaded {what}: {model.count_params():,} parameters")
    return model


def _load_standin(name: str, pretrained: bool, kwargs: dict[str, Any]) -> tuple[keras.Model, str]:
    spec = catalogue.MODELS[name]
    if spec.offline_real is not None and spec.standin_build is not None:
        model = spec.standin_build(weights=str(spec.offline_real) if pretrained else None, **kwargs)
        return model, (spec.offline_label if pretrained else f"keras.applications.{spec.handle}(alpha="
                       f"{standins.MOBILENET_V2_ALPHA}, ...) with random weights")
    if spec.standin is None:
        raise CourseValueError(f"{name} has no offline form; offline, use one of {', '.join(standin_names())} "
                               "(the other bases need the real profiles: COURSE_PROFILE=quick or full).")
    path = str(spec.standin) if pretrained else None
    label = "pre-trained on glyphs_source" if pretrained else "random weights"
    return spec.standin_build(weights=path, **kwargs), spec.standin_loaded.format(label=label)


def classifier_labels(profile: config.Profile | None = None) -> list[str]:
    """Class names of the pre-trained classifier: ImageNet's (real profiles) or the stand-in's source classes."""
    profile = config.as_profile(profile, "classifier_labels")
    if not profile.real_assets:
        return source_classes()
    try:
        with runtime.bounded_keras_downloads("ImageNet's class names"):
            path = keras.utils.get_file("ImageNetLabels.txt", catalogue.IMAGENET_LABELS_URL)
    except Exception as error:  # noqa: BLE001 -- Keras raises a bare Exception("URL fetch failure ...")
        if "URL fetch failure" not in str(error):
            raise
        raise AssetUnavailableError(f"Could not download ImageNet's class names (no network?); "
                                    f"{runtime.GET_IT_OFFLINE}.") from None
    return Path(path).read_text(encoding="utf8").splitlines()


def top_k(logits: Any, labels: list[str], k: int = 5) -> list[list[tuple[str, float]]]:
    """For each row of classifier ``logits``, the ``k`` most probable ``(label, probability)`` pairs."""
    probabilities = tf.nn.softmax(np.asarray(logits, dtype="float32"), axis=-1).numpy()
    best = np.argsort(-probabilities, axis=-1)[:, :k]
    return [[(labels[i] if i < len(labels) else f"class {i}", float(row[i])) for i in top]
            for row, top in zip(probabilities, best)]


def probe_accuracy(train: tuple[np.ndarray, np.ndarray], scored: tuple[np.ndarray, np.ndarray],
                   epochs: int = 30, learning_rate: float = 1e-2, seed: int = 0) -> float:
    """Accuracy on ``scored`` of a logistic-regression head (one ``Dense`` layer) trained on ``train``.

    A measuring stick for how well frozen features separate the classes; the lesson's own heads are built in
    the notebooks. Both are ``(features, integer labels)`` pairs, e.g. from ``extract_features``; score on a
    validation split while you compare, on the test split only for a final number.
    """
    num_classes = int(max(train[1].max(), scored[1].max())) + 1
    keras.utils.set_random_seed(seed)
    if num_classes <= 2:
        units, loss = 1, keras.losses.BinaryCrossentropy(from_logits=True)
        metric = keras.metrics.BinaryAccuracy(threshold=0.0)  # logits: the decision threshold is 0
    else:
        units, loss = num_classes, keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metric = keras.metrics.SparseCategoricalAccuracy()
    head = keras.Sequential([keras.Input(train[0].shape[1:]), keras.layers.Dense(units)])
    head.compile(keras.optimizers.Adam(learning_rate), loss, metrics=[metric])
    head.fit(*train, epochs=epochs, batch_size=32, verbose=0)
    return float(head.evaluate(*scored, verbose=0)[1])


def count_params(model: keras.Model | keras.layers.Layer) -> dict[str, int]:
    """``{"trainable": n, "frozen": n, "total": n}`` parameter counts of a model or layer."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {"trainable": trainable, "frozen": frozen, "total": trainable + frozen}


def describe_trainable(model: keras.Model) -> str:
    """A few lines: parameter counts, then runs of consecutive layers that are trainable or frozen.

    Layers with no weights (pooling, activations) are left out.
    """
    counts = count_params(model)
    lines = [f"{counts['trainable']:,} trainable + {counts['frozen']:,} frozen = {counts['total']:,} parameters"]
    runs: list[list[Any]] = []
    for index, layer in enumerate(model.layers):
        if not layer.weights:
            continue
        state = "trainable" if layer.trainable else "frozen"
        if runs and runs[-1][0] == state:
            runs[-1][2] = (index, layer.name)
        else:
            runs.append([state, (index, layer.name), (index, layer.name)])
    for state, (i, first), (j, last) in runs:
        span = f"layer {i} {first}" if i == j else f"layers {i}-{j} ({first} ... {last})"
        lines.append(f"  {state:9s} {span}")
    return "\n".join(lines)


def measure_speed(model: keras.Model, image_size: int, batch_size: int = 16, batches: int = 3) -> float:
    """Images per second of compiled inference on this machine: the median of ``batches`` timed batches.

    ``predict_on_batch`` runs the model as one compiled graph (traced by a warm-up batch first, not timed). An
    eager ``model(images)`` call would time Python calling each layer in turn, so a net of many small layers
    (MobileNetV2's ~150) would look slower than it computes, and one of few big layers (VGG16's ~20) faster.
    """
    images = tf.random.uniform((batch_size, image_size, image_size, 3))
    model.predict_on_batch(images)  # warm-up: traces and compiles the predict function
    seconds = []
    for _ in range(batches):
        start = time.perf_counter()
        model.predict_on_batch(images)
        seconds.append(time.perf_counter() - start)
    return batch_size / float(np.median(seconds))


def restart_training(model: Any, weights: list[Any]) -> None:
    """Put ``model`` back to ``weights`` with a fresh optimizer state, keeping its compiled training step.

    The same as building and compiling the model again from those weights, without tracing the training
    graph again (that costs 10-40 s per run on a CPU). Use ``weights = model.get_weights()`` before training.
    Under mixed precision the optimizer is a ``LossScaleOptimizer``: its loss scale goes back to its initial
    value (zeroing it, like the other state, would scale every gradient to 0 and the loss to NaN).
    """
    model.set_weights(weights)
    optimizer = model.optimizer
    for variable in optimizer.variables:
        if "learning_rate" not in variable.path:
            variable.assign(tf.zeros(variable.shape, variable.dtype))
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) and hasattr(optimizer, "dynamic_scale"):
        optimizer.dynamic_scale.assign(optimizer.initial_scale)  # Keras 3.13 creates it at the first step


def export_raw_image_model(model: keras.Model, folder: str | Path, image_size: int,
                           preprocess: Callable | None) -> Path:
    """Write ``model`` as a SavedModel that takes raw uint8 images of any size; return its folder.

    Its ``serve`` function takes ``(batch, height, width, 3)`` uint8 images (a photo as read from a file) and
    resizes and preprocesses them inside, exactly as :func:`helpers.data.make_pipeline` does for training, so a
    server or an app needs nothing but the file. Reload it with :func:`load_raw_image_model`.

    >>> export_raw_image_model(model, "exported", cfg.image_size, preprocess)
    """
    from helpers.data import resize_to_uint8  # the pipeline's own resize, so both give the same pixels

    def serve(images: tf.Tensor) -> tf.Tensor:
        pixels = tf.cast(resize_to_uint8(images, image_size), tf.float32)
        return model(preprocess(pixels) if preprocess is not None else pixels, training=False)

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", serve, input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8)])
    folder = Path(folder)
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # TensorFlow logs "INFO: Assets written to: ..." even with verbose=False
    try:
        archive.write_out(str(folder), verbose=False)
    finally:
        logger.setLevel(level)
    return folder


def load_raw_image_model(folder: str | Path) -> Callable[[Any], np.ndarray]:
    """Reload :func:`export_raw_image_model`'s SavedModel; return a function from uint8 image(s) to outputs.

    The function takes one image ``(height, width, 3)`` or a batch ``(n, height, width, 3)``, uint8, any size.

    >>> predict = load_raw_image_model("exported"); predict(photo)   # photo: np.uint8 (H, W, 3)
    """
    if not (Path(folder) / "saved_model.pb").is_file():
        raise FileNotFoundError(f"{folder} holds no exported model (no saved_model.pb): export it first with "
                                "export_raw_image_model(model, folder, image_size, preprocess).")
    served = tf.saved_model.load(str(folder))

    def predict(images: Any) -> np.ndarray:
        batch = np.asarray(images)
        if batch.ndim == 3:
            batch = batch[None]
        if batch.ndim != 4 or batch.shape[-1] != 3 or batch.dtype != np.uint8:
            raise ValueError(f"the exported model takes uint8 RGB images, (height, width, 3) or (n, height, "
                             f"width, 3), as read from a file; got {batch.dtype} of shape {batch.shape}.")
        return served.serve(tf.constant(batch)).numpy()

    return predict


def training_callbacks(folder: str | Path | None = None, patience: int = 3,
                       monitor: str = "val_loss") -> list[keras.callbacks.Callback]:
    """Early stopping (best weights restored) and, given a folder, checkpoints that survive a disconnect.

    With ``folder`` (e.g. a Google Drive folder in Colab), ``BackupAndRestore`` saves after every epoch: run
    the same ``fit`` again after a restart and it resumes at the next epoch; ``best.keras`` keeps the best.
    Called again after a restart (new callbacks, as a new kernel makes them), it finds the backup and gives
    ``ModelCheckpoint`` the best value so far (kept in ``best.json``) as its ``initial_value_threshold``, so a
    worse resumed epoch does not overwrite ``best.keras``. ``EarlyStopping`` has no such setting: its patience
    and its best weights start again with the resumed epochs.
    After a resumed fit the model remembers the restored epoch: a later fit on the same model starts from it,
    so `fit(epochs=n)` with n no greater than that epoch trains nothing (Keras 3.13-3.15). Give a later fit
    epochs beyond it, or build the model again.
    """
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True)]
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        best = _BestCheckpoint.saved_best(folder, monitor) if (folder / "backup").is_dir() else None
        callbacks += [
            keras.callbacks.BackupAndRestore(str(folder / "backup"), save_freq="epoch"),
            _BestCheckpoint(str(folder / "best.keras"), monitor=monitor, save_best_only=True,
                            initial_value_threshold=best),
        ]
    return callbacks


class _BestCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint`` that also writes its best value so far to ``best.json`` beside the model file."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        if self.best is not None and np.isfinite(self.best):
            Path(self.filepath).with_suffix(".json").write_text(
                json.dumps({"monitor": self.monitor, "best": float(self.best)}))

    @staticmethod
    def saved_best(folder: Path, monitor: str) -> float | None:
        """The best ``monitor`` value written to ``folder/best.json`` with ``best.keras``, or None."""
        try:
            saved = json.loads((folder / "best.json").read_text())
        except (OSError, ValueError):
            return None
        if saved.get("monitor") != monitor or not (folder / "best.keras").is_file():
            return None
        return float(saved["best"])


class EpochLine(keras.callbacks.Callback):
    """A compact progress display: one line per epoch (use with ``verbose=0``)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        shown = "  ".join(f"{k} {v:.3f}" for k, v in (logs or {}).items() if k != "learning_rate")
        print(f"epoch {epoch + 1:>3}  {shown}")


def catalogue_table() -> list[dict[str, Any]]:
    """One row per catalogue base: name, where it comes from, input size, preprocessing, size, accuracy."""
    return [
        {"name": m.name, "source": "TF Hub" if m.source == "tfhub" else "keras.applications",
         "handle": m.handle, "kaggle handle": m.kaggle_handle or "-", "input": m.input_size, "preprocessing": m.preprocessing,
         "params (M)": m.params_millions, "ImageNet top-1": m.imagenet_top1,
         "offline": (f"real weights, {standin_label(m.offline_real)}" if m.offline_real else
                     f"stand-in, {standin_label(m.standin)}" if m.standin else "-")}
        for m in catalogue.MODELS.values()
    ]


# ------------------------------------------------------------------ exercise 09: the from-scratch side's budget
SCRATCH_IMAGES = {"quick": 96}
"""Training images both sides of 09's comparison use, per profile (default: the whole training split). Quick caps
them so that 09 takes minutes, not an hour, on a 2-core laptop (docs/timings.csv, row 09, says how many)."""


@dataclass(frozen=True)
class ScratchPlan:
    """What the from-scratch side of exercise 09 trains: sizes, epochs and the learning-rate grid."""

    images: int
    """Training images of the comparison, the same for both sides (the first ones of the training split)."""
    grid_images: int
    """Images each learning rate of the grid trains on before validation chooses."""
    curve: tuple[int, ...]
    """Training-set sizes of the data-efficiency curve, smallest first (the largest is ``images``)."""
    epochs: int
    learning_rates: tuple[float, ...]

    def __str__(self) -> str:
        rates = ", ".join(f"{lr:g}" for lr in self.learning_rates)
        return (f"from scratch: {self.epochs} epochs on {self.images} training images; learning rate chosen on "
                f"validation from ({rates}), each trained {self.epochs} epochs on {self.grid_images} images; "
                f"curve at {', '.join(map(str, self.curve))} images")


def scratch_plan(cfg: config.Profile, train_size: int) -> ScratchPlan:
    """The from-scratch budget for profile ``cfg`` and a training split of ``train_size`` images."""
    images = min(train_size, getattr(cfg, "scratch_images", None) or SCRATCH_IMAGES.get(cfg.name, train_size))
    grid = min(images, max(cfg.batch_size, images // 2))
    curve = tuple(sorted({min(images, max(cfg.batch_size, images // 4)), grid, images}))
    return ScratchPlan(images, grid, curve, cfg.head_epochs + cfg.fine_tune_epochs,
                       tuple(config.SCRATCH_LEARNING_RATES))
