"""Checks, hints and solutions for the exercises 07-09 (the learntools pattern), and their results file.

Each exercise notebook starts with::

    from helpers.exercises import ____, ready, questions
    q1, q2, q3, q4, q5 = questions("07")

and then, for every question: ``q1.check()`` (what is right or wrong, in a sentence you can act on),
``q1.hint()`` / ``q1.hint(2)`` (more each time) and ``q1.solution()``. A question whose answer is still the
``____`` placeholder reports "not attempted"; a check never raises, whatever the answer holds.

One question is one small class: the names the learner assigns (``names``), the hints, and ``judge``, which
returns ``None`` when the answer is right or a sentence saying what is wrong. The solution text is read at
run time from the marked region (``# BEGIN SOLUTION q1`` ... ``# END SOLUTION q1``) of the solution notebook
in ``notebooks/solutions/``: it is written once, there. ``COURSE_SOLUTIONS=off`` switches ``solution()`` off
(for a workshop).

The exercises share their results through a JSON file (:func:`save_result`, :func:`load_results`), so that
exercise 09 can compare with 07 and 08 without training them again.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from helpers.models import restart_training  # noqa: F401  (notebooks import it from here too)
from helpers import config

SOLUTIONS_DIR = config.REPO_ROOT / "notebooks" / "solutions"
NOTEBOOKS = {
    "07": "07_exercise_vgg16_classify",
    "08": "08_exercise_vgg16_fine_tune",
    "09": "09_exercise_compare_with_scratch",
}
DATASET = "tf_flowers"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
HINT_POINTER = "# Your code here. Stuck? {q}.hint(), then {q}.hint(2), then {q}.solution()"
VGG16_CONVS = tuple(f"block{b}_conv{i}" for b, n in zip(range(1, 6), (2, 2, 3, 3, 3)) for i in range(1, n + 1))
"""The 13 convolution layers of VGG16 (and of its stand-in), bottom to top."""
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


# ------------------------------------------------------------------------------------------ placeholder
class _Blank:
    """The ``____`` placeholder: a question whose answer is still this object is "not attempted"."""

    _instance: ClassVar[_Blank | None] = None

    def __new__(cls) -> _Blank:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"

    def __bool__(self) -> bool:
        return False

    def _ipython_display_(self) -> None:  # a bare ____ line in a student copy shows nothing
        pass


____ = _Blank()
"""Placeholder in the student notebooks: replace it with your answer."""


def _is_blank(value: Any) -> bool:
    return value is ____ or type(value).__name__ == "_Blank"  # also a ____ from before a module reload


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Result:
    """What ``check()`` found: ``status`` is "correct", "wrong" or "not attempted"; ``bool()`` is True if correct."""

    question: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        mark = {"correct": "✓ Correct", "wrong": "✗ Not yet", "not attempted": "… Not attempted"}[self.status]
        return f"{self.question} · {mark}: {self.message}"

    def _ipython_display_(self) -> None:  # check() has already printed it
        pass


def solutions_enabled() -> bool:
    """False when the instructor switched solutions off with ``COURSE_SOLUTIONS=off`` (or 0/no/false)."""
    return os.environ.get("COURSE_SOLUTIONS", "on").strip().lower() not in ("off", "0", "no", "false")


def solution_regions(path: str | Path) -> dict[str, str]:
    """``{"q1": code, ...}``: the marked solution regions of a notebook's code cells (markers left out)."""
    import nbformat

    regions: dict[str, str] = {}
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        current, lines = None, []
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith(BEGIN):
                current, lines = stripped[len(BEGIN):].strip(), []
            elif stripped.startswith(END) and current:
                regions[current] = "\n".join(lines)
                current = None
            elif current:
                lines.append(line)
    return regions


def _caller_namespace(depth: int = 2) -> dict[str, Any]:
    """The globals of the notebook cell (or module) that called us, ``depth`` frames up."""
    return sys._getframe(depth).f_globals


# ---------------------------------------------------------------------------------------------- context
@dataclass
class Context:
    """What a check needs to know besides the answer: the profile and the notebook's other names."""

    namespace: dict[str, Any]

    @property
    def profile(self) -> config.Profile:
        cfg = self.namespace.get("cfg")
        return cfg if isinstance(cfg, config.Profile) else config.resolve_profile().profile

    @property
    def num_classes(self) -> int:
        splits = self.namespace.get("splits")
        try:
            return int(splits.num_classes)
        except Exception:  # noqa: BLE001 -- no splits yet: the catalogue knows
            return config.DATASETS[DATASET].num_classes

    @property
    def smoke(self) -> bool:
        """True in the test harness's mocked real run: mock data, random "pre-trained" weights, one epoch."""
        return not config.results_are_meaningful()

    @property
    def judges_accuracy(self) -> bool:
        """False in a smoke run: accuracy means nothing there."""
        return not self.smoke

    @property
    def min_accuracy(self) -> float:
        """The least test accuracy a trained pre-trained model should reach: well above chance."""
        return 1.0 / self.num_classes + 0.1


