"""The exercise checks' building blocks for runs: which split a fit or an evaluation used, what it measured.

They read the record of ``fit`` and ``evaluate`` calls that ``recording.py`` keeps. A split is
recognised by identity (``train_ds``, ``val_features``, ...) or else by content: the examples' labels and mean
values, in any order and batching, compared with the notebook's own pipelines and feature arrays.
"""
from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from helpers.exercises import recording
from helpers.exercises.framework import Context
from helpers.exercises.judges import a_type
from helpers.exercises.recording import FitRecord

SPLITS = {"train": ("train_ds", "train_features", "train_labels"),
          "validation": ("val_ds", "val_features", "val_labels"),
          "test": ("test_ds", "test_features", "test_labels")}
"""split -> the notebook's (image pipeline, feature array, label array) names for it."""
LEVEL_PROFILES = ("offline",)
"""Profiles where :func:`judge_accuracy` fails an accuracy under chance + 10 points: where 07 and 08 were run (the
stand-ins). Elsewhere that floor was never measured (no real VGG16 weights here); tests/test_data_checks.py."""
WORDS = {"train": "the training split", "validation": "the validation split", "test": "the test split"}
MAX_EXAMPLES = 50_000
_SEEN: dict[int, tuple[Any, Any]] = {}  # id(data) -> (weak reference, content key)


# ------------------------------------------------------------------------------------------ content
def _weak(value: Any) -> Any:
    try:
        return weakref.ref(value)
    except TypeError:
        return lambda: None


def _content(x: Any, y: Any = None) -> tuple[tuple[int, ...], np.ndarray, np.ndarray] | None:
    """(example shape, sorted labels, their examples' means): what the data holds, whatever its order."""
    import tensorflow as tf

    if x is None:
        return None
    key = id(x)
    if y is None and key in _SEEN and _SEEN[key][0]() is x:
        return _SEEN[key][1]
    labels, means, shape = [], [], None
    if isinstance(x, tf.data.Dataset):
        if int(x.cardinality()) == int(tf.data.INFINITE_CARDINALITY):  # .repeat(): no end to read
            return None
        count = 0
        for element in x:
            if not isinstance(element, (tuple, list)) or len(element) < 2:
                return None
            batch, batch_labels = np.asarray(element[0]), np.asarray(element[1])
            shape = batch.shape[1:]
            means.append(batch.reshape(len(batch), -1).astype("float64").mean(axis=1))
            labels.append(batch_labels.reshape(len(batch), -1)[:, 0])
            count += len(batch)
            if count > MAX_EXAMPLES:
                return None
    else:
        try:
            batch, batch_labels = np.asarray(x), np.asarray(y)
        except Exception:  # noqa: BLE001
            return None
        if batch.ndim < 2 or batch_labels.shape[:1] != batch.shape[:1]:
            return None
        shape = batch.shape[1:]
        means.append(batch.reshape(len(batch), -1).astype("float64").mean(axis=1))
        labels.append(batch_labels.reshape(len(batch), -1)[:, 0])
    if not labels:
        return None
    all_labels, all_means = np.concatenate(labels).astype("int64"), np.concatenate(means)
    order = np.lexsort((all_means, all_labels))
    found = (tuple(shape), all_labels[order], all_means[order])
    if y is None:
        _SEEN[key] = (_weak(x), found)
    return found


def _same(a: Any, b: Any) -> bool:
    return (a is not None and b is not None and a[0] == b[0] and len(a[1]) == len(b[1])
            and np.array_equal(a[1], b[1]) and np.allclose(a[2], b[2], rtol=1e-4, atol=1e-4))


def _references(ctx: Context, split: str, extra: tuple[str, ...] = ()) -> list[tuple[Any, Any]]:
    """(data, labels or None) the notebook holds for ``split``: its pipeline, its cached features."""
    pipeline, features, labels = SPLITS[split]
    found = [(ctx.get(name), None) for name in (pipeline, *extra)]
    feature_ds = ctx.get("feature_ds")
    if isinstance(feature_ds, dict):
        found.append((feature_ds.get(split), None))
    found.append((ctx.get(features), ctx.get(labels)))
    return [(data, y) for data, y in found if data is not None]


