"""Tests for helpers.widgets without a frontend: the logic behind each widget, and the headless fallbacks."""
import datetime
import io

import ipywidgets

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


def test_unfreeze_top_trains_the_top_layers_and_freezes_the_rest_as_notebook_06_does():
    model, base = tiny_model()
    assert counts(model) == (3, 35)
    w.unfreeze_top(base, 2)  # d2 and relu
    assert base.trainable
    assert [layer.trainable for layer in base.layers] == [False, False, False, True, True]
    assert counts(model) == (3 + 8, 15 + 12)
    w.unfreeze_top(base, 99)  # everything but BatchNorm, which stays frozen (inference mode)
    assert counts(model) == (3 + 15 + 8, 12) and not base.get_layer("bn").trainable
    w.unfreeze_top(base, 0)
    assert not base.trainable and counts(model) == (3, 35)
    with pytest.raises(ValueError):
        w.unfreeze_top(base, -1)


def _flags(model):
    return [(layer.name, layer.trainable) for layer in w._all_layers(model)]


def test_preview_counts_what_unfreezing_would_train_and_leaves_the_model_as_it_was():
    model, base = tiny_model()
    w.unfreeze_top(base, 2)
    before, weights = _flags(model), [id(v) for v in model.trainable_weights]
    preview = w.preview_unfreeze_top(model, base, 99)
    assert (preview["trainable"], preview["frozen"], preview["layers"]) == (3 + 15 + 8, 12, 2)
    assert _flags(model) == before and [id(v) for v in model.trainable_weights] == weights


def test_preview_counts_never_fall_as_n_grows():
    model, base = tiny_model()
    previews = [w.preview_unfreeze_top(model, base, n) for n in range(len(base.layers) + 1)]
    trainable = [p["trainable"] for p in previews]
    layers = [p["layers"] for p in previews]
    assert trainable == sorted(trainable) and layers == sorted(layers)
    assert trainable[0] == 3 and trainable[-1] == 3 + 15 + 8


def test_unfreeze_slider_starts_where_the_code_left_the_model_and_only_previews(capsys):
    model, base = tiny_model()
    w.unfreeze_top(base, 3)  # bn, d2, relu: as the notebook's own code would leave it
    box = w.unfreeze_slider(model, base)
    explain, slider, live = box.children
    assert "changes nothing in the model" in explain.value and "BatchNorm layers kept frozen" in explain.value
    assert slider.value == 3 and slider.max == 5  # relu, d2 and the (frozen) BatchNorm: what the code set
    assert "N = 3: trainable params 11 · frozen params 27" in live.value
    assert live.value in capsys.readouterr().out  # headless: the counts printed once
    before = _flags(model)
    slider.value = 5
    assert "N = 5: trainable params 26 · frozen params 12" in live.value
    assert "with trainable weights: 2/5" in live.value
    assert _flags(model) == before, "moving the slider must not change what the next fit trains"


def test_top_trainable_counts_the_trainable_layers_down_from_the_top():
    model, base = tiny_model()
    assert w.top_trainable(base) == 0
    w.unfreeze_top(base, 4)
    assert w.top_trainable(base) == 4


# --- upload_classifier ------------------------------------------------------------------------------------

def test_classify_upload_passes_an_rgb_uint8_array_to_predict_fn():
    seen = []

    def predict(image):
        seen.append(image)
        return "cat"

    grey = io.BytesIO()
    Image.new("L", (5, 4), 128).save(grey, format="JPEG")
    assert w.classify_upload(grey.getvalue(), predict, image_size=16) == "cat"
    assert seen[0].shape == (4, 5, 3) and seen[0].dtype == np.uint8


@pytest.mark.parametrize("content", [b"", b"not an image at all", png_bytes()[:30]])
def test_classify_upload_answers_a_corrupt_file_with_a_friendly_message(content):
    def predict(image):
        raise AssertionError("predict_fn must not see a corrupt upload")

    message = w.classify_upload(content, predict)
    assert message.startswith("Sorry, this file cannot be used as an image: ")
    assert "Traceback" not in message


def upload_value_v8(content, name="x.png"):
    """A FileUpload value as ipywidgets 8 (JupyterLab) sets it: a tuple of dicts."""
    return ({"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
             "last_modified": datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)},)


def upload_value_v7(content, name="x.png"):
    """A FileUpload value as ipywidgets 7 (Colab) sets it: a dict keyed by file name."""
    return {name: {"metadata": {"name": name, "type": "image/png", "size": len(content), "lastModified": 0},
                   "content": bytes(content)}}


IPYWIDGETS_7 = ipywidgets.__version__.startswith("7.")


def upload(box_upload, content, name="x.png"):
    """Do what the browser does when a file is chosen, in this environment's ipywidgets (Colab's 7, or 8)."""
    if IPYWIDGETS_7:  # the frontend sends metadata and data, then bumps a counter; value is read-only
        box_upload.set_trait("metadata", [upload_value_v7(content, name)[name]["metadata"]])
        box_upload.set_trait("data", [bytes(content)])
        box_upload._counter += 1
    else:
        box_upload.value = upload_value_v8(content, name)
    assert w.uploaded_files(box_upload.value) == [(name, bytes(content))], "the value has this version's shape"