# ------------------------------------------------------------------------------------------- questions
class Question:
    """One exercise question. Subclasses fill in the fields and :meth:`judge`."""

    notebook: ClassVar[str] = ""
    id: ClassVar[str] = ""
    names: ClassVar[tuple[str, ...]] = ()
    task: ClassVar[str] = ""
    hints: ClassVar[tuple[str, ...]] = ()
    correct: ClassVar[str] = "well done."

    # -- what the learner calls
    def check(self, *values: Any, namespace: dict[str, Any] | None = None) -> Result:
        """Print and return whether the answer is right; never raises.

        Without arguments it reads the answer from the notebook's variables (``names``).
        """
        namespace = _caller_namespace() if namespace is None else namespace
        try:
            result = self._check(values, namespace)
        except Exception as error:  # noqa: BLE001 -- a check explains, it never raises
            result = Result(self.id, "wrong", f"checking your answer raised {type(error).__name__}: {error}. "
                                              f"Look at what {self._names_text()} hold{'s' if len(self.names) == 1 else ''}.")
        print(result)
        return result

    def answered(self, namespace: dict[str, Any] | None = None) -> bool:
        """True when the answer is given: its names exist, are not ``____``, and the step was done (e.g. compiled)."""
        namespace = _caller_namespace() if namespace is None else namespace
        if not self._names_given(namespace):
            return False
        try:
            return self._check((), namespace).status != "not attempted"
        except Exception:  # noqa: BLE001 -- a broken answer is still an answer
            return True

    def _names_given(self, namespace: dict[str, Any]) -> bool:
        return all(name in namespace and not _is_blank(namespace[name]) for name in self.names)

    def hint(self, level: int = 1) -> None:
        """Print hint ``level`` (1 = a nudge; higher levels say more)."""
        if not self.hints:
            print(f"{self.id} has no hints. Try {self.id}.solution().")
            return
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = 1
        level = min(max(level, 1), len(self.hints))
        more = (f" More: {self.id}.hint({level + 1})." if level < len(self.hints)
                else f" That was the last hint; {self.id}.solution() shows the answer.")
        print(f"{self.id} · Hint {level}/{len(self.hints)}: {self.hints[level - 1]}{more}")

    def solution(self) -> None:
        """Print the solution, taken from the solution notebook (unless ``COURSE_SOLUTIONS=off``)."""
        print(self.solution_text())

    def solution_text(self) -> str:
        """The text :meth:`solution` prints."""
        if not solutions_enabled():
            return (f"{self.id} · Solutions are switched off for this session (COURSE_SOLUTIONS=off). "
                    f"Try {self.id}.hint({len(self.hints) or 1}), or ask your instructor.")
        path = SOLUTIONS_DIR / f"{self.notebook}.ipynb"
        if not path.exists():
            return f"{self.id} · No solution notebook here ({path.name} is not in notebooks/solutions/)."
        code = solution_regions(path).get(self.id)
        if code is None:
            return f"{self.id} · The solution notebook {path.name} has no region marked {BEGIN} {self.id}."
        return f"{self.id} · Solution (from notebooks/solutions/{path.name}):\n\n{code}"

    def not_attempted_message(self) -> str:
        """What ``check()`` prints while the answer is still ``____``: the same on every machine."""
        return str(self._not_attempted())

    def _not_attempted(self) -> Result:
        return Result(self.id, "not attempted", f"replace ____ with {self.task}. Stuck? {self.id}.hint()")

    # -- what subclasses fill in
    def judge(self, ctx: Context, *values: Any) -> str | None:
        """``None`` when the answer is right, else a sentence saying what is wrong and what to do."""
        raise NotImplementedError

    def _names_text(self) -> str:
        return " and ".join(f"`{n}`" for n in self.names) or "your answer"

    def _check(self, values: tuple[Any, ...], namespace: dict[str, Any]) -> Result:
        if not values:
            if not self._names_given(namespace):
                return self._not_attempted()
            values = tuple(namespace[name] for name in self.names)
        elif any(_is_blank(v) for v in values):
            return self._not_attempted()
        if len(values) != len(self.names):
            return Result(self.id, "wrong", f"check() takes {len(self.names)} value(s): {self._names_text()}.")
        problem = self.judge(Context(namespace), *values)
        if problem is NOT_ATTEMPTED:
            return self._not_attempted()
        if problem:
            return Result(self.id, "wrong", problem)
        return Result(self.id, "correct", self.correct)

    def __repr__(self) -> str:
        return f"<{self.id} of exercise {self.notebook[:2]}: {self.task}. Call {self.id}.check(), .hint(), .solution()>"


NOT_ATTEMPTED = "\0not attempted"
"""What :meth:`Question.judge` returns when the state shows the step was not done yet (e.g. never compiled)."""


def ready_message(ids: list[str]) -> str:
    """What a student-copy guard prints while questions ``ids`` are unanswered: "⏸ finish q1 first: ..."."""
    listed = ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"
    return f"⏸ finish {listed} first: this cell uses {'its' if len(ids) == 1 else 'their'} answer."


def ready(*questions: Question) -> bool:
    """True when every question is answered; else print "finish qN first" and return False.

    The student copies wrap each cell that needs an answer in ``if ready(q1, ...):``, so that the notebook
    still runs top to bottom while questions are open.
    """
    namespace = _caller_namespace()
    missing = [q.id for q in questions if not q.answered(namespace)]
    if missing:
        print(ready_message(missing))
        return False
    return True


# ------------------------------------------------------------------------------------- judging helpers
def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _not_a_model(value: Any, name: str, what: str) -> str | None:
    """A sentence when ``value`` is not a Keras model/layer, else None."""
    import keras

    if isinstance(value, (keras.Model, keras.layers.Layer)):
        return None
    if value is None:
        return f"`{name}` is None: assign {what} to it (a function that only prints returns None)."
    if callable(value):
        return f"`{name}` is a function ({getattr(value, '__name__', value)!r}), not {what}: call it."
    return f"`{name}` should be {what}, but it is a {_type_name(value)}."