def splits_of(x: Any, y: Any, ctx: Context, train_names: tuple[str, ...] = ()) -> set[str]:
    """Which splits ``x`` (and ``y``) hold: {"test"}, or several when they look alike (mock data), or none."""
    if isinstance(x, (tuple, list)) and len(x) >= 2 and y is None:  # validation_data=(features, labels)
        x, y = x[0], x[1]
    for split in SPLITS:
        extra = train_names if split == "train" else ()
        if any(x is data for data, _ in _references(ctx, split, extra)):
            return {split}
    content = _content(x, y)
    if content is None:
        return set()
    found = set()
    for split in SPLITS:
        for data, labels in _references(ctx, split, train_names if split == "train" else ()):
            shape = getattr(data, "shape", None)
            spec = getattr(data, "element_spec", None)
            if spec is not None:
                shape = tuple(spec[0].shape)[1:] if isinstance(spec, tuple) else None
            elif shape is not None:
                shape = tuple(shape)[1:]
            if shape is not None and tuple(shape) != content[0]:
                continue
            if _same(content, _content(data, labels)):
                found.add(split)
                break
    return found


def describe(x: Any, y: Any, ctx: Context) -> str:
    """How many examples ``x`` holds, for a message: "96 examples"."""
    content = _content(x[0], x[1]) if isinstance(x, (tuple, list)) and len(x) >= 2 else _content(x, y)
    return f"{len(content[1])} examples" if content else "data that is not one of the notebook's splits"


# --------------------------------------------------------------------------------------------- fits
def judge_fit(history: Any, name: str, ctx: Context, model_name: str, fit_how: str,
              train_names: tuple[str, ...] = ()) -> tuple[str | None, FitRecord | None]:
    """(problem, record): ``history`` must come from ``<model_name>.fit`` on the training split, validated on
    the validation split. ``fit_how`` is the call to suggest in messages."""
    import keras

    if history is None:
        return f"`{name}` is None: assign what fit(...) returns (a History).", None
    record = recording.fit_of(history)
    if record is None:
        if isinstance(history, keras.callbacks.History):
            return (f"`{name}` is not what a fit in this notebook returned (since its exercise started): assign "
                    f"`{name} = {fit_how}` and run that cell again."), None
        return f"`{name}` should be what fit(...) returns (a History), but it is {a_type(history)}.", None
    epochs = history.epoch
    model, expected = record.model(), ctx.get(model_name)
    if expected is not None and model is not expected:
        return (f"`{name}` comes from {ctx.name_of(model)}.fit, but this step trains `{model_name}`: "
                f"`{name} = {fit_how}`."), record
    if not epochs:
        return (f"`{name}` recorded no epoch: nothing was trained. epochs= is the epoch to stop at (counting "
                f"from 0), not how many more to run; this fit had initial_epoch={record.initial_epoch} and "
                f"epochs={record.epochs}."), record
    used = splits_of(record.x, record.y, ctx, train_names)
    if "train" not in used and used:
        where = " and ".join(WORDS[s] for s in sorted(used))
        return (f"this fit trained on {where}: models learn from the training split only "
                f"(`{fit_how}`), or the accuracy you report says nothing about new images."), record
    if not used:
        return (f"this fit trained on {describe(record.x, record.y, ctx)}, not on all the training images: "
                f"`{fit_how}`."), record
    if record.validation_data is None:
        return ("pass validation_data= (the validation split) to fit, so that you can see whether the model "
                "over-fits."), record
    checked = splits_of(record.validation_data, None, ctx)
    if "validation" not in checked:
        if "test" in checked:
            return ("validation_data is the test split: validation is what you watch and choose on, the test "
                    "split reports once at the end. Validate on the validation split."), record
        where = " and ".join(WORDS[s] for s in sorted(checked)) or describe(record.validation_data, None, ctx)
        return f"validation_data is {where}, not the validation split.", record
    return None, record


# --------------------------------------------------------------------------------------- accuracies
def _number(value: Any, name: str) -> tuple[str | None, float]:
    if value is None:
        return f"`{name}` is None: assign the accuracy that evaluate(...) returns.", math.nan
    if isinstance(value, (bool, np.bool_)):
        return f"`{name}` is {value}, a bool: assign the accuracy (a number between 0 and 1) evaluate returns.", math.nan
    if isinstance(value, dict):
        return f"`{name}` is a dict: take its accuracy, e.g. `{name} = results[\"accuracy\"]`.", math.nan
    if isinstance(value, (list, tuple)):
        return (f"`{name}` is a {type(value).__name__} of {len(value)} numbers: evaluate returns [loss, accuracy], "
                f"so unpack it: `test_loss, {name} = model.evaluate(...)`."), math.nan
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        return f"`{name}` should be a number (the accuracy), but it is {a_type(value)}.", math.nan
    return None, number


