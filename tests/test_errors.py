"""Bad input and missing assets get one or two sentences in the course's words: what happened, what to do.

Each case was found by probing the helpers as a learner would. Every one raises a ``CourseError``, which a
notebook shows as its message alone, without a traceback (``test_course_errors_show_without_a_traceback``).
"""
from __future__ import annotations

import keras
import pytest
import tensorflow as tf

from helpers import catalogue, config, data, models, runtime
from helpers.errors import AssetUnavailableError, CourseError


def _no_download(*args, **kwargs):
    raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None -- [Errno -2] Name or service not known")


@pytest.mark.parametrize("call, words", [
    (lambda: models.model_handle("nope"), "no model 'nope'.* The catalogue has: mobilenet_v2_hub"),
    (lambda: models.load_base("VGG16"), "Did you mean 'vgg16'"),
    (lambda: models.load_base("vgg16", weights="random"), "weights is \"pretrained\""),
    (lambda: models.load_base("vgg16", input_shape=64), r"input_shape is \(height, width, 3\)"),
    (lambda: models.load_base("vgg16", include_top=True, profile=config.PROFILES["offline"]),
     "has no ImageNet classifier to load. Use include_top=False"),
    (lambda: models.load_base("mobilenet_v2_hub"), "is a TF Hub model: use HubLayer"),
    (lambda: data.load_dataset("tf_flowers", "train"), "the second argument is the profile, not a split"),
    (lambda: data.load_dataset("flowers"), "Did you mean 'tf_flowers'"),
    (lambda: data.load_dataset("tf_flowers", "fast"), "the profile is one of offline, quick, full"),
    (lambda: data.preprocessing_for("vgg"), "no model or convention 'vgg'"),
    (lambda: models.HubLayer("not/a/path"), "neither a TF Hub address .* nor a folder on this machine"),
])
def test_a_wrong_argument_is_named_with_what_it_takes(call, words):
    with pytest.raises(CourseError, match=words):
        call()


def _examples() -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((tf.zeros((4, 8, 8, 3), tf.uint8), tf.zeros(4, tf.int64)))


@pytest.mark.parametrize("kwargs, words", [
    (dict(image_size=0), "image_size is the side of the square images in pixels"),
    (dict(image_size=(64, 64, 3)), r"that is cfg.image_shape; pass cfg.image_size"),
    (dict(image_size=64, batch_size=0), "batch_size is how many images go in a batch"),
    (dict(image_size=64, preprocess="caffe"), "preprocess must be a function"),
])
def test_make_pipeline_refuses_bad_sizes_at_the_call_not_at_the_first_batch(kwargs, words):
    with pytest.raises(CourseError, match=words):
        data.make_pipeline(_examples(), **kwargs)
    with pytest.raises(CourseError, match="takes a tf.data.Dataset"):
        data.make_pipeline([1, 2, 3], 64)


def test_keras_weights_without_a_network_say_prefetch_or_go_offline(monkeypatch):
    monkeypatch.setattr(keras.applications, "VGG16", lambda **kw: _no_download())
    with pytest.raises(AssetUnavailableError, match="Could not download the ImageNet weights of VGG16.*offline"):
        models.load_base("vgg16", profile=config.PROFILES["quick"])
    monkeypatch.setattr(keras.utils, "get_file", _no_download)
    with pytest.raises(AssetUnavailableError, match="ImageNet's class names"):
        models.classifier_labels(config.PROFILES["quick"])


def test_a_failed_download_leaves_nothing_that_counts_as_cached(monkeypatch, tmp_path):
    import tensorflow_datasets as tfds

    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(runtime, "hosts_reachable", lambda **kw: {"storage.googleapis.com": True})
    real_load = tfds.load

    def load(name, download=False, **kwargs):
        if not download:
            return real_load(name, download=False, **kwargs)  # not there: DatasetNotFoundError
        (tmp_path / name / "3.0.0").mkdir(parents=True)  # what tfds leaves when the server answers 404
        raise tfds.download.DownloadError("Failed to get url https://x/flower_photos.tgz. HTTP code: 404.")

    monkeypatch.setattr(tfds, "load", load)
    with pytest.raises(AssetUnavailableError, match="Downloading 'tf_flowers' failed.*nothing was kept"):
        data.load_dataset("tf_flowers", "quick")
    assert not (tmp_path / "tf_flowers").exists() and not runtime.tfds_prepared("tf_flowers")