def _all_layers(model: Any) -> list[Any]:
    """Every layer of ``model``, nested models included (depth first)."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        found += _all_layers(layer)
    return found


def _layer(model: Any, name: str) -> Any:
    return next((layer for layer in _all_layers(model) if layer.name == name), None)


def _has_random_first_conv(model: Any) -> bool:
    """True when block1_conv1's biases are all zero: what Keras initialises them to (weights=None)."""
    import numpy as np

    conv = _layer(model, "block1_conv1")
    return conv is not None and conv.bias is not None and not np.any(np.asarray(conv.bias))


def _shape_text(shape: Any) -> str:
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ")"


def _judge_vgg16_base(base: Any, ctx: Context, name: str) -> str | None:
    """Problems common to a VGG16 base without its top: type, layout, top, input size."""
    problem = _not_a_model(base, name, "a Keras model (what load_base returns)")
    if problem:
        return problem
    missing = [n for n in VGG16_CONVS if _layer(base, n) is None]
    if missing:
        return (f"`{name}` is not VGG16: it has no layer {missing[0]!r}. Load it with "
                f"load_base(\"vgg16\", ...).")
    top = [n for n in ("flatten", "fc1", "fc2", "predictions") if _layer(base, n) is not None]
    if top:
        return (f"`{name}` still has VGG16's ImageNet classifier ({', '.join(top)}): load it with "
                "include_top=False, your own head replaces it.")
    size = ctx.profile.image_size
    try:
        height, width = tuple(base.input_shape)[1:3]
    except Exception:  # noqa: BLE001
        height = width = None
    if (height, width) != (size, size):
        return (f"`{name}` takes {height}×{width} images but the pipeline makes {size}×{size}: pass "
                "input_shape=cfg.image_shape.")
    return None


def _probe_images():
    """Two 4×4 float32 images in [0, 255] whose three channels differ (red ≠ green ≠ blue)."""
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    images[..., 0] = np.clip(images[..., 0] + 60, 0, 255)  # red-ish, so that a missing flip is visible
    return images


def _judge_preprocess(preprocess: Any) -> str | None:
    """Recognise the common preprocessing mistakes for VGG16 (caffe mode)."""
    import numpy as np
    import tensorflow as tf

    if preprocess is None or not callable(preprocess):
        return (f"`preprocess` should be a function that takes a batch of images, but it is a "
                f"{_type_name(preprocess)}. Assign the function itself, without calling it.")
    images = _probe_images()
    try:
        out = preprocess(tf.constant(images))
    except Exception as error:  # noqa: BLE001
        try:
            out = preprocess(images.copy())
        except Exception:  # noqa: BLE001
            return f"calling preprocess(images) raised {type(error).__name__}: {error}"
    try:
        out = np.asarray(out, dtype="float32")
    except Exception:  # noqa: BLE001
        return f"preprocess(images) returned a {_type_name(out)}, not an array of images."
    if out.shape != images.shape:
        return (f"preprocess changes the shape of a batch from {images.shape} to {out.shape}: "
                "it should only change pixel values.")
    mean_rgb = np.array(CAFFE_MEAN_BGR[::-1], dtype="float32")
    expected = images[..., ::-1] - np.array(CAFFE_MEAN_BGR, dtype="float32")

    def near(candidate: Any) -> bool:
        return bool(np.allclose(out, candidate, atol=1e-2))

    if near(expected):
        return None
    if near(images):
        return ("preprocess leaves the pixels unchanged, but VGG16 expects its own \"caffe\" preprocessing: "
                "channels flipped to BGR and the ImageNet mean subtracted.")
    if near(images / 255.0):
        return ("this scales pixels to [0, 1], which is what TF Hub models expect. VGG16 was trained on "
                "\"caffe\" input: BGR, ImageNet mean subtracted, no scaling.")
    if near(images / 127.5 - 1.0):
        return ("this scales pixels to [-1, 1], MobileNet's preprocessing. VGG16 expects \"caffe\" "
                "input: BGR, ImageNet mean subtracted, no scaling.")
    if near(images - mean_rgb) or near(images - np.array(CAFFE_MEAN_BGR, dtype="float32")):
        return ("the mean is subtracted but the channels are still in RGB order: caffe mode also flips "
                "them to BGR, the order VGG16 was trained in.")
    if near(images[..., ::-1]):
        return "the channels are flipped to BGR, but the ImageNet mean is not subtracted."
    if near(expected / 255.0) or near((images / 255.0)[..., ::-1] - np.array(CAFFE_MEAN_BGR, dtype="float32")):
        return ("the images were scaled to [0, 1] before the caffe preprocessing: VGG16 expects "
                "[0, 255] pixels in, then BGR and mean subtraction, no scaling.")
    return ("preprocess does not give what VGG16 expects (keras.applications.vgg16.preprocess_input: "
            "BGR order, ImageNet mean subtracted, no scaling).")


