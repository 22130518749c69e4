"""Tests for helpers.widgets without a frontend: the logic behind each widget, and the headless fallbacks."""
import datetime
import io

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from helpers import widgets as w  # noqa: E402
from helpers.models import count_params  # noqa: E402

CLASSES = ["cat", "dog"]


@pytest.fixture(autouse=True)
def headless(monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch):
    """Everything the widgets pass to IPython's display(), instead of printing it."""
    objects = []
    monkeypatch.setattr(w, "display", objects.append)
    return objects


def png_bytes(color=(200, 30, 30), size=(5, 4), fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


# --- headless detection -----------------------------------------------------------------------------------

@pytest.mark.parametrize("env, expected", [
    ({"COURSE_HEADLESS": "1"}, True),
    ({"COURSE_HEADLESS": "0"}, False),  # forced interactive even without a kernel
    ({"COURSE_HEADLESS": "", "COURSE_HARNESS": "offline"}, True),
    ({"COURSE_HEADLESS": ""}, True),  # plain Python: no IPython kernel
])
def test_running_headless_reads_the_environment(monkeypatch, env, expected):
    monkeypatch.delenv("COURSE_HARNESS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert w.running_headless() is expected


# --- image_browser ----------------------------------------------------------------------------------------

def test_image_browser_caption_follows_the_slider_with_right_and_wrong_marks(shown, capsys):
    images = np.random.default_rng(0).random((3, 4, 4, 3)).astype(np.float32)
    box = w.image_browser(images, [0, 1, 1], CLASSES, predictions=[0, 0, 1])
    slider, picture, caption = box.children
    assert slider.max == 2
    assert "true: <b>cat</b>" in caption.value and "✓" in caption.value
    first_png = bytes(picture.value)
    slider.value = 1
    assert "predicted: <b>cat</b>" in caption.value and "✗ wrong" in caption.value
    assert bytes(picture.value) != first_png and bytes(picture.value).startswith(b"\x89PNG")
    # Headless: one static grid of the images, one line saying why.
    assert len(shown) == 1 and isinstance(shown[0], Figure)
    assert [ax.get_title()[-1] for ax in shown[0].axes] == ["✓", "✗", "✓"]
    assert "static preview of 3 of 3 images" in capsys.readouterr().out


def test_image_browser_without_predictions_shows_labels_only(shown):
    box = w.image_browser(np.zeros((2, 3, 3, 1), dtype=np.uint8), [1, 0], CLASSES)
    assert box.children[2].value == "#0 · true: <b>dog</b>"
    assert Image.open(io.BytesIO(bytes(box.children[1].value))).size == (192, 192)  # enlarged, sharp pixels


def test_image_browser_refuses_an_empty_batch():
    with pytest.raises(ValueError, match="at least one image"):
        w.image_browser(np.zeros((0, 3, 3, 3)), [], CLASSES)


def test_image_browser_is_silent_with_a_frontend(monkeypatch, shown, capsys):
    monkeypatch.setenv("COURSE_HEADLESS", "0")
    w.image_browser(np.zeros((2, 3, 3, 3)), [1, 0], CLASSES)
    assert shown == [] and capsys.readouterr().out == ""


# --- unfreeze_slider --------------------------------------------------------------------------------------

def tiny_base():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, name="d1")(inputs)        # 15 params
    x = keras.layers.BatchNormalization(name="bn")(x)   # 6 trainable + 6 moving stats
    x = keras.layers.Dense(2, name="d2")(x)             # 8 params
    x = keras.layers.ReLU(name="relu")(x)
    return keras.Model(inputs, x, name="base")


def tiny_model():
    base = tiny_base()
    base.trainable = False
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(1, name="head")(base(inputs))  # 3 params
    return keras.Model(inputs, outputs), base


def counts(model):
    c = count_params(model)
    return c["trainable"], c["frozen"]


def test_set_top_trainable_unfreezes_the_top_layers_only():
    model, base = tiny_model()
    assert counts(model) == (3, 35)
    w.set_top_trainable(base, 2)  # d2 and relu
    assert base.trainable
    assert [layer.trainable for layer in base.layers] == [False, False, False, True, True]
    assert counts(model) == (3 + 8, 15 + 12)


def test_set_top_trainable_keeps_batchnorm_frozen_even_when_all_unfrozen():
    model, base = tiny_model()
    w.set_top_trainable(base, 99)
    assert not base.get_layer("bn").trainable
    assert base.get_layer("d1").trainable
    assert counts(model) == (3 + 15 + 8, 12)


def test_set_top_trainable_zero_freezes_the_base_and_refuses_negatives():
    model, base = tiny_model()
    w.set_top_trainable(base, 3)
    w.set_top_trainable(base, 0)
    assert not base.trainable and counts(model) == (3, 35)
    with pytest.raises(ValueError):
        w.set_top_trainable(base, -1)


def test_set_top_trainable_freezes_batchnorm_inside_nested_blocks():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3), keras.layers.BatchNormalization()],
                             name="block")
    base = keras.Sequential([keras.Input((3,)), inner], name="base")
    w.set_top_trainable(base, 1)
    assert inner.trainable and not inner.layers[1].trainable
    assert sum(int(np.prod(v.shape)) for v in base.trainable_weights) == 12