def test_course_errors_show_without_a_traceback(capsys):
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    settings = Config()
    settings.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=settings)
    try:
        shell.run_cell("from helpers import models\nmodels.load_base('VGG16')")
    finally:
        InteractiveShell.clear_instance()
    text = "".join(capsys.readouterr())
    assert "CourseValueError" in text and "Did you mean 'vgg16'" in text
    assert "Traceback" not in text and "---->" not in text


# --- issue 23: every helper misuse a learner hit, answered in one course sentence --------------------------
def _splits() -> data.Splits:
    examples = _examples()
    return data.Splits(examples, examples, None, ["a", "b"], {"train": 4, "validation": 4, "test": 0})


def _batched() -> tf.data.Dataset:
    return _examples().batch(2)


@pytest.mark.parametrize("call, error, words", [
    (lambda: _splits().tain, AttributeError, r"splits has no 'tain'. Did you mean 'train'\? It has: train, validation"),
    (lambda: getattr(_splits(), "valid"), AttributeError, "Did you mean 'validation'"),
    (lambda: _splits()["train"], TypeError, "splits is not a dict: write splits.train"),
    (lambda: _splits().sizes["valid"], KeyError, r"^splits.sizes has no 'valid'. Did you mean 'validation'\?"),
    (lambda: data.make_pipeline(_examples(), 8, training=True, shuffle_buffer=0), ValueError,
     "shuffle_buffer is how many examples are shuffled together"),
    (lambda: data.make_pipeline(_batched(), 8), ValueError, r"ds is already batched .* pass the unbatched examples"),
    (lambda: data.make_pipeline(_examples(), 8, cache="/no/such/folder/cache"), ValueError,
     r"is in a folder that does not exist; create it first"),
    (lambda: data.features_dataset(tf.zeros((4, 3)), tf.zeros(3)), ValueError, "4 feature vectors but 3 labels"),
    (lambda: data.features_dataset(tf.zeros((4, 3)), tf.zeros(4), batch_size=0), ValueError,
     "batch_size is how many feature vectors go in a batch"),
    (lambda: data.extract_features(lambda x: x, _examples()), ValueError,
     r"ds yields single images of shape \(8, 8, 3\), not batches; pass make_pipeline"),
    (lambda: data.extract_features(lambda x: x, _examples(), batch_size=0), ValueError,
     "batch_size is how many images go in a batch"),
    (lambda: models.load_base("vgg16", input_shape=(16, 16, 3), profile=config.PROFILES["offline"]), ValueError,
     r"VGG16 takes images of at least 32×32 px; got input_shape=\(16, 16, 3\)"),
    (lambda: models.load_base("vgg16", input_shape=(16, 16, 3), profile=config.PROFILES["quick"]), ValueError,
     r"at least 32×32 px"),
    (lambda: models.load_base("vgg16", pooling="mean", profile=config.PROFILES["offline"]), ValueError,
     r"pooling is None \(the feature maps\), \"avg\" or \"max\"; got 'mean'. Did you mean 'avg'\?"),
    (lambda: models.load_base("vgg16", pooling="None", profile=config.PROFILES["offline"]), ValueError,
     "Did you mean None, without quotes"),
])
def test_a_misused_helper_answers_in_one_course_sentence(call, error, words):
    with pytest.raises(CourseError, match=words) as caught:
        call()
    assert isinstance(caught.value, error), "still catchable as the Python error it replaces"
    assert len(caught.value._render_traceback_()) == 1, "one line in a notebook, no traceback"


def test_the_smallest_input_load_base_takes_is_the_one_keras_takes():
    for name, spec in catalogue.MODELS.items():
        if spec.source != "keras" or spec.standin_build is None:
            continue
        smallest = (spec.min_input_size,) * 2 + (3,)
        assert models.load_base(name, input_shape=smallest, profile=config.PROFILES["offline"], verbose=False)


def test_hub_layer_on_a_folder_that_is_not_a_savedmodel_says_what_to_give(tmp_path):
    with pytest.raises(CourseError, match="is not a SavedModel .*no saved_model.pb.*give the folder that holds"):
        models.HubLayer(str(tmp_path))