def _output_kind(model: Any, outputs: Any) -> str:
    """"probabilities" (softmax), "sigmoid" or "logits": from the last layer with an activation, else the numbers."""
    import keras
    import numpy as np

    for layer in reversed([layer for layer in _all_layers(model) if not getattr(layer, "layers", None)]):
        if isinstance(layer, keras.layers.Softmax):
            return "probabilities"
        activation = getattr(layer, "activation", None)
        if activation is None:
            continue  # Dropout, pooling, Flatten, ...: look further down
        name = getattr(activation, "__name__", str(activation))
        if "softmax" in name:
            return "probabilities"
        return "sigmoid" if "sigmoid" in name else "logits"
    arr = np.asarray(outputs, dtype="float64")
    if arr.size and arr.min() >= 0 and np.allclose(arr.sum(axis=-1), 1.0, atol=1e-4):
        return "probabilities"
    return "logits"


def _judge_outputs(model: Any, inputs_shape: tuple[int, ...], ctx: Context, name: str) -> tuple[str | None, Any]:
    """(problem, outputs): run ``model`` on a random batch of ``inputs_shape`` and look at the output shape."""
    import numpy as np

    batch = np.random.default_rng(0).normal(size=(2, *inputs_shape)).astype("float32")
    try:
        outputs = np.asarray(model(batch, training=False))
    except Exception as error:  # noqa: BLE001
        return (f"`{name}` cannot take an input of shape {_shape_text((None, *inputs_shape))} "
                f"({type(error).__name__}: {str(error).splitlines()[0][:200]})."), None
    k = ctx.num_classes
    if outputs.ndim != 2:
        return (f"`{name}` outputs shape {_shape_text((None, *outputs.shape[1:]))}, one value per position: "
                "pool or flatten the feature map (e.g. GlobalAveragePooling2D) before the last Dense layer."), None
    units = outputs.shape[-1]
    if units != k:
        extra = {1: " One unit is for two classes (binary).", 1000: " 1000 is ImageNet's classes."}.get(units, "")
        return f"`{name}` outputs {units} units, but {DATASET} has {k} classes: end with Dense({k}).{extra}", None
    return None, outputs


def _loss_name_and_logits(loss: Any) -> tuple[str, bool]:
    """(lower-case name without underscores, from_logits) of a compiled loss: a string, object or function."""
    if isinstance(loss, str):
        return loss.lower().replace("_", ""), False
    try:
        settings = dict(loss.get_config())
    except Exception:  # noqa: BLE001 -- a plain function
        settings = {}
    name = type(loss).__name__
    if name in ("function", "LossFunctionWrapper", "builtin_function_or_method"):
        name = getattr(loss, "__name__", None) or str(settings.get("name", name))
    return name.lower().replace("_", ""), bool(settings.get("from_logits", False))


def _judge_compiled(model: Any, outputs: Any, ctx: Context, name: str, max_lr: float | None = None,
                    lr_hint: str = "") -> str | None:
    """Problems with how ``model`` was compiled: loss vs labels and output, learning rate, metrics."""
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return NOT_ATTEMPTED
    loss = model.loss
    if loss is None:
        return f"`{name}` was compiled without a loss: pass loss=keras.losses.SparseCategoricalCrossentropy(...)."
    loss_name, from_logits = _loss_name_and_logits(loss)
    kind = _output_kind(model, outputs)
    k = ctx.num_classes
    if "binary" in loss_name:
        return (f"a binary cross-entropy is for two classes (or independent yes/no labels); {DATASET} has {k} "
                "classes and one integer label per image: use SparseCategoricalCrossentropy.")
    if "crossentropy" not in loss_name:
        return (f"the loss {loss_name!r} is not a classification loss: with integer labels 0-{k - 1} use "
                "SparseCategoricalCrossentropy.")
    if "sparse" not in loss_name:
        return (f"CategoricalCrossentropy expects one-hot labels of shape (batch, {k}), but the pipeline gives "
                f"integer labels (0-{k - 1}): use SparseCategoricalCrossentropy.")
    if kind == "sigmoid":
        return (f"`{name}` ends with a sigmoid, which scores each class on its own; for one class per image "
                "end with softmax, or with no activation (logits) and from_logits=True.")
    if kind == "probabilities" and from_logits:
        return (f"`{name}` ends with softmax but the loss has from_logits=True, so softmax is applied twice: "
                "remove the softmax, or set from_logits=False.")
    if kind == "logits" and not from_logits:
        return (f"`{name}` outputs logits (no softmax at the end) but the loss has from_logits=False (the "
                "default): set from_logits=True.")
    try:
        lr = float(model.optimizer.learning_rate)
    except Exception:  # noqa: BLE001
        lr = float("nan")
    if not lr > 0:
        return f"the learning rate is {lr}: it must be a positive number."
    if max_lr is not None and lr > max_lr * 1.0001:
        return f"the learning rate {lr:g} is too high{lr_hint} (at most {max_lr:g})."
    metrics = ""
    try:
        metrics = str(getattr(model._compile_metrics, "_user_metrics", "")) if model._compile_metrics else ""
    except Exception:  # noqa: BLE001
        metrics = "accuracy"
    if "acc" not in metrics.lower():
        return "compile with metrics=[\"accuracy\"]: the next cells read the accuracy from the history."
    return None


