"""The Keras 3 TF Hub layer, the stand-in guard, parameter reports and callbacks."""
from __future__ import annotations

import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import catalogue, config, models, runtime, standins
from conftest import save_hub_model

X = np.random.default_rng(0).random((16, 16, 16, 3), dtype=np.float32)
Y = (X.mean(axis=(1, 2, 3)) > 0.5).astype("float32")


def _model(base: keras.layers.Layer) -> keras.Model:
    model = keras.Sequential([keras.Input((16, 16, 3)), base, keras.layers.Dense(1, name="head")])
    model.compile(keras.optimizers.Adam(0.05), keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def _snapshot(layer: keras.layers.Layer) -> dict[str, np.ndarray]:
    return {w.name: w.numpy().copy() for w in layer.weights}


def _moved(before: dict[str, np.ndarray], layer: keras.layers.Layer) -> set[str]:
    return {w.name for w in layer.weights if not np.allclose(before[w.name], w.numpy())}


def test_hub_layer_works_inside_a_keras3_sequential(hub_model_path):
    model = _model(models.HubLayer(str(hub_model_path)))
    assert model.predict(X, verbose=0).shape == (16, 1)


def test_frozen_hub_layer_keeps_its_weights_and_only_the_head_moves(hub_model_path):
    base = models.HubLayer(str(hub_model_path), trainable=False)
    model = _model(base)
    assert base.trainable_weights == [] and len(base.non_trainable_weights) == 6
    head_before, base_before = _snapshot(model.get_layer("head")), _snapshot(base)
    model.fit(X, Y, epochs=2, verbose=0)
    assert _moved(base_before, base) == set()
    assert _moved(head_before, model.get_layer("head")) == {"kernel", "bias"}


def test_trainable_hub_layer_moves_every_trainable_weight_but_not_batchnorm_statistics(hub_model_path):
    base = models.HubLayer(str(hub_model_path), trainable=True)
    model = _model(base)
    assert models.count_params(base) == {"trainable": 120, "frozen": 8, "total": 128}
    before = _snapshot(base)
    model.fit(X, Y, epochs=2, verbose=0)
    assert _moved(before, base) == {"conv_kernel", "conv_bias", "bn_gamma", "bn_beta"}


def test_batchnorm_in_training_mode_updates_its_statistics_when_asked(hub_model_path):
    base = models.HubLayer(str(hub_model_path), trainable=True, bn_inference=False)
    model = _model(base)
    before = _snapshot(base)
    model.fit(X, Y, epochs=1, verbose=0)
    assert {"bn_moving_mean", "bn_moving_variance"} <= _moved(before, base)


def test_freezing_after_construction_takes_effect(hub_model_path):
    base = models.HubLayer(str(hub_model_path), trainable=True)
    base.trainable = False
    assert models.count_params(base)["trainable"] == 0


def test_hub_layer_computes_in_float32_under_mixed_precision(hub_model_path):
    keras.mixed_precision.set_global_policy("mixed_float16")
    base = models.HubLayer(str(hub_model_path))
    assert base.compute_dtype == "float32"
    assert base(X[:2].astype("float16")).dtype == "float32"


def test_signature_models_work_frozen_and_refuse_to_train(hub_model_path):
    base = models.HubLayer(str(hub_model_path), signature="serving_default", output_key="output_0")
    assert _model(base).predict(X, verbose=0).shape == (16, 1)
    with pytest.raises(ValueError, match="frozen"):
        models.HubLayer(str(hub_model_path), trainable=True, signature="serving_default", output_key="output_0")
    with pytest.raises(ValueError, match="has no signature 'predict'"):
        models.HubLayer(str(hub_model_path), signature="predict", output_key="output_0")


def test_full_profile_refuses_a_standin_found_in_the_hub_cache(monkeypatch, tmp_path, fresh_profile):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.delenv("COURSE_HARNESS")
    save_hub_model(runtime.hub_cache_path(catalogue.TFHUB_MOBILENET_V2), standin=True)
    with pytest.raises(models.StandinRefused, match="STAND-IN"):
        models.HubLayer(catalogue.TFHUB_MOBILENET_V2)
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")  # the harness says so explicitly: then it loads
    assert models.HubLayer(catalogue.TFHUB_MOBILENET_V2).weights


def test_offline_profile_loads_a_standin(monkeypatch, tmp_path, hub_model_path, fresh_profile):
    standin = tmp_path / "standin"
    shutil.copytree(hub_model_path, standin)
    (standin / standins.MARKER).write_text("test")
    monkeypatch.setenv("COURSE_PROFILE", "offline")
    assert models.is_standin(standin)
    assert models.HubLayer(str(standin)).weights


def test_no_network_gives_an_actionable_message(monkeypatch, tmp_path, network_attempts, fresh_profile):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(ConnectionError, match="prefetch.*COURSE_PROFILE=offline"):
        models.HubLayer(catalogue.TFHUB_MOBILENET_V2)
    assert "tfhub.dev" in network_attempts() or "kaggle" in network_attempts()


def test_model_handle_follows_the_profile():
    assert models.model_handle("mobilenet_v2_hub", config.PROFILES["full"]) == catalogue.TFHUB_MOBILENET_V2
    offline = models.model_handle("mobilenet_v2_hub", config.PROFILES["offline"])
    assert offline == str(standins.MOBILENET_V2_IMAGENET_FEATURE_VECTOR), "offline: the real weights shipped in data/"
    with pytest.raises(ValueError, match="not a TF Hub one: load it with load_base"):
        models.model_handle("resnet50", config.PROFILES["offline"])


def test_load_base_refuses_a_hub_model():
    with pytest.raises(ValueError, match="HubLayer"):
        models.load_base("mobilenet_v2_hub", profile=config.PROFILES["offline"])


def test_describe_trainable_reports_runs_of_frozen_and_trainable_layers():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(3, name="b"),
                              keras.layers.Dropout(0.1), keras.layers.Dense(1, name="c")])
    model.get_layer("a").trainable = False
    text = models.describe_trainable(model)
    assert text.splitlines()[0] == "16 trainable + 15 frozen = 31 parameters"
    assert "frozen    layer 0 a" in text and "trainable layers 1-3 (b ... c)" in text


