"""The exercise checks' building blocks for models: VGG16 bases, preprocessing, heads, compile settings.

Each ``judge_*`` returns ``None`` when the thing is right, else one sentence saying what is wrong and what to do;
it never raises for a wrong answer. Runs (what ``fit`` trained on, what ``evaluate`` measured) are judged in
``run_judges.py``.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from helpers.exercises.framework import Context, NotAttempted
from helpers.exercises.results import DATASET

VGG16_CONVS = tuple(f"block{b}_conv{i}" for b, n in zip(range(1, 6), (2, 2, 3, 3, 3)) for i in range(1, n + 1))
"""The 13 convolution layers of VGG16 (and of its stand-in), bottom to top."""
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


# --------------------------------------------------------------------------------------------- words
def a_type(value: Any) -> str:
    """"None", "a list", "an int": what ``value`` is, with its article."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def plural(n: int, word: str) -> str:
    """"1 unit", "5 units"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def shape_text(shape: Any) -> str:
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ")"


def keras_error(error: Exception) -> str:
    """The useful first line of a Keras/TensorFlow error, without its node names.

    Keras 3 wraps an error inside a layer as "Exception encountered when calling X.call()." followed by the
    cause in quotes: the cause is what says what went wrong (e.g. the shape a layer expected).
    """
    plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # Keras 3 prints layer names in bold
    shapes = re.search(r"(Expected shape \(.*?\), but input has incompatible shape \(.*?\))", plain, re.DOTALL)
    ndim = re.search(r"(Input \d+ of layer \S+ is incompatible with the layer: expected ndim=\d+, found ndim=\d+)",
                     plain)
    if shapes or ndim:
        return (shapes or ndim)[1].replace("\n", " ")[:220]
    lines = [line.strip().strip("'\"").strip() for line in plain.strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith(("Exception encountered when calling",
                                                                     "Arguments received by"))]
    text = lines[0] if lines else type(error).__name__
    return text.split(" for '{{node")[0][:220]


# -------------------------------------------------------------------------------------------- models
def not_a_model(value: Any, name: str, what: str) -> str | None:
    """A sentence when ``value`` is not a Keras model or layer, else None."""
    import keras

    if isinstance(value, (keras.Model, keras.layers.Layer)):
        return None
    if value is None:
        return f"`{name}` is None: assign {what} to it (a function that only prints returns None)."
    if callable(value):
        return f"`{name}` is a function ({getattr(value, '__name__', value)!r}), not {what}: call it."
    return f"`{name}` should be {what}, but it is {a_type(value)}."


def all_layers(model: Any) -> list[Any]:
    """Every layer of ``model``, nested models included (depth first)."""
    found = []
    for layer in getattr(model, "layers", []) or []:
        found.append(layer)
        found += all_layers(layer)
    return found


def layer(model: Any, name: str) -> Any:
    """The layer called ``name`` anywhere in ``model``, or None."""
    return next((found for found in all_layers(model) if found.name == name), None)


def contains(model: Any, part: Any) -> bool:
    return part is not None and (part is model or any(found is part for found in all_layers(model)))


def owners(model: Any) -> dict[int, str]:
    """``{id(variable): name of the layer that holds it}`` for every weight of ``model``."""
    names: dict[int, str] = {}
    for found in [model, *all_layers(model)]:
        if not getattr(found, "layers", None):
            for variable in found.weights:
                names[id(variable)] = found.name
    return names


def would_train(model: Any) -> list[Any]:
    """The variables of ``model`` that train when it sits in a trainable model (Keras 3: the layers' own flags)."""
    return [v for v in model.weights if v.trainable]


def judge_vgg16_base(base: Any, ctx: Context, name: str) -> str | None:
    """Problems common to a VGG16 base without its top: type, layout, top, input size."""
    problem = not_a_model(base, name, "a Keras model (what load_base returns)")
    if problem:
        return problem
    missing = [n for n in VGG16_CONVS if layer(base, n) is None]
    if missing:
        return f"`{name}` is not VGG16: it has no layer {missing[0]!r}. Load it with load_base(\"vgg16\", ...)."
    top = [n for n in ("flatten", "fc1", "fc2", "predictions") if layer(base, n) is not None]
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


def has_random_first_conv(model: Any) -> bool:
    """True when block1_conv1's biases are all zero: what Keras initialises them to (weights=None)."""
    conv = layer(model, "block1_conv1")
    return conv is not None and conv.bias is not None and not np.any(np.asarray(conv.bias))


# ------------------------------------------------------------------------------------- preprocessing
def _probe_images() -> np.ndarray:
    """Two 4×4 float32 images in [0, 255] whose three channels differ (red ≠ green ≠ blue)."""
    images = np.random.default_rng(0).uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    images[..., 0] = np.clip(images[..., 0] + 60, 0, 255)  # red-ish, so that a missing flip is visible
    return images


def judge_preprocess(preprocess: Any) -> str | None:
    """Recognise the common preprocessing mistakes for VGG16 (caffe mode)."""
    import tensorflow as tf

    if preprocess is None or not callable(preprocess):
        return (f"`preprocess` should be a function that takes a batch of images, but it is {a_type(preprocess)}. "
                "Assign the function itself, without calling it.")
    images = _probe_images()
    try:
        out = preprocess(tf.constant(images))
    except Exception as error:  # noqa: BLE001
        return (f"calling preprocess(images) on a batch of images raised {type(error).__name__}: "
                f"{keras_error(error)}. The pipeline calls it on every batch.")
    try:
        out = np.asarray(out, dtype="float32")
    except Exception:  # noqa: BLE001
        return f"preprocess(images) returned {a_type(out)}, not an array of images."
    if out.shape != images.shape:
        return (f"preprocess changes the shape of a batch from {images.shape} to {out.shape}: "
                "it should only change pixel values.")
    mean_bgr = np.array(CAFFE_MEAN_BGR, dtype="float32")
    checks = [
        (images[..., ::-1] - mean_bgr, None),
        (images, "preprocess leaves the pixels unchanged, but VGG16 expects its own \"caffe\" preprocessing: "
                 "channels flipped to BGR and the ImageNet mean subtracted."),
        (images / 255.0, "this scales pixels to [0, 1], which is what TF Hub models expect. VGG16 was trained on "
                         "\"caffe\" input: BGR, ImageNet mean subtracted, no scaling."),
        (images / 127.5 - 1.0, "this scales pixels to [-1, 1], MobileNet's preprocessing. VGG16 expects "
                               "\"caffe\" input: BGR, ImageNet mean subtracted, no scaling."),
        (images - mean_bgr[::-1], "the mean is subtracted but the channels are still in RGB order: caffe mode "
                                  "also flips them to BGR, the order VGG16 was trained in."),
        (images - mean_bgr, "the mean is subtracted but the channels are still in RGB order: caffe mode also "
                            "flips them to BGR, the order VGG16 was trained in."),
        (images[..., ::-1], "the channels are flipped to BGR, but the ImageNet mean is not subtracted."),
        ((images / 255.0)[..., ::-1] - mean_bgr, "the images were scaled to [0, 1] before the caffe "
                                                 "preprocessing: VGG16 expects [0, 255] pixels in, then BGR and "
                                                 "mean subtraction, no scaling."),
    ]
    for expected, message in checks:
        if np.allclose(out, expected, atol=1e-2):
            return message
    return ("preprocess does not give what VGG16 expects (keras.applications.vgg16.preprocess_input: "
            "BGR order, ImageNet mean subtracted, no scaling).")


# ---------------------------------------------------------------------------------------- outputs
def output_kind(model: Any, outputs: Any) -> str:
    """"probabilities" (softmax), "sigmoid", "relu" or "logits": from the last layer with an activation."""
    import keras

    for found in reversed([f for f in [model, *all_layers(model)] if not getattr(f, "layers", None)]):
        if isinstance(found, keras.layers.Softmax):
            return "probabilities"
        if isinstance(found, keras.layers.ReLU):
            return "relu"
        activation = getattr(found, "activation", None)
        if activation is None:
            continue  # Dropout, pooling, Flatten, ...: look further down
        name = getattr(activation, "__name__", str(activation))
        for kind, word in (("probabilities", "softmax"), ("sigmoid", "sigmoid"), ("relu", "relu")):
            if word in name:
                return kind
        return "logits"
    arr = np.asarray(outputs, dtype="float64")
    if arr.size and arr.min() >= 0 and np.allclose(arr.sum(axis=-1), 1.0, atol=1e-4):
        return "probabilities"
    return "logits"


def judge_outputs(model: Any, inputs_shape: tuple[int, ...], ctx: Context, name: str,
                  takes: str = "input") -> tuple[str | None, Any]:
    """(problem, outputs): run ``model`` on a random batch of ``inputs_shape`` and look at what comes out."""
    batch = np.random.default_rng(0).normal(size=(2, *inputs_shape)).astype("float32")
    try:
        raw = model(batch, training=False)
        outputs = np.asarray(raw)
    except Exception as error:  # noqa: BLE001
        return (f"`{name}` cannot take {takes} of shape {shape_text((None, *inputs_shape))}; Keras says: "
                f"{keras_error(error)}. Its first layer must take that shape, e.g. keras.Input("
                f"{shape_text(inputs_shape)})."), None
    k = ctx.num_classes
    if outputs.ndim != 2:
        return (f"`{name}` outputs shape {shape_text((None, *outputs.shape[1:]))}, one value per position: "
                "pool or flatten the feature map (e.g. GlobalAveragePooling2D) before the last Dense layer."), None
    units = outputs.shape[-1]
    if units != k:
        extra = {1: " One unit is for two classes (binary).", 1000: " 1000 is ImageNet's classes."}.get(units, "")
        return (f"`{name}` outputs {plural(units, 'unit')}, but {DATASET} has {k} classes: end with "
                f"Dense({k}).{extra}"), None
    if "float16" in str(getattr(raw, "dtype", "")):
        return (f"`{name}` outputs float16 (mixed precision is on): end it with Dense({k}, dtype=\"float32\") so "
                "the loss gets float32 logits."), None
    kind = output_kind(model, outputs)
    if kind == "relu":
        return (f"`{name}` ends with a ReLU, which cuts every score below 0: end with Dense({k}) and no activation "
                "(logits), or softmax."), None
    if kind == "sigmoid":
        return (f"`{name}` ends with a sigmoid, which scores each class on its own; for one class per image "
                "end with softmax, or with no activation (logits) and from_logits=True."), None
    return None, outputs


# ---------------------------------------------------------------------------------------- compile
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


def _fresh(spec: Any) -> Any:
    """A new copy of a metric or loss object (strings and functions as they are)."""
    try:
        return type(spec).from_config(spec.get_config()) if hasattr(spec, "get_config") else spec
    except Exception:  # noqa: BLE001
        return spec


def judge_metrics(model: Any, kind: str, ctx: Context, name: str) -> str | None:
    """Compile ``model``'s metrics on a tiny probe: they must report the sparse accuracy under "accuracy"."""
    import keras

    compiled = getattr(model, "_compile_metrics", None)  # what compile keeps (a compile without metrics keeps the old)
    metrics = getattr(compiled, "_user_metrics", None) or []
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    k = ctx.num_classes
    labels = np.arange(8) % k
    logits = np.full((8, k), -2.0, "float32")
    logits[np.arange(8), labels] = 2.0
    logits[6:, :] = logits[6:, ::-1]  # two of eight wrong (for k >= 2): accuracy 0.75
    expected = float(np.mean(logits.argmax(axis=1) == labels))
    outputs = keras.ops.convert_to_numpy(keras.ops.softmax(logits)) if kind == "probabilities" else logits
    probe = keras.Sequential([keras.Input((k,)), keras.layers.Identity(dtype="float32")])
    try:
        probe.compile(optimizer="sgd", loss=_fresh(model.loss), metrics=[_fresh(m) for m in metrics],
                      run_eagerly=True)
        measured = probe.evaluate(outputs, labels, verbose=0, return_dict=True)
    except Exception as error:  # noqa: BLE001
        return (f"with integer labels 0-{k - 1}, the metrics of `{name}` fail ({keras_error(error)}): "
                "use metrics=[\"accuracy\"].")
    if "accuracy" not in measured:
        shown = ", ".join(repr(key) for key in measured if key != "loss") or "none"
        return (f"compile with metrics=[\"accuracy\"]: the next cells read 'accuracy' from the history, and "
                f"these metrics report {shown}.")
    if not np.isclose(measured["accuracy"], expected, atol=1e-3):
        return (f"the metric named 'accuracy' does not measure the share of correct classes here (it gave "
                f"{measured['accuracy']:.2f} where {expected:.2f} is right): pass the string \"accuracy\", which "
                "Keras turns into SparseCategoricalAccuracy for integer labels.")
    return None


def judge_compiled(model: Any, outputs: Any, ctx: Context, name: str, lr_range: tuple[float, float],
                   lr_hint: str = "", too_high_why: str = "", use: str = "") -> str | None:
    """Problems with how ``model`` was compiled: loss vs labels and output, learning rate, metrics.

    ``lr_hint`` says what the rate is for, ``too_high_why`` why a larger one harms, ``use`` the rate to use.

    Raises NotAttempted when ``model`` was never compiled.
    """
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        raise NotAttempted
    if model.loss is None:
        return f"`{name}` was compiled without a loss: pass loss=keras.losses.SparseCategoricalCrossentropy(...)."
    if isinstance(model.loss, type):
        return (f"the loss is the class keras.losses.{model.loss.__name__} itself, not a loss made from it: add the "
                f"parentheses and its arguments, loss=keras.losses.{model.loss.__name__}(from_logits=True).")
    loss_name, from_logits = _loss_name_and_logits(model.loss)
    kind = output_kind(model, outputs)
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
    if kind == "probabilities" and from_logits:
        return (f"`{name}` ends with softmax but the loss has from_logits=True, so softmax is applied twice: "
                "remove the softmax, or set from_logits=False.")
    if kind == "logits" and not from_logits:
        return (f"`{name}` outputs logits (no softmax at the end) but the loss has from_logits=False (the "
                "default): set from_logits=True.")
    try:
        lr = float(np.asarray(model.optimizer.learning_rate))
    except Exception:  # noqa: BLE001 -- a schedule
        lr = float("nan")
    low, high = lr_range
    if not lr > 0:
        return f"the learning rate is {lr:g}: it must be a positive number."
    use = f"; use {use}" if use else ""
    if lr > high * 1.0001:
        return f"the learning rate {lr:g} is too high{lr_hint} (at most {high:g}){too_high_why}{use}."
    if lr < low * 0.9999:
        return (f"the learning rate {lr:g} is too low{lr_hint} (at least {low:g}): the weights would barely move "
                f"in this budget{use}.")
    return judge_metrics(model, kind, ctx, name)