def _judge_accuracy(value: Any, name: str, ctx: Context, judge_level: bool = True) -> str | None:
    """A test accuracy: a number in [0, 1], and (where meaningful) well above chance."""
    if value is None:
        return f"`{name}` is None: assign the accuracy that evaluate(...) returns."
    if isinstance(value, dict):
        return f"`{name}` is a dict: take its accuracy, e.g. `{name} = results[\"accuracy\"]`."
    if isinstance(value, (list, tuple)):
        return (f"`{name}` is a {type(value).__name__} of {len(value)} numbers: evaluate returns [loss, accuracy], "
                f"so unpack it: `test_loss, {name} = model.evaluate(...)`.")
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        return f"`{name}` should be a number (the accuracy), but it is a {_type_name(value)}."
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        return (f"`{name}` is {number:g}, not an accuracy between 0 and 1 (a loss? a percentage?): "
                "take the accuracy evaluate returns.")
    if judge_level and ctx.judges_accuracy and number < ctx.min_accuracy:
        return (f"{number:.0%} is barely better than guessing ({1 / ctx.num_classes:.0%} with {ctx.num_classes} "
                "classes): check the preprocessing, the frozen base and the loss.")
    return None


def _judge_history(history: Any, name: str) -> tuple[str | None, list[int]]:
    """(problem, epochs) of what ``fit`` returned."""
    epochs = getattr(history, "epoch", None)
    logs = getattr(history, "history", None)
    if history is None:
        return f"`{name}` is None: assign what fit(...) returns (a History).", []
    if not isinstance(epochs, list) or not isinstance(logs, dict):
        return f"`{name}` should be what fit(...) returns (a History), but it is a {_type_name(history)}.", []
    if not epochs:
        return (f"`{name}` recorded no epoch: nothing was trained. Remember that epochs= is the epoch to stop "
                "at (counting from 0), not how many more to run."), []
    if not any(key.startswith("val_") for key in logs):
        return "pass validation_data=val_ds to fit, so that you can see whether the model overfits.", epochs
    return None, list(epochs)


def _namespace_model(ctx: Context, name: str) -> Any:
    value = ctx.namespace.get(name)
    return None if _is_blank(value) else value


# --------------------------------------------------------------------------------------- exercise 07
class LoadFrozenBase(Question):
    notebook, id, names = NOTEBOOKS["07"], "q1", ("base_model",)
    task = "pre-trained VGG16 without its top, loaded at cfg.image_shape and frozen"
    hints = (
        "load_base(\"vgg16\", ...) loads keras.applications.VGG16 (or its stand-in offline). Which argument "
        "drops ImageNet's classifier?",
        "Pass weights=\"pretrained\", include_top=False and input_shape=cfg.image_shape; then freeze it with "
        "the `trainable` attribute.",
        "base_model = load_base(\"vgg16\", weights=\"pretrained\", include_top=False, input_shape=cfg.image_shape)"
        " and then base_model.trainable = False.",
    )
    correct = "pre-trained VGG16 without its top, frozen."

    def judge(self, ctx: Context, base_model: Any) -> str | None:
        problem = _judge_vgg16_base(base_model, ctx, "base_model")
        if problem:
            return problem
        if _has_random_first_conv(base_model) and not ctx.smoke:  # the smoke run's "ImageNet" weights are random
            return ("base_model has random weights (weights=None): load the pre-trained ones, "
                    "weights=\"pretrained\".")
        if base_model.trainable_weights:
            n = len(base_model.trainable_weights)
            return (f"the base is not frozen: it still has {n} trainable weight tensors. Set "
                    "base_model.trainable = False before you train the head.")
        return None


class VGGPreprocessing(Question):
    notebook, id, names = NOTEBOOKS["07"], "q2", ("preprocess",)
    task = "the function that prepares images the way VGG16 was trained"
    hints = (
        "Every keras.applications family has its own preprocess_input. Which family is VGG16?",
        "VGG16 uses \"caffe\" preprocessing: RGB→BGR and the ImageNet mean subtracted, no scaling to [0, 1].",
        "preprocess = keras.applications.vgg16.preprocess_input (the function itself, not a call).",
    )
    correct = "VGG16's caffe preprocessing (BGR, ImageNet mean subtracted)."

    def judge(self, ctx: Context, preprocess: Any) -> str | None:
        return _judge_preprocess(preprocess)


def _feature_shape(ctx: Context) -> tuple[int, ...]:
    base = _namespace_model(ctx, "base_model")
    try:
        return tuple(base.output_shape[1:])
    except Exception:  # noqa: BLE001 -- no base yet: what VGG16 gives at this image size
        side = ctx.profile.image_size // 32
        return (side, side, 512 if ctx.profile.real_assets else 64)


class ClassifierHead(Question):
    notebook, id, names = NOTEBOOKS["07"], "q3", ("head",)
    task = f"a head that turns VGG16's feature map into one score per {DATASET} class"
    hints = (
        "The base outputs a feature map of shape base_model.output_shape; the head takes that and ends with "
        "one unit per class.",
        "keras.Sequential([keras.Input(base_model.output_shape[1:]), a pooling layer, (a hidden Dense layer, "
        "Dropout,) Dense(...)]); the number of classes is splits.num_classes.",
        "GlobalAveragePooling2D() turns the map into a vector; Dense(splits.num_classes) with no activation "
        "outputs logits.",
    )
    correct = "the head takes the feature map and outputs one score per class."

    def judge(self, ctx: Context, head: Any) -> str | None:
        problem = _not_a_model(head, "head", "a Keras model (e.g. keras.Sequential([...]))")
        if problem:
            return problem
        problem, _ = _judge_outputs(head, _feature_shape(ctx), ctx, "head")
        return problem