def test_measure_speed_returns_images_per_second():
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.GlobalAveragePooling2D()])
    assert models.measure_speed(model, image_size=8, batch_size=4, batches=2) > 0


def test_fit_interrupted_by_a_disconnect_resumes_without_losing_an_epoch(tmp_path):
    class Disconnect(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt("runtime disconnected")

    def build():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
        model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
        return model

    callbacks = models.training_callbacks(tmp_path / "ckpt", patience=10)
    with pytest.raises(KeyboardInterrupt):
        build().fit(X, Y, validation_data=(X, Y), epochs=4, verbose=0, callbacks=callbacks + [Disconnect()])
    history = build().fit(X, Y, validation_data=(X, Y), epochs=4, verbose=0,
                          callbacks=models.training_callbacks(tmp_path / "ckpt", patience=10))
    assert history.epoch == [2, 3], "resumes after the last finished epoch"
    assert (tmp_path / "ckpt" / "best.keras").exists()


def test_epoch_line_prints_one_compact_line_per_epoch(capsys):
    models.EpochLine().on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75, "learning_rate": 0.1})
    assert capsys.readouterr().out == "epoch   1  loss 0.500  accuracy 0.750\n"


def test_catalogue_table_has_a_row_per_model_with_its_standin():
    rows = models.catalogue_table()
    assert [r["name"] for r in rows] == list(catalogue.MODELS)
    assert {r["offline"] for r in rows if r["name"] in ("resnet50", "efficientnet_b0")} == {"-"}
    offline = {r["name"]: r["offline"] for r in rows}
    assert offline["mobilenet_v2"].startswith("real weights") and offline["vgg16"].startswith("stand-in")


@pytest.mark.parametrize("name, last, label", [("vgg16", "block5_pool", "STAND-IN"),
                                               ("mobilenet_v2", "out_relu", "REAL ImageNet weights")])
def test_load_base_offline_gives_the_labelled_pretrained_weights(name, last, label, capsys):
    base = models.load_base(name, input_shape=(64, 64, 3), profile=config.PROFILES["offline"])
    assert base.layers[-1].name == last
    assert label in capsys.readouterr().out
    random = models.load_base(name, weights=None, input_shape=(64, 64, 3), profile=config.PROFILES["offline"],
                              verbose=False)
    first = next(layer for layer in base.layers if layer.weights).name
    assert not np.allclose(base.get_layer(first).weights[0].numpy(), random.get_layer(first).weights[0].numpy())