def test_unfreeze_slider_updates_the_layers_and_the_counts(capsys):
    model, base = tiny_model()
    box = w.unfreeze_slider(model, base)
    explain, slider, live = box.children
    assert "BatchNormalization layers stay frozen" in explain.value
    assert slider.value == 0 and slider.max == 5
    assert "trainable params: 3 · frozen params: 35" in live.value
    assert live.value in capsys.readouterr().out  # headless: the counts printed once
    slider.value = 2
    assert "trainable params: 11 · frozen params: 27" in live.value
    assert "with trainable weights: 1/5" in live.value
    assert base.get_layer("d2").trainable and not base.get_layer("d1").trainable


def test_unfreeze_slider_starts_from_the_current_state():
    model, base = tiny_model()
    w.set_top_trainable(base, 3)  # bn, d2, relu: the lowest with trainable weights is d2 (bn is frozen)
    assert w.unfreeze_slider(model, base).children[1].value == 2
    w.set_top_trainable(base, 1)  # relu only: nothing that trains
    assert base.trainable and w.unfreeze_slider(model, base).children[1].value == 0


# --- upload_classifier ------------------------------------------------------------------------------------

def test_classify_upload_passes_an_rgb_uint8_array_to_predict_fn():
    seen = []

    def predict(image):
        seen.append(image)
        return "cat"

    grey = io.BytesIO()
    Image.new("L", (5, 4), 128).save(grey, format="JPEG")
    assert w.classify_upload(grey.getvalue(), predict) == "cat"
    assert seen[0].shape == (4, 5, 3) and seen[0].dtype == np.uint8


@pytest.mark.parametrize("content", [b"", b"not an image at all", png_bytes()[:30]])
def test_classify_upload_answers_a_corrupt_file_with_a_friendly_message(content):
    def predict(image):
        raise AssertionError("predict_fn must not see a corrupt upload")

    message = w.classify_upload(content, predict)
    assert message.startswith("Sorry, this file could not be read as an image")
    assert "Traceback" not in message


def upload_value(content):
    return ({"name": "x.png", "type": "image/png", "size": len(content), "content": memoryview(content),
             "last_modified": datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)},)


def test_upload_classifier_shows_the_photo_and_the_answer(capsys):
    box = w.upload_classifier(lambda image: f"{image.shape[1]}x{image.shape[0]}")
    upload, picture, answer = box.children
    assert "needs JupyterLab or Colab" in capsys.readouterr().out
    upload.value = upload_value(png_bytes())
    assert answer.value == "Prediction: <b>5x4</b>"
    assert bytes(picture.value).startswith(b"\x89PNG")
    upload.value = upload_value(b"garbage")
    assert answer.value.startswith("Sorry") and bytes(picture.value) == b""
    upload.value = ()
    assert answer.value.startswith("Sorry")  # clearing the box changes nothing


def test_upload_classifier_reports_a_failing_predict_fn():
    def predict(image):
        raise RuntimeError("model not trained")

    box = w.upload_classifier(predict)
    box.children[0].value = upload_value(png_bytes())
    assert box.children[2].value == "predict_fn failed: RuntimeError: model not trained"


# --- LivePlot ---------------------------------------------------------------------------------------------

def toy_fit(callback, epochs=2):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"], run_eagerly=True)  # no tracing: fast
    x, y = np.zeros((8, 2), dtype=np.float32), np.ones((8, 1), dtype=np.float32)
    model.fit(x, y, validation_data=(x, y), epochs=epochs, batch_size=8, verbose=0, callbacks=[callback])


def fake_fit(callback, epochs):
    """The callback hooks Keras calls during fit, without a model."""
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)})
    callback.on_train_end()


def test_liveplot_headless_draws_exactly_one_figure_after_training(shown):
    live = w.LivePlot(note="stand-in data")
    assert live.headless
    toy_fit(live, epochs=2)
    assert len(shown) == 1 and isinstance(shown[0], Figure)
    fig = shown[0]
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines[0].get_xdata()) == 2
    assert fig._suptitle.get_text() == "Learning curves (stand-in data)"
    assert plt.get_fignums() == []  # released: the end of the cell will not show it again


def test_liveplot_continues_across_fits_and_marks_the_second_phase(shown):
    live = w.LivePlot(headless=True)  # no accuracy in these logs: that panel is skipped
    fake_fit(live, epochs=2)
    fake_fit(live, epochs=1)
    assert len(shown) == 2
    assert len(shown[1].axes) == 1
    ax = shown[1].axes[0]
    assert ax.lines[0].get_ydata().tolist() == [1.0, 0.5, 1.0]
    assert ax.lines[-1].get_label() == "fine-tuning starts" and list(ax.lines[-1].get_xdata()) == [2, 2]


def test_liveplot_with_a_frontend_redraws_each_epoch_in_its_output(shown):
    live = w.LivePlot(headless=False)
    fake_fit(live, epochs=3)
    assert shown[0] is live.output  # the Output widget is displayed once, first
    figures = shown[1:]
    assert len(figures) == 3 and all(isinstance(f, Figure) for f in figures)
    assert [len(f.axes[0].lines[0].get_xdata()) for f in figures] == [1, 2, 3]
    assert plt.get_fignums() == []
    first_output = live.output
    fake_fit(live, epochs=1)  # the next phase, in a later cell, gets its own plot there
    assert live.output is not first_output and shown[4] is live.output
    assert len(shown[5].axes[0].lines[0].get_xdata()) == 4