class CompileHead(Question):
    notebook, id, names = NOTEBOOKS["07"], "q4", ("head",)
    task = "head.compile(...) with an optimizer, a loss that matches labels and outputs, and accuracy"
    hints = (
        "The labels are integers 0-4, one per image. Does your head end with softmax, or output logits?",
        "SparseCategoricalCrossentropy takes integer labels; from_logits=True when the last layer has no "
        "softmax. Use the profile's learning rate, cfg.head_learning_rate.",
        "head.compile(optimizer=keras.optimizers.Adam(cfg.head_learning_rate), "
        "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=[\"accuracy\"])",
    )
    correct = "the loss matches integer labels and the head's outputs."

    def judge(self, ctx: Context, head: Any) -> str | None:
        problem = _not_a_model(head, "head", "a Keras model")
        if problem:
            return problem
        problem, outputs = _judge_outputs(head, _feature_shape(ctx), ctx, "head")
        return problem or _judge_compiled(head, outputs, ctx, "head", max_lr=1e-2,
                                          lr_hint=" for training a new head with Adam")


class TrainAndEvaluate(Question):
    notebook, id, names = NOTEBOOKS["07"], "q5", ("history", "test_accuracy")
    task = "the head trained for cfg.head_epochs epochs (history) and its test accuracy (test_accuracy)"
    hints = (
        "fit the head on the cached training features, with the validation features as validation_data; "
        "then evaluate on the test features.",
        "features_dataset(train_features, train_labels, cfg.batch_size) gives batches to fit; evaluate returns "
        "[loss, accuracy].",
        "history = head.fit(train_features_ds, validation_data=val_features_ds, epochs=cfg.head_epochs); "
        "test_loss, test_accuracy = head.evaluate(test_features_ds).",
    )
    correct = "trained and evaluated."

    def judge(self, ctx: Context, history: Any, test_accuracy: Any) -> str | None:
        problem, epochs = _judge_history(history, "history")
        if problem:
            return problem
        if len(epochs) < ctx.profile.head_epochs:
            return (f"history has {len(epochs)} epochs; train for the profile's budget, "
                    f"epochs=cfg.head_epochs ({ctx.profile.head_epochs}).")
        return _judge_accuracy(test_accuracy, "test_accuracy", ctx)


# --------------------------------------------------------------------------------------- exercise 08
def _trainable_convs(base: Any) -> list[str]:
    if not getattr(base, "trainable", False):
        return []
    return [n for n in VGG16_CONVS if (layer := _layer(base, n)) is not None and layer.trainable]


class UnfreezeLastBlock(Question):
    notebook, id, names = NOTEBOOKS["08"], "q1", ("base_model",)
    task = "the last convolutional block (block5) of base_model unfrozen, the rest frozen"
    hints = (
        "Make the base trainable again, then freeze every layer that is not in the last block.",
        "VGG16's layers are named block1_conv1 ... block5_conv3; `for layer in base_model.layers:` and "
        "layer.name tell you where you are.",
        "base_model.trainable = True; then for each layer: layer.trainable = layer.name.startswith(\"block5\").",
    )
    correct = "only block5 trains; blocks 1-4 stay frozen."

    def judge(self, ctx: Context, base_model: Any) -> str | None:
        problem = _judge_vgg16_base(base_model, ctx, "base_model")
        if problem:
            return problem
        training = _trainable_convs(base_model)
        wanted = [n for n in VGG16_CONVS if n.startswith("block5")]
        if not training:
            flagged = [n for n in VGG16_CONVS if _layer(base_model, n).trainable]
            if flagged and not base_model.trainable and len(flagged) < len(VGG16_CONVS):
                return ("base_model.trainable is still False, which overrides its layers' flags: set "
                        "base_model.trainable = True first, then freeze the layers outside block5.")
            return NOT_ATTEMPTED
        if training == wanted:
            head = _namespace_model(ctx, "head")
            if head is not None and getattr(head, "trainable", True) is False:
                return "the head is frozen: it should keep training with block5 (head.trainable = True)."
            return None
        if len(training) == len(VGG16_CONVS):
            return (f"too many layers unfrozen: all {len(VGG16_CONVS)} convolution layers train. With a small "
                    "dataset that overfits and destroys general features: unfreeze block5 only.")
        extra = [n for n in training if not n.startswith("block5")]
        if extra and set(wanted) <= set(training):
            return (f"too many layers unfrozen: {', '.join(extra)} train too. Unfreeze the last block only "
                    "(block5_conv1-3).")
        if extra:
            return (f"{', '.join(extra)} are not in the last block: the top block (block5) is the most "
                    "task-specific, unfreeze that one.")
        return (f"only {', '.join(training)} of block5 train: unfreeze the whole last block "
                "(block5_conv1, block5_conv2, block5_conv3).")


class RecompileLowRate(Question):
    notebook, id, names = NOTEBOOKS["08"], "q2", ("model",)
    task = "model compiled again for fine-tuning, at a low learning rate"
    hints = (
        "Changing `trainable` only takes effect when you compile. Fine-tuning needs a much smaller "
        "learning rate than training the head.",
        "Same loss and metrics as the head; the learning rate is in the profile: cfg.fine_tune_learning_rate.",
        "model.compile(optimizer=keras.optimizers.Adam(cfg.fine_tune_learning_rate), "
        "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=[\"accuracy\"])",
    )
    correct = "compiled with a low learning rate."

    def judge(self, ctx: Context, model: Any) -> str | None:
        problem = _not_a_model(model, "model", "a Keras model")
        if problem:
            return problem
        problem, outputs = _judge_outputs(model, ctx.profile.image_shape, ctx, "model")
        limit = max(ctx.profile.fine_tune_learning_rate, 1e-4)
        return problem or _judge_compiled(
            model, outputs, ctx, "model", max_lr=limit,
            lr_hint=" for fine-tuning: large steps wreck the pre-trained weights; use cfg.fine_tune_learning_rate")