def test_load_base_in_a_real_profile_makes_the_real_keras_call(monkeypatch, tmp_path, capsys):
    import harness

    monkeypatch.setenv("COURSE_HARNESS_DIR", str(tmp_path))
    monkeypatch.setattr(keras.src.utils.file_utils, "get_file", harness.fake_get_file)
    base = models.load_base("mobilenet_v2", input_shape=(32, 32, 3), profile=config.PROFILES["quick"])
    assert "keras.applications.MobileNetV2(include_top=False" in capsys.readouterr().out
    assert base.count_params() == 2_257_984  # the real MobileNetV2 1.0 without its top


def test_a_base_without_a_standin_is_refused_offline_with_the_alternatives():
    with pytest.raises(ValueError, match="vgg16"):
        models.load_base("resnet50", profile=config.PROFILES["offline"])


def test_classifier_labels_offline_are_the_standins_source_classes():
    labels = models.classifier_labels(config.PROFILES["offline"])
    assert len(labels) == 26 and labels[0] == "A"


def test_classifier_labels_in_a_real_profile_are_imagenets(monkeypatch, tmp_path):
    import harness

    monkeypatch.setenv("COURSE_HARNESS_DIR", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", harness.fake_get_file)
    labels = models.classifier_labels(config.PROFILES["quick"])
    assert len(labels) == 1001 and labels[0] == "background"


def test_top_k_orders_labels_by_probability():
    rows = models.top_k(np.array([[0.0, 3.0, 1.0], [5.0, 0.0, 0.0]]), ["a", "b", "c"], k=2)
    assert [name for name, _ in rows[0]] == ["b", "c"] and rows[1][0][0] == "a"
    assert abs(sum(p for _, p in models.top_k(np.zeros((1, 3)), ["a", "b", "c"], k=3)[0]) - 1) < 1e-6


@pytest.mark.parametrize("num_classes", [2, 3])
def test_probe_accuracy_separates_separable_features_and_not_noise(num_classes):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, num_classes, 200)
    separable = np.eye(num_classes)[labels] * 3 + rng.normal(0, 0.3, (200, num_classes))
    noise = rng.normal(0, 1, (200, num_classes))
    split = lambda x: ((x[:150], labels[:150]), (x[150:], labels[150:]))  # noqa: E731
    assert models.probe_accuracy(*split(separable)) > 0.95
    assert models.probe_accuracy(*split(noise)) < 0.75


def test_exported_model_takes_raw_images_of_any_size_and_predicts_as_the_pipeline_fed_model(tmp_path):
    from helpers import data

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(2, 3), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(3, dtype="float32")])
    preprocess = keras.applications.mobilenet_v2.preprocess_input
    models.export_raw_image_model(model, tmp_path / "exported", 16, preprocess)
    predict = models.load_raw_image_model(tmp_path / "exported")
    rng = np.random.default_rng(0)
    for shape in ((37, 51, 3), (200, 90, 3)):
        photo = rng.integers(0, 256, shape, dtype=np.uint8)
        fed = next(iter(data.make_pipeline(tf.data.Dataset.from_tensors((photo, 0)), 16, preprocess, batch_size=1)))
        np.testing.assert_allclose(predict(photo), model.predict(fed[0], verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="uint8 RGB images"):
        predict(np.zeros((8, 8, 3), dtype=np.float32))
    with pytest.raises(FileNotFoundError, match="export it first"):
        models.load_raw_image_model(tmp_path / "nothing here")


def test_scratch_plan_caps_quick_and_keeps_the_shared_grid():
    offline_profile = config.PROFILES["offline"]
    quick = models.scratch_plan(config.PROFILES["quick"], 1101)
    offline = models.scratch_plan(offline_profile, 200)
    cap = models.SCRATCH_IMAGES["quick"]
    assert quick.images == cap < 1101 and quick.grid_images == cap // 2  # the grid trains on half of them
    assert quick.curve == (max(32, cap // 4), cap // 2, cap)  # a quarter (at least one batch), a half, all
    assert offline.images == 200 and offline.epochs == offline_profile.head_epochs + offline_profile.fine_tune_epochs
    assert quick.learning_rates == config.SCRATCH_LEARNING_RATES
