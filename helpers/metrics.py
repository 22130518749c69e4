"""Metrics for the lessons: predicted classes and their confidence, confusion counts, per-class and per-run tables.

Plain NumPy on a model's outputs; nothing here draws (the figures of these numbers are in :mod:`helpers.plots`)::

    test_predictions = predicted_labels(model.predict(test_batches))
    print(per_class_report(test_labels, test_predictions, splits.class_names))
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def to_class_indices(labels: Any) -> np.ndarray:
    """Class indices (int64, shape ``(n,)``) from indices, one-hot rows or ``(n, k)`` scores."""
    arr = np.asarray(labels)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return arr.argmax(axis=1)
    arr = arr.reshape(-1)
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise ValueError("got fractional class labels: pass predicted_labels(logits) instead of raw scores")
    return arr.astype(np.int64)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _scores(logits: Any) -> np.ndarray:
    arr = np.asarray(logits, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return np.atleast_1d(arr)


def predicted_labels(logits: Any, from_logits: bool = True) -> np.ndarray:
    """Predicted class indices (int64, shape ``(n,)``) from a model's outputs.

    Binary outputs (shape ``(n,)`` or ``(n, 1)``) are thresholded at 0 for logits, or at 0.5 for sigmoid
    probabilities (``from_logits=False``); multi-class outputs ``(n, k)`` take the argmax.

    >>> predicted_labels([[-1.2], [0.3]])
    array([0, 1])
    >>> predicted_labels([0.2, 0.7], from_logits=False)
    array([0, 1])
    """
    arr = _scores(logits)
    if arr.ndim == 2:
        return arr.argmax(axis=1).astype(np.int64)
    return (arr > (0.0 if from_logits else 0.5)).astype(np.int64)


def prediction_confidence(logits: Any, from_logits: bool = True) -> np.ndarray:
    """The probability the model gives its own predicted class, shape ``(n,)``."""
    arr = _scores(logits)
    if arr.ndim == 2:
        probs = _softmax(arr) if from_logits else arr
        return probs.max(axis=1)
    p = _sigmoid(arr) if from_logits else arr
    return np.maximum(p, 1.0 - p)

def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """Counts ``(num_classes, num_classes)``: row = true class, column = predicted class."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (to_class_indices(y_true), to_class_indices(y_pred)), 1)
    return counts

def per_class_metrics(y_true: Any, y_pred: Any, class_names: Sequence[str]) -> list[dict[str, Any]]:
    """One dict per class: ``class``, ``precision``, ``recall``, ``count`` (true examples); nan when undefined."""
    counts = confusion_matrix(y_true, y_pred, len(class_names))
    right, predicted, actual = np.diag(counts), counts.sum(axis=0), counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision, recall = right / predicted, right / actual
    return [{"class": name, "precision": float(precision[i]), "recall": float(recall[i]),
             "count": int(actual[i])} for i, name in enumerate(class_names)]


def _fmt(value: Any, digits: int = 3, column: str = "") -> str:
    """One table cell: thousands separators for counts, seconds to 0.1 s, other numbers to ``digits``."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "—"
        return f"{value:,.1f}" if "second" in column else f"{value:.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(r, widths)))
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def per_class_report(y_true: Any, y_pred: Any, class_names: Sequence[str]) -> str:
    """A text table of precision, recall and count per class ("—" where a class was never predicted)."""
    rows = [[m["class"], _fmt(m["precision"]), _fmt(m["recall"]), str(m["count"])]
            for m in per_class_metrics(y_true, y_pred, class_names)]
    return _table(["class", "precision", "recall", "count"], rows)

def named_runs(results: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{run name: metrics}`` from a dict of runs or a list of dicts with a ``name`` (or ``run``) key."""
    if isinstance(results, Mapping):
        return {str(k): dict(v) for k, v in results.items()}
    runs = {}
    for i, row in enumerate(results):
        row = dict(row)
        name = row.pop("name", row.pop("run", f"run {i + 1}"))
        runs[str(name)] = row
    return runs

def comparison_table(results: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
                     digits: int = 4) -> str:
    """A text table: one row per run, one column per metric any run reported ("—" when missing)."""
    runs = named_runs(results)
    columns = list(dict.fromkeys(k for m in runs.values() for k in m))
    rows = [[name, *[_fmt(m.get(c, float("nan")), digits, c) for c in columns]] for name, m in runs.items()]
    return _table(["run", *columns], rows)


EXPORT_RELATIVE_TOLERANCE = {"float32": 2e-5, "float16": 5e-3, "bfloat16": 1.5e-1}
"""Per unit of the outputs' size, by compute dtype: :func:`export_tolerance` says where each value comes from."""


def export_tolerance(outputs: Any, compute_dtype: str | None = None) -> float:
    """The ``atol`` at which an exported or reloaded model must reproduce the in-memory model's ``outputs``.

    Both run the same weights on the same pixels, but in other graphs and batch sizes, so sums are rounded in
    another order; that difference grows with the outputs' size and the maths' precision. The rule is
    ``EXPORT_RELATIVE_TOLERANCE[dtype] * max(1, largest |output|)``, ``dtype`` being ``compute_dtype`` or the
    active Keras policy's (``mixed_float16``, the course's GPU policy, computes in float16). Each value is 10-15x
    the largest difference measured (2026-12-03, 2 CPU cores, TF 2.21: ImageNet MobileNetV2 alpha 0.35 at
    96 px with a Dense head, 16 real flower photos, the exported raw-image model fed one photo at a time
    against ``model.predict`` on batches of 8): 1.3e-6 per unit in float32, 4.7e-4 in float16, 1.6e-2 in
    bfloat16. For logits of about 5 that gives 1e-4 in float32 and 2.5e-2 in float16; a wrong resize or
    preprocessing moves logits by tenths, and still fails. Not measured on a GPU.

    >>> np.testing.assert_allclose(served(photos), expected, atol=export_tolerance(expected))
    """
    if compute_dtype is None:
        import keras

        compute_dtype = keras.mixed_precision.global_policy().compute_dtype
    relative = EXPORT_RELATIVE_TOLERANCE.get(str(compute_dtype), EXPORT_RELATIVE_TOLERANCE["float32"])
    return relative * max(1.0, float(np.max(np.abs(np.asarray(outputs, dtype=np.float64)))))
