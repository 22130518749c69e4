"""Plots for the lessons: learning curves, image grids, errors, comparisons, projections.

Every ``plot_*`` / ``show_*`` function draws with matplotlib's object API and **returns** the
:class:`~matplotlib.figure.Figure`; nothing here calls ``plt.show()``. In a notebook the figure appears once at
the end of the cell. Write ``plot_history(h);`` (semicolon) or ``fig = plot_history(h)``: a bare call as the
last line also shows the returned value, so the figure would appear twice.

Offline results say what they ran on: offline every title ends in the note of
:func:`helpers.config.standin_note` by itself ("offline: real photos, ..." for the MobileNetV2 lessons).
``note="..."`` puts another note there (``standin_note(base="vgg16")``, "stand-in data", for exercises 07-09),
``note=""`` none. The numbers behind the figures come from :mod:`helpers.metrics`.
Colours are the Okabe-Ito palette (colour-blind safe) and every distinction is also made by marker, line style
or text.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.config import standin_note
from helpers.metrics import confusion_matrix, named_runs, predicted_labels, prediction_confidence, to_class_indices

COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
"""Okabe-Ito palette: distinguishable with the common colour-vision deficiencies."""
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", "-.", ":"]
RIGHT, WRONG = "#0072B2", "#D55E00"  # blue / vermillion, always paired with ✓ / ✗
FIGURE_WIDTH = 10.0
"""Inches every figure is wide (1,000 px inline at matplotlib's 100 dpi): the width of a notebook's output area
in JupyterLab or Colab on a laptop screen, so a figure uses the width it is shown in."""
MAX_CELL = FIGURE_WIDTH / 2
"""The widest an image of a grid gets, when there are fewer images than columns (one mistake: half the width)."""


def _finish(fig: Figure, title: str | None, note: str | None, ax: Any = None) -> Figure:
    """Title ``ax`` (or the whole figure) with ``title`` and the ``note`` in brackets; tighten; return ``fig``.

    ``note`` None means the label of the active profile's data (:func:`helpers.config.standin_note`).
    """
    note = standin_note() if note is None else note
    text = (f"{title} ({note})" if title else f"({note})") if note else title
    if text is not None and ax is not None:
        ax.set_title(text)
    elif text is not None:
        fig.suptitle(text)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig


def _grid(n: int, ncols: int, title_lines: int = 1) -> tuple[Figure, list[Any]]:
    """A figure with exactly ``n`` image axes (no empty cells left over), ticks off, :data:`FIGURE_WIDTH` wide.

    Each row leaves room for titles of ``title_lines`` lines, so a title never covers the image above it
    (constrained layout keeps the images square and the titles outside them). Fewer images than columns get
    wider cells, up to :data:`MAX_CELL`.
    """
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    size = min(FIGURE_WIDTH / ncols, MAX_CELL)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.22 * title_lines) * nrows + 0.6),
                             squeeze=False, layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[n:]:
        fig.delaxes(ax)
    for ax in flat[:n]:
        ax.axis("off")
    return fig, flat[:n]


def _draw_image(ax: Any, image: np.ndarray, text: str, color: str = "black") -> None:
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    ax.set_title(text, color=color, fontsize="small")


def to_uint8(images: Any) -> np.ndarray:
    """A uint8 copy of ``images`` for display, whether they are uint8, float [0, 1], [0, 255] or [-1, 1].

    The range is decided for the whole array at once, so a dark image keeps its brightness.
    Grayscale ``(..., H, W, 1)`` becomes ``(..., H, W)``.
    """
    arr = np.asarray(images)
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float32)
        if arr.size and arr.min() < 0:
            arr = (arr + 1.0) / 2.0  # MobileNet-style [-1, 1]
        if arr.size and arr.max() <= 1.0:
            arr = arr * 255.0
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    if arr.ndim >= 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return arr






def plot_history(*histories: Any, fine_tune_at: int | None = None,
                 metrics: Sequence[str] = ("loss", "accuracy"), note: str | None = None,
                 title: str | None = "Learning curves") -> Figure:
    """A figure with one panel per metric: training and validation curves across all phases.

    ``histories`` are keras ``History`` objects (what ``fit`` returns) or dicts of lists, one per phase; they
    are joined end to end. The x axis counts epochs completed; a dotted line labelled "fine-tuning starts" is
    drawn at ``fine_tune_at`` (default: the length of the first history when there are two or more).

    >>> fig = plot_history(history_head, history_fine)
    """
    logs = [dict(getattr(h, "history", h)) for h in histories]
    if not logs:
        raise ValueError("plot_history needs at least one History or dict")
    lengths = [max((len(v) for v in log.values()), default=0) for log in logs]
    if fine_tune_at is None and len(logs) >= 2:
        fine_tune_at = lengths[0]

    def joined(key: str) -> np.ndarray:
        parts = [np.asarray(log.get(key, [np.nan] * n), dtype=float) for log, n in zip(logs, lengths)]
        return np.concatenate(parts)

    for metric in metrics:
        if not any(metric in log for log in logs):
            known = sorted({k for log in logs for k in log})
            raise KeyError(f"no {metric!r} in the history; it has {known}. Pass metrics=(...) with those.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(FIGURE_WIDTH, 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        train = joined(metric)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, color=COLORS[0], marker="o", linestyle="-", label=f"training {metric}")
        if any(f"val_{metric}" in log for log in logs):
            ax.plot(epochs, joined(f"val_{metric}"), color=COLORS[1], marker="s", linestyle="--",
                    label=f"validation {metric}")
        if fine_tune_at is not None:
            ax.axvline(fine_tune_at, color="0.35", linestyle=":", linewidth=2, label="fine-tuning starts")
        ax.set_xlabel("epochs completed")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers: no tick at 2.5
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return _finish(fig, title, note)


def _label_title(true: int, pred: int | None, class_names: Sequence[str],
                 confidence: float | None = None) -> tuple[str, str]:
    """(title text, colour): ✓/✗ in the text, the colour only repeats it."""
    if pred is None:
        return str(class_names[true]), "black"
    ok = pred == true
    conf = f" ({confidence:.0%})" if confidence is not None else ""
    text = f"true: {class_names[true]}\npred: {class_names[pred]}{conf} {'✓' if ok else '✗'}"
    return text, RIGHT if ok else WRONG


def show_images(images: Any, labels: Any, class_names: Sequence[str], predictions: Any = None,
                ncols: int = 4, n: int = 16, note: str | None = None, title: str | None = None) -> Figure:
    """A grid of the first ``n`` images titled with the true label, and the prediction marked ✓ / ✗.

    ``images`` may be uint8 or float in [0, 1] / [0, 255]; ``predictions`` are class indices (see
    :func:`predicted_labels`) or ``(n, k)`` scores.

    >>> fig = show_images(x, y, class_names, predictions=predicted_labels(model.predict(x)))
    """
    shown = to_uint8(images)[:n]
    true = to_class_indices(labels)[:n]
    pred = None if predictions is None else to_class_indices(predictions)[:n]
    fig, axes = _grid(len(shown), ncols, title_lines=1 if pred is None else 2)
    for i, ax in enumerate(axes):
        _draw_image(ax, shown[i], *_label_title(int(true[i]), None if pred is None else int(pred[i]), class_names))
    return _finish(fig, title, note)


def plot_augmentation(image: Any, augment: Callable[[Any], Any], n: int = 8, ncols: int = 6,
                      note: str | None = None, title: str | None = "Data augmentation") -> Figure:
    """A grid of the original ``image`` and ``n`` augmented versions of it.

    ``augment`` is called on a batch of one image, ``(1, H, W, C)``: a function, or a Keras layer such as
    ``augmentation_layers()`` (called with ``training=True`` so its random layers act).

    >>> fig = plot_augmentation(x[0], data_augmentation, n=8)
    """
    batch = np.asarray(image)[None]
    is_layer = any(c.__module__.split(".")[0] in ("keras", "tf_keras") for c in type(augment).__mro__)
    kwargs = {"training": True} if is_layer else {}  # random layers are identity in inference mode
    versions = [batch[0].astype(np.float32)]
    versions += [np.asarray(augment(batch, **kwargs))[0].astype(np.float32) for _ in range(n)]
    shown = to_uint8(np.stack(versions))
    fig, axes = _grid(n + 1, ncols)
    for i, ax in enumerate(axes):
        _draw_image(ax, shown[i], "original" if i == 0 else f"augmented #{i}")
    return _finish(fig, title, note)




def plot_confusion_matrix(y_true: Any, y_pred: Any, class_names: Sequence[str], note: str | None = None,
                          title: str | None = "Confusion matrix") -> Figure:
    """A figure of the confusion matrix twice: the count in every cell, and each row as a share of its true class.

    Rows are true classes; the right panel's diagonal is each class's recall.
    """
    counts = confusion_matrix(y_true, y_pred, len(class_names))
    k = len(class_names)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    fig, axes = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 0.5 * FIGURE_WIDTH), layout="constrained")
    panels = [(counts, "count", lambda c: str(c), counts.max() / 2 if counts.size else 0),
              (shares, "share of the true class", lambda c: f"{c:.0%}", 0.5)]
    for ax, (values, name, text, high) in zip(axes, panels):
        ax.imshow(values, cmap="cividis", vmin=0)
        for (i, j), c in np.ndenumerate(values):
            ax.text(j, i, text(c), ha="center", va="center", color="black" if c > high else "white")
        ax.set_xticks(range(k), class_names, rotation=45 if k > 3 else 0, ha="right" if k > 3 else "center")
        ax.set_yticks(range(k), class_names)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(name)
    return _finish(fig, title, note)




def show_worst_mistakes(images: Any, y_true: Any, logits: Any, class_names: Sequence[str], n: int = 8,
                        from_logits: bool = True, ncols: int = 4, note: str | None = None,
                        title: str | None = "Most confident mistakes") -> Figure:
    """A gallery of the ``n`` wrong predictions the model was most sure of, confidence in each title."""
    true = to_class_indices(y_true)
    pred = predicted_labels(logits, from_logits)
    confidence = prediction_confidence(logits, from_logits)
    wrong = np.flatnonzero(pred != true)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:n]
    if worst.size == 0:
        fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "No mistakes in these examples ✓", ha="center", va="center")
    else:
        shown = to_uint8(images)
        fig, axes = _grid(worst.size, ncols, title_lines=2)
        for ax, i in zip(axes, worst):
            _draw_image(ax, shown[i], *_label_title(int(true[i]), int(pred[i]), class_names, float(confidence[i])))
    return _finish(fig, title, note)




def plot_comparison(results: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
                    metric: str = "test_accuracy", note: str | None = None, title: str | None = None) -> Figure:
    """A bar chart of ``metric`` for each run, the value written on each bar.

    >>> fig = plot_comparison({"feature extraction": {"test_accuracy": 0.91},
    ...                        "fine-tuning": {"test_accuracy": 0.95}})
    """
    runs = named_runs(results)
    missing = [name for name, m in runs.items() if metric not in m]
    if missing:
        raise KeyError(f"runs {missing} have no {metric!r}")
    names = list(runs)
    values = [float(runs[name][metric]) for name in names]
    as_percent = "acc" in metric and all(0 <= v <= 1 for v in values)
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 3.8))
    bars = ax.bar(range(len(names)), values, color=COLORS[0], edgecolor="black")
    ax.bar_label(bars, labels=[f"{v:.1%}" if as_percent else f"{v:.3g}" for v in values], padding=2)
    ax.set_xticks(range(len(names)), names, rotation=20 if len(names) > 3 else 0, ha="center")
    ax.set_ylabel(metric)
    if as_percent:
        ax.set_ylim(0, 1.08)
    ax.margins(y=0.12)
    return _finish(fig, title or metric.replace("_", " "), note, ax)




def plot_data_efficiency(curves: Mapping[str, Mapping[float, float]], note: str | None = None,
                         title: str | None = "Accuracy vs training-set size",
                         ylabel: str = "test accuracy") -> Figure:
    """A figure of ``ylabel`` against training-set size (fraction ≤ 1 or example count), one line per run.

    >>> fig = plot_data_efficiency({"from scratch": {0.1: 0.61, 1.0: 0.80},
    ...                             "transfer":     {0.1: 0.88, 1.0: 0.95}})
    """
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 4.5))
    sizes = [float(s) for curve in curves.values() for s in curve]
    fractions = bool(sizes) and max(sizes) <= 1.0
    for i, (name, curve) in enumerate(curves.items()):
        xs = sorted(curve)
        ax.plot(xs, [curve[x] for x in xs], label=name, color=COLORS[i % len(COLORS)],
                marker=MARKERS[i % len(MARKERS)], linestyle=LINESTYLES[i % len(LINESTYLES)])
    if sizes and min(sizes) > 0 and max(sizes) / min(sizes) >= 20:
        ax.set_xscale("log")
    ax.set_xlabel("fraction of the training set" if fractions else "training examples")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig, title, note, ax)


def _pca_2d(features: Any) -> tuple[np.ndarray, np.ndarray]:
    """(points ``(n, 2)``, share of variance per axis) by SVD; signs fixed so reruns agree."""
    x = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    vt = vt[:2]
    vt = vt * np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])[:, None]
    points = x @ vt.T
    var = s**2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(min(2, len(var)))
    if points.shape[1] < 2:  # a single feature: the second axis is flat
        points = np.column_stack([points, np.zeros(len(points))])
        share = np.append(share, 0.0)
    return points, share


def plot_projection(features: Any, labels: Any, class_names: Sequence[str], note: str | None = None,
                    title: str | None = "Feature vectors, 2-D PCA projection") -> Figure:
    """A scatter plot of ``features`` projected on their two principal components, one colour AND marker per class.

    >>> fig = plot_projection(base_model.predict(x), y, class_names)
    """
    points, share = _pca_2d(features)
    labels = to_class_indices(labels)
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 5))
    for c, name in enumerate(class_names):
        mine = points[labels == c]
        ax.scatter(mine[:, 0], mine[:, 1], s=22, alpha=0.8, label=name, color=COLORS[c % len(COLORS)],
                   marker=MARKERS[c % len(MARKERS)], edgecolors="none")
    ax.set_xlabel(f"PC1 ({share[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({share[1]:.0%} of variance)")
    ax.legend(title="class", fontsize="small")
    return _finish(fig, title, note, ax)


def upsample_heatmap(heatmap: Any, size: tuple[int, int]) -> np.ndarray:
    """``heatmap`` (h, w) scaled to [0, 1] and resized bilinearly to ``size`` (rows, columns), for an overlay."""
    from PIL import Image

    heat = np.asarray(heatmap, dtype=np.float32)
    heat = (heat - heat.min()) / (heat.max() - heat.min()) if heat.max() > heat.min() else np.zeros_like(heat)
    resized = Image.fromarray(heat).resize((size[1], size[0]), Image.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def show_grad_cam(images: Any, heatmaps: Any, y_true: Any, predictions: Any, class_names: Sequence[str],
                  ncols: int = 4, alpha: float = 0.45, note: str | None = None,
                  title: str | None = "Grad-CAM: where the prediction came from") -> Figure:
    """A grid of images with their Grad-CAM heatmaps laid over them (bright = pushed the prediction most),
    titled with the true and predicted class (✓ / ✗).

    ``heatmaps`` are one small map per image (the last convolutional block's grid); ``predictions`` are class
    indices or scores.
    """
    shown = to_uint8(images)
    true, pred = to_class_indices(y_true), to_class_indices(predictions)
    fig, axes = _grid(len(shown), ncols, title_lines=2)
    for i, ax in enumerate(axes):
        _draw_image(ax, shown[i], *_label_title(int(true[i]), int(pred[i]), class_names))
        ax.imshow(upsample_heatmap(heatmaps[i], shown[i].shape[:2]), cmap="inferno", alpha=alpha, vmin=0, vmax=1)
    return _finish(fig, title, note)


def plot_learning_rate_sweep(rates: Any, losses: Any, marks: Mapping[str, float] | None = None,
                             note: str | None = None, title: str | None = "Learning-rate sweep") -> Figure:
    """Loss against learning rate (log scale) from one sweep, with a dashed vertical line per named rate in
    ``marks`` (``{"suggested": 3e-3, "course default": 1e-3}``)."""
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 3.8))
    ax.plot(rates, losses, color=COLORS[0], marker=".", label="loss (smoothed)")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    for i, (name, rate) in enumerate((marks or {}).items()):
        ax.axvline(rate, color=COLORS[1 + i], linestyle=LINESTYLES[1 + i % 3], label=f"{name}: {rate:.1e}")
    ax.legend(fontsize="small")
    return _finish(fig, title, note, ax)
