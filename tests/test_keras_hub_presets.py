"""notebook 12's plumbing: the presets per profile, the Kaggle boundary, the learning-rate sweep, Grad-CAM."""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import catalogue, config, keras_hub_presets, runtime
from helpers.errors import AssetUnavailableError


def _tiny_model(learning_rate: float = 1e-3) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def _data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(n, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_the_sweep_leaves_the_weights_and_the_optimizer_state_as_they_were():
    model = _tiny_model()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)  # an optimizer with state, as after training a head
    weights = [w.numpy().copy() for w in model.weights]
    state = [v.numpy().copy() for v in model.optimizer.variables]
    sweep = keras_hub_presets.LearningRateSweep(steps=16, start=1e-5, stop=1e-1)
    model.fit(x, y, batch_size=4, epochs=1, callbacks=[sweep], verbose=0)
    assert len(sweep.rates) > 4, "the sweep trained"
    for before, after in zip(weights + state, [*model.weights, *model.optimizer.variables]):
        np.testing.assert_array_equal(before, after.numpy())


def test_the_sweep_raises_the_rate_exponentially_and_stops_when_the_loss_explodes():
    model = _tiny_model()
    x, y = _data(256)
    sweep = keras_hub_presets.LearningRateSweep(steps=64, start=1e-4, stop=1e4)
    model.fit(x, y, batch_size=4, epochs=1, callbacks=[sweep], verbose=0)
    ratios = np.asarray(sweep.rates[1:]) / np.asarray(sweep.rates[:-1])
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)
    assert sweep.rates[0] == pytest.approx(1e-4)
    assert len(sweep.rates) < 64, "stopped before the end: the loss exploded"
    assert sweep.losses[-1] > 4 * min(sweep.losses) or not np.isfinite(sweep.losses[-1])


def test_offline_the_preset_is_the_shipped_stand_in_and_says_so():
    offline = config.PROFILES["offline"]
    assert keras_hub_presets.download_preset(offline) == keras_hub_presets.STANDIN_PRESET
    assert (keras_hub_presets.STANDIN_PRESET / "config.json").is_file()
    assert "STAND-IN" in keras_hub_presets.preset_label(offline) and "STAND-IN" in keras_hub_presets.preset_suffix(offline)
    assert keras_hub_presets.preset_suffix(config.PROFILES["quick"]) == ""


def test_an_unreachable_kaggle_gives_one_sentence_naming_the_preset(monkeypatch):
    import kagglehub

    def refuse(handle, *args, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(kagglehub, "model_download", refuse)
    with pytest.raises(AssetUnavailableError, match="mobilenet_v3_small_100_imagenet.*Kaggle Models.*make prefetch"):
        keras_hub_presets.download_preset(config.PROFILES["quick"])


@pytest.mark.parametrize("profile", sorted(keras_hub_presets.PRESETS))
def test_the_named_presets_are_keras_hubs_own_with_their_handle_and_size(profile):
    keras_hub = keras_hub_presets.import_keras_hub()
    spec = keras_hub_presets.PRESETS[profile]
    listed = keras_hub.models.Backbone.presets[spec.name]
    assert listed["kaggle_handle"] == f"kaggle://{spec.kaggle_handle}"
    assert listed["metadata"]["params"] == spec.params


def test_grad_cam_of_the_notebook_peaks_on_the_patch_that_decides_the_class():
    """A base that lights up where the image is bright and a head that says class 1 for brightness: the class-1
    heatmap of an image with one bright patch peaks on that patch, the class-0 heatmap is empty."""
    from benchmarks.layerwise_rates import notebook_code
    from helpers.plots import upsample_heatmap

    grad_cam = notebook_code("grad_cam")["grad_cam"]
    inputs = keras.Input((16, 16, 3))
    bright = keras.layers.Conv2D(1, 1, activation="relu", name="bright", kernel_initializer=keras.initializers.Constant(1 / 3),
                                 bias_initializer=keras.initializers.Constant(-0.5))(inputs)
    base = keras.Model(inputs, keras.layers.AveragePooling2D(2, name="pooled")(bright))
    head = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(1, kernel_initializer="ones")])
    image = np.zeros((1, 16, 16, 3), "float32")
    image[0, 2:6, 10:14] = 1.0  # the patch
    for layer_name in ("bright", "pooled"):
        class_one = grad_cam(base, head, image, np.array([1]), layer_name)[0]
        row, col = np.unravel_index(np.argmax(upsample_heatmap(class_one, (16, 16))), (16, 16))
        assert 2 <= row < 6 and 10 <= col < 14, f"the {layer_name} heatmap peaks at ({row}, {col}), off the patch"
        assert class_one.max() > 0
        assert not grad_cam(base, head, image, np.array([0]), layer_name).any(), "no evidence for class 0"


def test_a_silent_kaggle_ends_in_one_sentence_within_five_seconds_without_calling_kagglehub(monkeypatch, tmp_path):
    """A proxy that accepts the connection and never answers: kagglehub has no timeout, so the course asks first."""
    import time

    import kagglehub

    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(kagglehub, "model_download", lambda *a, **k: calls.append(a))
    kagglehub.model_download.__module__ = "kagglehub.models"  # looks like kagglehub's own, not a harness's
    monkeypatch.setattr(runtime, "hosts_reachable", lambda hosts, timeout: time.sleep(timeout) or dict.fromkeys(hosts, False))
    start = time.perf_counter()
    with pytest.raises(AssetUnavailableError, match=r"mobilenet_v3_small_100_imagenet.*did not answer within 2 s.*make prefetch"):
        keras_hub_presets.download_preset(config.PROFILES["quick"])
    assert time.perf_counter() - start < 5 and calls == []


def test_a_cached_preset_loads_without_asking_the_network(monkeypatch, tmp_path):
    import kagglehub
    from kagglehub.cache import Cache
    from kagglehub.handle import parse_model_handle

    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    handle = parse_model_handle(catalogue.KERAS_HUB_PRESETS["quick"].kaggle_handle)
    Path(Cache().get_path(handle)).mkdir(parents=True)
    Cache().mark_as_complete(handle)
    monkeypatch.setattr(runtime, "hosts_reachable", lambda *a, **k: pytest.fail("asked the network"))
    fetched = lambda h, *a, **k: "/cached/preset"  # noqa: E731
    fetched.__module__ = "kagglehub.models"
    monkeypatch.setattr(kagglehub, "model_download", fetched)
    assert keras_hub_presets.download_preset(config.PROFILES["quick"]) == Path("/cached/preset")