def _from_a_history(number: float, histories: list[Any], value: Any = None) -> str | None:
    """A sentence when ``number`` is one of the values fit logged in ``histories`` (History objects); given
    ``value``, only when it is that very object (a test score can equal a validation one: 174/200 = 522/600)."""
    for history in histories:
        logs = getattr(history, "history", None) or {}
        for key, words in (("val_accuracy", "a validation accuracy"), ("accuracy", "a training accuracy"),
                           ("loss", "a training loss"), ("val_loss", "a validation loss")):
            if any(v is value if value is not None else np.isclose(v, number, rtol=1e-6, atol=1e-7)
                   for v in logs.get(key, [])):
                return (f"this is {words} that fit recorded in its history (history.history[{key!r}]), not an "
                        "evaluation on the test split: evaluate the trained model on the test split.")
    return None


def judge_accuracy(value: Any, name: str, ctx: Context, model_name: str, evaluate_how: str,
                   after: FitRecord | None = None, judge_level: bool = True) -> str | None:
    """``value`` must be the accuracy of ``<model_name>.evaluate`` on the test split (after ``after``, a fit)."""
    problem, number = _number(value, name)
    if problem:
        return problem
    expected = ctx.get(model_name)
    matches = recording.evaluations_giving(number) if math.isfinite(number) else []
    accuracies = [r for r, m in matches if "acc" in m]

    def of_model(record: Any) -> bool:
        return expected is None or record.model() is expected

    def later(record: Any) -> bool:
        return after is None or record.order > after.order

    if not any(of_model(r) and later(r) and "test" in splits_of(r.x, r.y, ctx) for r in accuracies):
        own = [r for r in accuracies if of_model(r)]  # newest first
        if not any(later(r) for r in own) and any("test" in splits_of(r.x, r.y, ctx) for r in own):
            # only a test evaluation before the last fit gave it (one after the fit on another split would
            # have given the number just as well: the loop below names that split)
            since = [r for r in reversed(recording.EVALUATIONS) if of_model(r) and later(r)]
            if since and "test" not in splits_of(since[0].x, since[0].y, ctx):
                used = splits_of(since[0].x, since[0].y, ctx)
                where = " and ".join(WORDS[s] for s in sorted(used)) or describe(since[0].x, since[0].y, ctx)
                return (f"your last evaluation of `{model_name}` was on {where} (its number only happens to equal "
                        f"an earlier test score): report the accuracy on the test split, `{evaluate_how}`.")
            return _from_a_history(number, [after.history] if after is not None else [], value) or (
                f"`{name}` was measured before the training you just did: evaluate `{model_name}` again, "
                f"`test_loss, {name} = {evaluate_how}`.")
        for record in own:
            used = splits_of(record.x, record.y, ctx)
            where = " and ".join(WORDS[s] for s in sorted(used)) or describe(record.x, record.y, ctx)
            return (f"`{name}` was measured on {where}: report the accuracy on the test split, "
                    f"`{evaluate_how}`.")
        mentioned = _from_a_history(number, [v for v in ctx.namespace.values() if type(v).__name__ == "History"])
        if mentioned:
            return mentioned
        if accuracies:
            return (f"`{name}` is the accuracy of {ctx.name_of(accuracies[0].model())}, not of `{model_name}`: "
                    f"`test_loss, {name} = {evaluate_how}`.")
        if matches:
            return (f"`{name}` is the {matches[0][1]} that evaluate returned, not the accuracy: evaluate "
                    f"gives [loss, accuracy] in that order, so `test_loss, {name} = {evaluate_how}`.")
        if math.isnan(number) or not 0.0 <= number <= 1.0:
            return (f"`{name}` is {number:g}, not an accuracy between 0 and 1 (a percentage?): take the "
                    "accuracy evaluate returns, as it returns it.")
        return _from_a_history(number, [r.history for r in reversed(recording.FITS)]) or (
            f"`{name}` = {number:.4g} is not an accuracy any evaluate call in this notebook returned: "
            f"`test_loss, {name} = {evaluate_how}` (keep the number as evaluate returns it).")
    k = ctx.num_classes
    if judge_level and not ctx.smoke and ctx.profile.name in LEVEL_PROFILES and number < 1.0 / k + 0.1:
        return (f"{number:.0%} is barely better than guessing ({1 / k:.0%} with {k} classes): check the "
                "preprocessing, the frozen base and the loss.")
    return None
