"""What the exercises' ``fit`` and ``evaluate`` calls did, so that the checks grade by effect.

``questions("07")`` calls :func:`install`: from then on, in that kernel, every ``keras.Model.fit`` and
``keras.Model.evaluate`` is recorded on its way through (the call itself is unchanged). A :class:`FitRecord`
says which model was fit, on which data, from which epoch, at which learning rate, which weights the train
step updated and which ones actually moved; an :class:`EvaluateRecord` says which model was evaluated, on
which data, and what it returned. A check can then tell "evaluated on the training split" or "block5 never
moved" from a number or a ``History`` alone.

Only the last few calls are kept (the data they were given included, so that the check can tell which split
it was).
"""
from __future__ import annotations

import functools
import inspect
import itertools
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers.errors import CourseValueError

KEEP = 48
"""How many fit and evaluate calls are remembered (each keeps a reference to the data it was given)."""

_order = itertools.count(1)
_depth = [0]  # > 0 while a fit runs: its validation passes are part of the fit, not evaluations of their own
FITS: deque[FitRecord] = deque(maxlen=KEEP)
EVALUATIONS: deque[EvaluateRecord] = deque(maxlen=KEEP)
_TRAIN_STEP: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""model -> ids of the variables its traced train step updates (captured when fit traces it)."""


def digest(arrays: Any) -> list[tuple[float, float]]:
    """One (sum, sum of squares) pair per array or variable: equal digests mean equal values, in practice."""
    out = []
    for array in arrays:
        values = np.asarray(array.numpy() if hasattr(array, "numpy") else array, dtype=np.float64)
        out.append((float(values.sum()), float(np.square(values).sum())))
    return out


def _learning_rate(model: Any) -> float | None:
    try:
        return float(np.asarray(model.optimizer.learning_rate))
    except Exception:  # noqa: BLE001 -- not compiled, or a schedule
        return None


@dataclass
class FitRecord:
    """One ``model.fit`` call: what it was given and what it changed."""

    order: int
    model: weakref.ref
    x: Any
    y: Any
    validation_data: Any
    initial_epoch: int
    epochs: int
    learning_rate: float | None
    trainable: frozenset[int]
    """ids of ``model.trainable_weights`` when fit started."""
    updated: frozenset[int]
    """ids of the variables the train step updates: those trainable when it was traced (first fit after compile)."""
    start: list[tuple[float, float]]
    """:func:`digest` of ``model.weights`` when fit started."""
    variables: list[int]
    """ids of ``model.weights``, in order."""
    moved: frozenset[int] = frozenset()
    history: Any = None

    def starts_from(self, weights: Any) -> bool:
        """True when the fit started from ``weights`` (a ``model.get_weights()`` list)."""
        try:
            return len(weights) == len(self.start) and digest(weights) == self.start
        except Exception:  # noqa: BLE001 -- not a list of arrays
            return False


@dataclass
class EvaluateRecord:
    """One ``model.evaluate`` call (not the validation passes inside ``fit``)."""

    order: int
    model: weakref.ref
    x: Any
    y: Any
    values: dict[str, float] = field(default_factory=dict)
    """metric name -> what the evaluation measured (``loss``, ``accuracy``, ...)."""


@functools.cache
def _keras_signature(kind: str) -> inspect.Signature:
    """The signature of Keras's own ``fit``/``evaluate`` (other wrappers, e.g. the test harness's, hide it)."""
    import keras

    for cls in keras.Model.__mro__:
        function = cls.__dict__.get(kind)
        if function is not None and getattr(function, "__module__", "").startswith("keras"):
            return inspect.signature(function)
    raise LookupError(kind)


def _bind(kind: str, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        return dict(_keras_signature(kind).bind_partial(*args, **kwargs).arguments)
    except (TypeError, LookupError):  # let Keras raise its own error for bad arguments
        return dict(kwargs)


def _start_fit(model: Any, arguments: dict[str, Any]) -> FitRecord:
    trainable = frozenset(id(v) for v in model.trainable_weights)
    if getattr(model, "train_function", None) is None or model not in _TRAIN_STEP:
        _TRAIN_STEP[model] = trainable  # fit traces a new train step with the variables trainable now
    weights = list(model.weights)
    return FitRecord(
        order=next(_order), model=weakref.ref(model), x=arguments.get("x"), y=arguments.get("y"),
        validation_data=arguments.get("validation_data"), initial_epoch=int(arguments.get("initial_epoch") or 0),
        epochs=int(arguments.get("epochs", 1) or 0), learning_rate=_learning_rate(model), trainable=trainable,
        updated=_TRAIN_STEP[model], start=digest(weights), variables=[id(v) for v in weights])


def _finish_fit(record: FitRecord, model: Any, history: Any) -> None:
    after = digest(model.weights)
    record.moved = frozenset(i for i, a, b in zip(record.variables, record.start, after) if a != b)
    record.history = history
    FITS.append(record)


def _metric_values(model: Any, returned: Any) -> dict[str, float]:
    values: dict[str, float] = {}
    try:
        values = {k: float(np.asarray(v)) for k, v in model.get_metrics_result().items()}
    except Exception:  # noqa: BLE001 -- fall back on what evaluate returned
        pass
    if isinstance(returned, dict):
        values.update({k: float(v) for k, v in returned.items()})
    return values


class ExerciseMistake(CourseValueError):
    """A fit or evaluate got data the model cannot take; the message says so in the course's words (and a notebook
    shows it without a traceback, like every :class:`helpers.errors.CourseError`)."""


def _example_shape(data: Any) -> tuple | None:
    spec = getattr(data, "element_spec", None)
    if isinstance(spec, (tuple, list)) and spec:
        return tuple(spec[0].shape)[1:]
    if isinstance(data, (tuple, list)) and data:  # validation_data=(x, y)
        return _example_shape(data[0])
    shape = getattr(data, "shape", None)
    return tuple(shape)[1:] if shape is not None else None


def _wrong_input(model: Any, arguments: dict[str, Any], error: Exception) -> str | None:
    """A sentence when ``error`` comes from data whose examples do not have the shape ``model`` takes."""
    try:
        wanted = tuple(model.input_shape)[1:]
    except Exception:  # noqa: BLE001 -- not built: nothing to compare with
        return None
    for argument in ("x", "validation_data"):
        given = _example_shape(arguments.get(argument))
        if given is None or len(given) != len(wanted) or all(
                w is None or w == g for w, g in zip(wanted, given)):
            continue
        what = "images" if len(given) == 3 and given[-1] == 3 else "examples"
        advice = (" A head trained on cached features takes feature maps: give it features_dataset(...) of the "
                  "extracted features, not an image pipeline." if what == "images" else "")
        detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        return (f"{model.name} takes inputs of shape {wanted}, but {argument}= gives {what} of shape {given}."
                f"{advice} (Keras said: {detail})")
    return None


def _recorded(original: Any, kind: str) -> Any:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # IPython leaves this frame out of tracebacks  # noqa: F841
        if kind == "evaluate" and _depth[0]:
            return original(self, *args, **kwargs)
        arguments = _bind(kind, (self, *args), kwargs)
        record = _start_fit(self, arguments) if kind == "fit" else None
        _depth[0] += kind == "fit"
        try:
            returned = original(self, *args, **kwargs)
        except Exception as error:
            mistake = _wrong_input(self, arguments, error)
            if mistake is None:
                raise
            raise ExerciseMistake(mistake) from None
        finally:
            _depth[0] -= kind == "fit"
        if record is not None:
            _finish_fit(record, self, returned)
        else:
            EVALUATIONS.append(EvaluateRecord(next(_order), weakref.ref(self), arguments.get("x"),
                                              arguments.get("y"), _metric_values(self, returned)))
        return returned

    wrapper._course_original = original  # type: ignore[attr-defined]
    return wrapper


def install() -> None:
    """Record every ``keras.Model.fit`` / ``evaluate`` from now on (idempotent, also after a module reload)."""
    import keras

    for kind in ("fit", "evaluate"):
        current = getattr(keras.Model, kind)
        original = getattr(current, "_course_original", current)
        setattr(keras.Model, kind, _recorded(original, kind))


def fit_of(history: Any) -> FitRecord | None:
    """The record of the ``fit`` call that returned ``history``, if it is still remembered."""
    return next((r for r in reversed(FITS) if r.history is history), None)


def fits_of(model: Any) -> list[FitRecord]:
    """The remembered fits of ``model``, oldest first."""
    return [r for r in FITS if r.model() is model]


def evaluations_giving(value: float) -> list[tuple[EvaluateRecord, str]]:
    """``(record, metric name)`` of the remembered evaluations that measured ``value``, newest first."""
    found = []
    for record in reversed(EVALUATIONS):
        for name, measured in record.values.items():
            if np.isclose(measured, value, rtol=1e-6, atol=1e-7):
                found.append((record, name))
    return found


def train_step_variables(model: Any) -> frozenset[int] | None:
    """ids of the variables ``model``'s traced train step updates; None when the next fit traces a new one."""
    if getattr(model, "train_function", None) is None:
        return None
    return _TRAIN_STEP.get(model)
