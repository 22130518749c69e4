"""Interactive widgets for the lessons (core ipywidgets only: JupyterLab and Colab).

Each widget also works without a widget frontend. In a *headless* run it shows a static fallback once
and still returns the widget object, so a notebook executes top to bottom everywhere. Headless means
``COURSE_HEADLESS=1``, or the test harness (``COURSE_HARNESS`` set), or no IPython kernel (plain Python);
``COURSE_HEADLESS=0`` forces the interactive mode. A kernel run by a bare ``nbconvert`` looks live (a widget
cannot tell), so set ``COURSE_HEADLESS=1`` there. The logic behind each widget is a plain function you can
call yourself (:func:`preview_unfreeze_top`, :func:`classify_upload`). Every widget works with ipywidgets 7
(Colab's) and 8 (JupyterLab's).
"""
from __future__ import annotations

import html
import io
import os
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from IPython.display import display
from matplotlib.figure import Figure
from PIL import Image

from helpers import config
from helpers.errors import CourseTypeError
from helpers.images import _size_problem as size_problem
from helpers.images import decode_image
from helpers.models import count_params
from helpers.metrics import to_class_indices
from helpers.plots import RIGHT, WRONG, plot_history, show_images, to_uint8


def running_headless() -> bool:
    """True when no live widget frontend can be assumed (see the module docstring for the rules)."""
    flag = os.environ.get("COURSE_HEADLESS", "").strip().lower()
    if flag:
        return flag not in ("0", "false", "no")
    if os.environ.get("COURSE_HARNESS"):
        return True
    shell = get_ipython()
    return shell is None or not hasattr(shell, "kernel")


def _show_static(fig: Figure) -> None:
    """Display ``fig`` once and release it, so the end of the cell does not show it again."""
    display(fig)
    plt.close(fig)