class ContinueTraining(Question):
    notebook, id, names = NOTEBOOKS["08"], "q3", ("history_fine",)
    task = "history_fine: fit continued from where the head's training stopped (initial_epoch)"
    hints = (
        "fit has an argument that makes the epoch count continue instead of restarting at 0.",
        "initial_epoch=len(history.epoch) and epochs=initial_epoch + cfg.fine_tune_epochs: epochs= is the "
        "epoch to stop at.",
        "history_fine = model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch), "
        "epochs=len(history.epoch) + cfg.fine_tune_epochs)",
    )
    correct = "fine-tuning continued the epoch count."

    def judge(self, ctx: Context, history_fine: Any) -> str | None:
        problem, epochs = _judge_history(history_fine, "history_fine")
        if problem:
            return problem
        start = ctx.profile.head_epochs
        head_history = ctx.namespace.get("history")
        if getattr(head_history, "epoch", None):
            start = len(head_history.epoch)
        if start and epochs[0] == 0:
            return (f"fine-tuning restarted at epoch 0: pass initial_epoch={start} (len(history.epoch)) so the "
                    "curves continue where the head's training stopped.")
        if len(epochs) < ctx.profile.fine_tune_epochs:
            return (f"only {len(epochs)} fine-tuning epoch(s): epochs= is the epoch to stop at, so use "
                    "epochs=initial_epoch + cfg.fine_tune_epochs.")
        return None


class FineTunedAccuracy(Question):
    notebook, id, names = NOTEBOOKS["08"], "q4", ("fine_tune_accuracy",)
    task = "the fine-tuned model's accuracy on the test split"
    hints = (
        "The fine-tuned model takes images: evaluate it on the test image pipeline.",
        "evaluate returns [loss, accuracy] because the model was compiled with metrics=[\"accuracy\"].",
        "fine_tune_loss, fine_tune_accuracy = model.evaluate(test_ds, verbose=0)",
    )
    correct = "evaluated on the test split."

    def judge(self, ctx: Context, fine_tune_accuracy: Any) -> str | None:
        return _judge_accuracy(fine_tune_accuracy, "fine_tune_accuracy", ctx)


# --------------------------------------------------------------------------------------- exercise 09
class ScratchModel(Question):
    notebook, id, names = NOTEBOOKS["09"], "q1", ("scratch_model",)
    task = "the same VGG16 + head, from random weights (weights=None), all trainable, compiled"
    hints = (
        "Same architecture as exercise 07, but nothing pre-trained: which `weights` does load_base take?",
        "weights=None gives random weights. Nothing may be frozen: a frozen random layer never learns. "
        "Compile it like the head in 07.",
        "scratch_base = load_base(\"vgg16\", weights=None, include_top=False, input_shape=cfg.image_shape); "
        "scratch_model = keras.Sequential([scratch_base, and the layers of your head from 07]); compile it.",
    )
    correct = "VGG16 from random weights, everything trainable."

    def judge(self, ctx: Context, scratch_model: Any) -> str | None:
        problem = _not_a_model(scratch_model, "scratch_model", "a Keras model")
        if problem:
            return problem
        if _layer(scratch_model, "block5_conv3") is None:
            return "scratch_model does not contain VGG16: build it on load_base(\"vgg16\", weights=None, ...)."
        optimizer = getattr(scratch_model, "optimizer", None)
        trained = optimizer is not None and int(getattr(optimizer, "iterations", 0)) > 0
        if not trained and not _has_random_first_conv(scratch_model):
            return ("scratch_model starts from pre-trained weights: load the base with weights=None to train "
                    "from scratch.")
        frozen = [w for layer in _all_layers(scratch_model) if not getattr(layer, "layers", None)
                  for w in layer.non_trainable_weights]
        if not scratch_model.trainable or frozen:
            return ("part of scratch_model is frozen: random weights that never train stay random. "
                    "Leave everything trainable.")
        problem, outputs = _judge_outputs(scratch_model, ctx.profile.image_shape, ctx, "scratch_model")
        return problem or _judge_compiled(scratch_model, outputs, ctx, "scratch_model", max_lr=1e-2)


class TrainScratch(Question):
    notebook, id, names = NOTEBOOKS["09"], "q2", ("history_scratch", "scratch_accuracy")
    task = "scratch_model trained for the same budget (history_scratch) and its test accuracy (scratch_accuracy)"
    hints = (
        "Same data, same budget: as many epochs as the head and the fine-tuning together.",
        "epochs=cfg.head_epochs + cfg.fine_tune_epochs; evaluate on test_ds returns [loss, accuracy].",
        "history_scratch = scratch_model.fit(train_ds, validation_data=val_ds, epochs=budget); "
        "scratch_loss, scratch_accuracy = scratch_model.evaluate(test_ds)",
    )
    correct = "trained from scratch on the same budget."

    def judge(self, ctx: Context, history_scratch: Any, scratch_accuracy: Any) -> str | None:
        problem, epochs = _judge_history(history_scratch, "history_scratch")
        if problem:
            return problem
        budget = ctx.profile.head_epochs + ctx.profile.fine_tune_epochs
        if len(epochs) != budget:
            return (f"{len(epochs)} epochs is not the same budget: the pre-trained runs had "
                    f"cfg.head_epochs + cfg.fine_tune_epochs = {budget}.")
        return _judge_accuracy(scratch_accuracy, "scratch_accuracy", ctx, judge_level=False)