@pytest.mark.parametrize("shape", [upload_value_v7, upload_value_v8])
def test_uploaded_files_reads_both_ipywidgets_shapes(shape):
    assert w.uploaded_files(shape(b"abc", "cat.jpg")) == [("cat.jpg", b"abc")]
    assert w.uploaded_files(() if shape is upload_value_v8 else {}) == []


def test_upload_classifier_shows_the_photo_and_the_answer(capsys):
    box = w.upload_classifier(lambda image: f"{image.shape[1]}x{image.shape[0]}", image_size=16)
    up, picture, answer = box.children
    assert "needs JupyterLab or Colab" in capsys.readouterr().out
    assert picture.layout.display == "none", "no broken-image icon before the first upload"
    upload(up, png_bytes())
    assert answer.value == "x.png: prediction <b>5x4</b>"
    assert bytes(picture.value).startswith(b"\x89PNG") and picture.layout.display is None
    upload(up, b"garbage", "notes.png")
    assert answer.value.startswith("notes.png: Sorry") and picture.layout.display == "none"


def test_upload_classifier_reports_a_failing_predict_fn():
    def predict(image):
        raise RuntimeError("model not trained")

    box = w.upload_classifier(predict, image_size=16)
    upload(box.children[0], png_bytes())
    assert box.children[2].value == "predict_fn failed: RuntimeError: model not trained"
    assert box.children[1].layout.display is None, "the photo still shows"


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


# --- issue 23: wrong moves around the upload box ---------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    (None, r"takes the file's bytes, such as open\(path, \"rb\"\).read\(\); got NoneType"),
    (upload_value_v7(b"abc"), r"not a FileUpload value: pass uploaded_files\(upload.value\)\[0\]\[1\]"),
    (upload_value_v8(b"abc"), "not a FileUpload value"),
])
def test_classify_upload_names_what_to_pass_instead_of_a_wrong_content(content, words):
    from helpers.errors import CourseError

    with pytest.raises(CourseError, match=words) as caught:
        w.classify_upload(content, lambda image: "cat")
    assert isinstance(caught.value, TypeError)


def test_a_predict_fn_that_is_not_a_function_is_refused_before_any_upload():
    from helpers.errors import CourseError

    with pytest.raises(CourseError, match="pass the function itself, without calling it"):
        w.upload_classifier("cat")


def test_a_learners_failing_predict_fn_shows_its_own_error_in_classify_upload():
    def predict(image):
        raise ZeroDivisionError("my bug")

    with pytest.raises(ZeroDivisionError, match="my bug"):
        w.classify_upload(png_bytes(size=(64, 64)), predict, image_size=64)


def test_the_upload_box_skips_and_flags_pictures_as_the_folder_loader_does():
    from helpers import images

    seen = []
    predict = lambda image: seen.append(image.shape) or "cat"  # noqa: E731
    tiny = w.classify_upload(png_bytes(size=(1, 1)), predict, image_size=64)
    assert tiny.startswith("Sorry, this picture is too small: 1×1 px") and "skips such images" in tiny and not seen
    assert images._size_problem((1, 1, 3), 64)[0] == "skip", "the loader's own rule says skip"
    strip = w.classify_upload(png_bytes(size=(900, 8)), predict, image_size=64)
    assert strip.startswith("cat (note: 900×8 px, squeezed to 64×64 px its content is distorted 112:1")
    assert images._size_problem((8, 900, 3), 64)[0] == "check", "the loader keeps it and flags it"
    box = w.upload_classifier(predict, image_size=64)
    upload(box.children[0], png_bytes(size=(1, 1)), "dot.png")
    assert box.children[2].value.startswith("dot.png: Sorry, this picture is too small")
    assert box.children[1].layout.display == "none"
    upload(box.children[0], png_bytes(size=(900, 8)), "strip.png")
    assert "prediction <b>cat</b> (note: 900×8 px" in box.children[2].value


def test_upload_classifiers_documented_example_runs():
    from helpers.data import resize

    keras.utils.set_random_seed(0)
    class_names = ["cat", "dog"]
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    preprocess = keras.applications.mobilenet_v2.preprocess_input
    cfg = type("Cfg", (), {"image_size": 32})
    namespace = dict(resize=resize, preprocess=preprocess, model=model, class_names=class_names, cfg=cfg,
                     upload_classifier=w.upload_classifier)
    lines = [line.strip()[4:] for line in w.upload_classifier.__doc__.splitlines()
             if line.strip().startswith((">>> ", "... "))]
    assert lines, "the docstring has an example"
    exec(compile("\n".join(lines), "upload_classifier.__doc__", "exec"), namespace)  # noqa: S102
    assert namespace["predict_fn"](np.zeros((50, 40, 3), np.uint8)) in class_names