def _png(image: np.ndarray, min_side: int = 192) -> bytes:
    """PNG bytes of one uint8 image, enlarged (pixels kept sharp) when it is smaller than ``min_side``."""
    pil = Image.fromarray(image)
    scale = max(1, -(-min_side // max(1, min(pil.size))))
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    return buffer.getvalue()


# --- image_browser ---------------------------------------------------------------------------------------

def image_browser(images: Any, labels: Any, class_names: Sequence[str],
                  predictions: Any = None) -> widgets.VBox:
    """A widget to step through ``images`` with a slider; each shows its true label and the prediction ✓ / ✗.

    ``predictions`` are class indices (see :func:`helpers.metrics.predicted_labels`). Headless: a static grid of
    the first 8 images instead.

    >>> image_browser(x, y, class_names, predictions=predicted_labels(model.predict(x)))
    """
    shown = to_uint8(images)
    if len(shown) == 0:
        raise ValueError("image_browser needs at least one image")
    true = to_class_indices(labels)
    pred = None if predictions is None else to_class_indices(predictions)
    slider = widgets.IntSlider(value=0, min=0, max=len(shown) - 1, description="Image #",
                               continuous_update=False)
    picture = widgets.Image(format="png", layout=widgets.Layout(width="256px"))
    caption = widgets.HTML()

    def update(change: Any = None) -> None:
        i = slider.value
        picture.value = _png(shown[i])
        text = f"#{i} · true: <b>{class_names[true[i]]}</b>"
        if pred is not None:
            ok = pred[i] == true[i]
            mark = "✓ right" if ok else "✗ wrong"
            text += (f" · predicted: <b>{class_names[pred[i]]}</b> "
                     f"<span style='color:{RIGHT if ok else WRONG}'>{mark}</span>")
        caption.value = text

    slider.observe(update, names="value")
    update()
    box = widgets.VBox([slider, picture, caption])
    if running_headless():
        print(f"image_browser: static preview of {min(8, len(shown))} of {len(shown)} images "
              "(the slider needs JupyterLab or Colab).")
        _show_static(show_images(shown[:8], true[:8], class_names, None if pred is None else pred[:8]))
    return box


# --- unfreeze_slider -------------------------------------------------------------------------------------

def unfreeze_top(base: keras.Model, n: int) -> None:
    """Make the top ``n`` layers of ``base`` trainable and freeze the others: notebook 06's rule.

    ``base.trainable = True``, then ``layer.trainable = False`` for every layer below the top ``n`` and for every
    BatchNormalization layer; ``n == 0`` freezes the whole base. On Keras 3 a frozen BatchNormalization layer is
    what stays in inference mode during ``fit`` (``training=False`` at build time is overridden). Recompile
    before ``fit``.

    >>> unfreeze_top(base_model, 54)   # the same as fine_tune_at = len(base_model.layers) - 54
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    base.trainable = n > 0
    first = max(0, len(base.layers) - n)
    for i, layer in enumerate(base.layers):  # each layer explicitly: Keras skips setting an unchanged flag,
        for inner in _all_layers(layer):      # which would leave a nested layer as it was
            inner.trainable = n > 0 and i >= first and not isinstance(inner, keras.layers.BatchNormalization)


def _all_layers(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    return [layer] + [inner for sub in getattr(layer, "layers", []) for inner in _all_layers(sub)]


def preview_unfreeze_top(model: keras.Model, base: keras.Model, n: int) -> dict[str, int]:
    """What :func:`unfreeze_top` ``(base, n)`` would make trainable in ``model``, without changing ``model``.

    Returns ``count_params``-style counts plus ``"layers"``: how many of ``base``'s layers would train weights.
    """
    flags = [(layer, layer.trainable) for layer in _all_layers(model)]
    try:
        unfreeze_top(base, n)
        counts = dict(count_params(model))
        counts["layers"] = sum(1 for layer in base.layers if layer.trainable_weights)
    finally:
        for layer, trainable in flags:  # outermost first, so inner flags are the last word
            layer.trainable = trainable
    return counts


def top_trainable(base: keras.Model) -> int:
    """How many top layers of ``base`` are unfrozen now, counted down from the last one (BatchNorm aside).

    BatchNormalization layers are frozen by :func:`unfreeze_top`'s rule, so they do not end the count.
    """
    if not base.trainable:
        return 0
    n = 0
    for layer in reversed(base.layers):
        if not layer.trainable and not isinstance(layer, keras.layers.BatchNormalization):
            break
        n += 1
    return n


def _counts_text(counts: dict[str, int], base: keras.Model, n: int) -> str:
    return (f"N = {n}: trainable params {counts['trainable']:,} · frozen params {counts['frozen']:,} · "
            f"layers of {base.name} with trainable weights: {counts['layers']}/{len(base.layers)}")


def unfreeze_slider(model: keras.Model, base: keras.Model) -> widgets.VBox:
    """A slider N that previews what unfreezing the top N layers of ``base`` would train; the model is untouched.

    It starts at the model's current state (what the code above set) and only shows counts: the unfreezing
    itself is the notebook's own code. Headless: the counts at the current N, printed once.

    >>> unfreeze_slider(model, base_model)
    """
    start = top_trainable(base)
    explain = widgets.HTML(
        f"Preview: unfreeze the top N of the {len(base.layers)} layers of <b>{base.name}</b>, BatchNorm layers kept "
        "frozen. Moving the slider changes nothing in the model; the code above sets what trains.")
    slider = widgets.IntSlider(value=start, min=0, max=len(base.layers), description="N",
                               continuous_update=False)
    counts = widgets.HTML(_counts_text(preview_unfreeze_top(model, base, start), base, start))

    def update(change: Any) -> None:
        counts.value = _counts_text(preview_unfreeze_top(model, base, change["new"]), base, change["new"])

    slider.observe(update, names="value")
    if running_headless():
        print(counts.value)
    return widgets.VBox([explain, slider, counts])


# --- upload_classifier -----------------------------------------------------------------------------------

def uploaded_files(value: Any) -> list[tuple[str, bytes]]:
    """``[(file name, content bytes)]`` of a ``FileUpload`` value, in ipywidgets 7's shape or 8's.

    ipywidgets 7 (Colab): ``{name: {"metadata": {...}, "content": bytes}}``; ipywidgets 8 (JupyterLab): a tuple
    of ``{"name": ..., "content": memoryview, ...}``.
    """
    if isinstance(value, dict):
        return [(name, bytes(item["content"])) for name, item in value.items()]
    return [(item["name"], bytes(item["content"])) for item in value or ()]


def _decode_upload(content: bytes, image_size: int | None) -> tuple[np.ndarray | str, str]:
    """The uploaded image as uint8 RGB ``(H, W, 3)`` and a note ("" or why it may be judged badly), or one
    sentence saying why it cannot be used. Sizes are judged as the folder loader judges them, at ``image_size``
    (default: the active profile's)."""
    image, notes = decode_image(content)
    if image is None:
        return f"Sorry, this file cannot be used as an image: {notes[0]}. Try a JPEG or PNG photo.", ""
    problem = size_problem(image.shape, image_size or config.resolve_profile().profile.image_size)
    if problem and problem[0] == "skip":
        return f"Sorry, this picture is {problem[1]} (the folder loader skips such images): upload a larger photo.", ""
    return image, f" (note: {problem[1]}, as the folder loader flags it)" if problem else ""


def _check_upload_arguments(content: Any, predict_fn: Any) -> None:
    if isinstance(content, (dict, tuple, list)):
        raise CourseTypeError("classify_upload takes one file's bytes, not a FileUpload value: pass "
                              "uploaded_files(upload.value)[0][1], or open(path, \"rb\").read().")
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise CourseTypeError(f"classify_upload takes the file's bytes, such as open(path, \"rb\").read(); got "
                              f"{type(content).__name__}.")
    if not callable(predict_fn):
        raise CourseTypeError(f"predict_fn is a function from an image to its answer (pass the function itself, "
                              f"without calling it); got {type(predict_fn).__name__}.")


def classify_upload(content: bytes, predict_fn: Callable[[np.ndarray], str], image_size: int | None = None) -> str:
    """``predict_fn``'s answer for the image in ``content``, or a friendly message when it is not an image.

    ``predict_fn`` receives a uint8 RGB array ``(H, W, 3)``, decoded as the folder loader decodes files
    (:func:`helpers.images.decode_image`: upright, 8-bit, transparency on white); resizing it is its job. A
    picture the folder loader would skip at ``image_size`` (default: the profile's) is refused, one it would
    flag is classified with a note. An error in ``predict_fn`` shows in full: it is your code.

    >>> classify_upload(open("cat.jpg", "rb").read(), lambda img: "cat")
    'cat'
    """
    _check_upload_arguments(content, predict_fn)
    image, note = _decode_upload(bytes(content), image_size)
    return image if isinstance(image, str) else str(predict_fn(image)) + note


def upload_classifier(predict_fn: Callable[[np.ndarray], str], image_size: int | None = None) -> widgets.VBox:
    """An upload box: the uploaded photo is shown with ``predict_fn``'s answer (errors as a message).

    Pictures are judged as :func:`classify_upload` judges them. Works with ipywidgets 7 (Colab) and 8 (JupyterLab).

    >>> def predict_fn(img):   # resize as the pipeline does, then the base's own preprocessing
    ...     batch = preprocess(resize(img, cfg.image_size))[None]
    ...     return class_names[int(model.predict(batch, verbose=0)[0].argmax())]
    >>> upload_classifier(predict_fn)
    """
    _check_upload_arguments(b"", predict_fn)
    upload = widgets.FileUpload(accept="image/*", multiple=False, description="Choose a photo",
                                layout=widgets.Layout(width="200px"))
    picture = widgets.Image(format="png", layout=widgets.Layout(width="256px", display="none"))
    answer = widgets.HTML("Upload a JPEG or PNG photo to classify it.")

    def update(change: Any) -> None:
        files = uploaded_files(change["new"])
        if not files:
            return
        name, content = files[-1]
        image, note = _decode_upload(content, image_size)
        if isinstance(image, str):
            picture.layout.display, answer.value = "none", f"{html.escape(name)}: {image}"
            return
        picture.value, picture.layout.display = _png(image), None
        try:
            answer.value = (f"{html.escape(name)}: prediction <b>{html.escape(str(predict_fn(image)))}</b>"
                            f"{html.escape(note)}")
        except Exception as err:  # the learner's predict_fn: show the error instead of losing it
            answer.value = f"predict_fn failed: {html.escape(f'{type(err).__name__}: {err}')}"

    upload.observe(update, names="value")
    if running_headless():
        print("upload_classifier: the upload box needs JupyterLab or Colab; "
              "call classify_upload(file_bytes, predict_fn) to classify a file here.")
    return widgets.VBox([upload, picture, answer])


# --- LivePlot --------------------------------------------------------------------------------------------

class LivePlot(keras.callbacks.Callback):
    """A Keras callback that redraws the learning curves after every epoch.

    Reuse one instance across the head and the fine-tuning ``fit`` calls: the curves continue and the
    second phase is marked "fine-tuning starts". Headless: one static plot at the end of each ``fit``.

    >>> live = LivePlot()  # offline, titled with standin_note(), as every plot
    >>> model.fit(train_ds, validation_data=val_ds, epochs=5, callbacks=[live], verbose=0)
    """

    def __init__(self, metrics: Sequence[str] = ("loss", "accuracy"), note: str | None = None,
                 headless: bool | None = None) -> None:
        super().__init__()
        self.metrics = tuple(metrics)
        self.note = note
        self.headless = running_headless() if headless is None else headless
        self.histories: list[dict[str, list[float]]] = []
        self.output: widgets.Output | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.histories.append({})
        if not self.headless:  # a fresh plot under each fit's cell; it redraws every phase so far
            self.output = widgets.Output()
            display(self.output)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for key, value in (logs or {}).items():
            self.histories[-1].setdefault(key, []).append(float(value))
        if not self.headless and self.output is not None:
            with self.output:
                self.output.clear_output(wait=True)
                self._draw()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.headless:
            self._draw()

    def _draw(self) -> None:
        histories = [h for h in self.histories if h]
        metrics = [m for m in self.metrics if any(m in h for h in histories)]
        if metrics:
            _show_static(plot_history(*histories, metrics=metrics, note=self.note))