CURVE_CHOICES = {
    "a": "From-scratch training catches up with the pre-trained base once it has a quarter of the data.",
    "b": "The pre-trained base is ahead at every training-set size; with little data, training from scratch "
         "learns little or nothing.",
    "c": "Both curves are flat: the size of the training set hardly matters.",
    "d": "Pre-training only pays off when you train on the full training set.",
}
_CURVE_WHY = {
    "a": "look at the gap at 25%: the pre-trained line is still far above (and catching up would take far "
         "more data than this dataset has).",
    "c": "the from-scratch line changes with the data size, and it is the pre-trained one that needs little.",
    "d": "it is the other way round: the pre-trained base's lead is largest when data is scarce.",
}


class ReadTheCurve(Question):
    notebook, id, names = NOTEBOOKS["09"], "q3", ("curve_answer",)
    task = "the letter of the statement the data-efficiency curve supports (curve_answer)"
    hints = (
        "Compare the two lines at the smallest training-set size, then at the largest.",
        "Which line is higher at every size, and where is the from-scratch line close to chance?",
        "The letter whose statement says the pre-trained base wins everywhere and scratch needs data.",
    )
    correct = "with little data, pre-trained features are what make learning possible."

    def judge(self, ctx: Context, curve_answer: Any) -> str | None:
        if not isinstance(curve_answer, str):
            return f"curve_answer should be one letter as a string, e.g. \"a\", but it is a {_type_name(curve_answer)}."
        letter = curve_answer.strip().strip("()").rstrip(")").lower()[:1]
        if letter not in CURVE_CHOICES:
            return f"{curve_answer!r} is not one of the choices: answer \"a\", \"b\", \"c\" or \"d\"."
        if letter != "b":
            return f"not {letter}: {_CURVE_WHY[letter]}"
        return None


QUESTIONS: dict[str, tuple[type[Question], ...]] = {
    "07": (LoadFrozenBase, VGGPreprocessing, ClassifierHead, CompileHead, TrainAndEvaluate),
    "08": (UnfreezeLastBlock, RecompileLowRate, ContinueTraining, FineTunedAccuracy),
    "09": (ScratchModel, TrainScratch, ReadTheCurve),
}


def questions(exercise: str) -> tuple[Question, ...]:
    """The question objects of exercise ``"07"``, ``"08"`` or ``"09"``, in order: ``q1, q2, ... = questions("07")``."""
    exercise = str(exercise)[:2]
    if exercise not in QUESTIONS:
        raise ValueError(f"No exercise {exercise!r}; there are {', '.join(QUESTIONS)}.")
    return tuple(cls() for cls in QUESTIONS[exercise])


def print_choices(choices: dict[str, str] = CURVE_CHOICES) -> None:
    """Print a multiple-choice question's options, one per line."""
    for letter, text in choices.items():
        print(f"  {letter}) {text}")


# ------------------------------------------------------------------------------------------ results file
def results_path() -> Path:
    """The JSON file exercises 07-09 share results through (``COURSE_RESULTS_DIR``, default ``results/``)."""
    folder = Path(os.environ.get("COURSE_RESULTS_DIR") or config.REPO_ROOT / "results")
    return folder / "vgg16_exercises.json"


def _signature(profile: config.Profile) -> str:
    """Results are only reused by a run with the same profile, sizes, budget and harness."""
    harness = os.environ.get("COURSE_HARNESS") or "none"
    return (f"{profile.name}-{profile.image_size}px-b{profile.batch_size}-e{profile.head_epochs}+"
            f"{profile.fine_tune_epochs}-harness:{harness}")


def load_results(profile: config.Profile) -> dict[str, dict[str, Any]]:
    """``{run name: metrics}`` saved by earlier exercises in this profile; empty when there are none."""
    path = results_path()
    try:
        saved = json.loads(path.read_text(encoding="utf8"))
    except (OSError, ValueError):
        return {}
    return dict(saved.get(_signature(profile), {}))


def save_result(profile: config.Profile, run: str, **metrics: Any) -> Path:
    """Add (or replace) run ``run`` with ``metrics`` (numbers, lists, dicts) in the results file; return its path."""
    path = results_path()
    try:
        saved = json.loads(path.read_text(encoding="utf8"))
    except (OSError, ValueError):
        saved = {}
    clean = json.loads(json.dumps(metrics, default=lambda v: v.tolist() if hasattr(v, "tolist") else float(v)))
    clean["saved"] = time.strftime("%Y-%m-%d %H:%M:%S")
    saved.setdefault(_signature(profile), {})[run] = clean
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=1), encoding="utf8")
    return path


def result_label(profile: config.Profile) -> str:
    """One line saying where the numbers come from: real data, stand-ins, or a smoke run of the test harness."""
    if not config.results_are_meaningful():
        return "TEST HARNESS smoke run (mock data, random weights): these numbers mean nothing."
    if not profile.real_assets:
        return ("STAND-IN results (offline profile: glyph images, VGG16 stand-in); real tf_flowers "
                "numbers differ.")
    return f"{DATASET}, {profile.name} profile, {profile.image_size} px."


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``: wall time of a block."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self._start
