"""What notebooks 05, 06 and 10 state: HubLayer under mixed precision, the export and TFLite, a restarted fit.

Same ``Backs:`` format as ``test_keras_behaviour.py`` (whose sentence check reads this file too).
"""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.data import preprocessing_for
from helpers.models import HubLayer, export_raw_image_model, training_callbacks
from tiny_models import tiny_base_and_model as _base_and_model
from tiny_models import tiny_data as _data


def _compiled(seed: int = 0) -> keras.Model:
    _, model = _base_and_model(seed)
    model.compile(keras.optimizers.SGD(0.5), keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def test_after_a_restart_new_callbacks_keep_best_keras_when_the_resumed_epochs_are_worse(tmp_path):
    """A restarted kernel makes new callbacks: Keras's own ModelCheckpoint forgets the best and overwrites it;
    training_callbacks, finding the backup, starts ModelCheckpoint from the saved best. EarlyStopping starts over.

    Backs:
      notebooks/10_your_own_images.ipynb: "`fine_tune` calls `training_callbacks` anew every time, as a restarted kernel would: new callback objects that remember nothing of the first run."
      notebooks/10_your_own_images.ipynb: "`training_callbacks` sees the backup and gives it the best validation loss of the first run (`initial_value_threshold`, from `best.json`)."
      notebooks/10_your_own_images.ipynb: "`EarlyStopping` starts over: its patience and the weights it restores count the resumed epochs only"
      helpers/models.py: "so a worse resumed epoch does not overwrite ``best.keras``."
    """
    x, y = _data(256)
    x_val, y_val = _data(64, seed=1)
    folder = tmp_path / "run"

    class Disconnect(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _compiled().fit(x, y, validation_data=(x_val, y_val), epochs=6, verbose=0,
                        callbacks=[*training_callbacks(folder, patience=100), Disconnect()])
    saved, best = (folder / "best.keras").read_bytes(), json.loads((folder / "best.json").read_text())
    assert best["monitor"] == "val_loss" and np.isfinite(best["best"])

    # the restart: a new model and new callbacks; the resumed epochs score worse (validation labels flipped)
    restarted = training_callbacks(folder, patience=100)
    plain = keras.callbacks.ModelCheckpoint(str(tmp_path / "plain.keras"), save_best_only=True)  # Keras's own
    history = _compiled().fit(x, y, validation_data=(x_val, 1 - y_val), epochs=6, verbose=0,
                              callbacks=[*restarted, plain])
    assert history.epoch == [3, 4, 5], "BackupAndRestore resumed after the third epoch"
    assert min(history.history["val_loss"]) > best["best"], "every resumed epoch is worse than the saved best"
    assert (folder / "best.keras").read_bytes() == saved, "best.keras still holds the first run's best epoch"
    assert (tmp_path / "plain.keras").is_file(), "a plain new ModelCheckpoint saved a worse resumed epoch"
    early_stopping = restarted[0]
    assert isinstance(early_stopping, keras.callbacks.EarlyStopping) and early_stopping.best_epoch in (3, 4, 5)


def test_a_fresh_run_without_a_backup_starts_its_checkpoint_from_nothing(tmp_path):
    x, y = _data(64)
    folder = tmp_path / "run"
    _compiled().fit(x, y, validation_data=_data(32, seed=1), epochs=2, verbose=0,
                    callbacks=training_callbacks(folder, patience=100))
    assert (folder / "best.json").is_file() and not (folder / "backup").exists(), "the fit completed"
    again = training_callbacks(folder)[-1]  # a new run from the top: its own best, not the last run's
    assert isinstance(again, keras.callbacks.ModelCheckpoint) and again.best in (None, np.inf)


def test_hub_layer_computes_in_float32_under_a_mixed_float16_policy(hub_model_path):
    """Under mixed_float16 a Keras Conv2D computes in float16; HubLayer (its SavedModel traced in float32) in float32.

    Backs:
      notebooks/05_train_the_new_head.ipynb: "`HubLayer` computes in float32: the TF Hub SavedModel's operations were saved in float32 and take float32 only."
      notebooks/05_train_the_new_head.ipynb: "the `keras.applications` form (notebook 06) computes in float16."
    """
    keras.mixed_precision.set_global_policy("mixed_float16")  # tests/conftest.py puts float32 back
    images = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    hub = HubLayer(str(hub_model_path), verbose=False)
    conv = keras.layers.Conv2D(4, 3)
    assert (hub.compute_dtype, hub(images).dtype) == ("float32", "float32")
    assert (conv.compute_dtype, conv(images).dtype) == ("float16", "float16")
    with pytest.raises((ValueError, TypeError)):  # the SavedModel has no float16 function to run
        tf.saved_model.load(str(hub_model_path))(tf.cast(images, tf.float16))


def _tflite(converter: tf.lite.TFLiteConverter, ops: list[tf.lite.OpsSet]) -> bytes:
    converter.target_spec.supported_ops = ops
    return converter.convert()


@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated:UserWarning")  # LiteRT's interpreter: same ops
def test_the_raw_image_export_does_not_convert_to_tflite_the_keras_model_and_a_plain_resize_do(tmp_path):
    """The antialiased resize inside the export (ScaleAndTranslate) is no TFLite op, built-in or TF Select; the
    Keras model at its fixed size converts with built-in ops, and so does a resize without antialiasing, any size.

    Backs:
      notebooks/06_fine_tune.ipynb: "its antialiased resize (TensorFlow's `ScaleAndTranslate` op) is neither a TFLite op nor one of the TF Select ops, so the TFLite converter refuses it"
      notebooks/06_fine_tune.ipynb: "convert the Keras model itself (`tf.lite.TFLiteConverter.from_keras_model(model)`: built-in ops, the model's fixed input size) and resize in the app"
      notebooks/06_fine_tune.ipynb: "a resize without antialiasing converts with built-in ops at any input size"
    """
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    builtin = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with_select = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    exported = export_raw_image_model(model, tmp_path / "served", 16, preprocessing_for("mobilenet_v2"))
    for ops in (builtin, with_select):
        with pytest.raises(Exception, match="ScaleAndTranslate"):
            _tflite(tf.lite.TFLiteConverter.from_saved_model(str(exported), signature_keys=["serve"]), ops)

    fixed = tf.lite.Interpreter(model_content=_tflite(tf.lite.TFLiteConverter.from_keras_model(model), builtin))
    fixed.allocate_tensors()
    images = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype("float32")
    fixed.set_tensor(fixed.get_input_details()[0]["index"], images)
    fixed.invoke()
    np.testing.assert_allclose(fixed.get_tensor(fixed.get_output_details()[0]["index"]), model(images), atol=1e-5)

    def serve(photos):  # as the export, with a plain bilinear resize (no antialiasing) on float pixels
        pixels = tf.image.resize(tf.cast(photos, tf.float32), (16, 16), method="bilinear", antialias=False)
        return model(preprocessing_for("mobilenet_v2")(tf.clip_by_value(tf.round(pixels), 0.0, 255.0)))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", serve, input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8)])
    archive.write_out(str(tmp_path / "plain"), verbose=False)
    plain = tf.saved_model.load(str(tmp_path / "plain"))
    runner = tf.lite.Interpreter(model_content=_tflite(tf.lite.TFLiteConverter.from_saved_model(
        str(tmp_path / "plain"), signature_keys=["serve"]), builtin)).get_signature_runner("serve")
    for height, width in ((40, 30), (50, 70)):  # any input size
        photo = np.random.default_rng(height).integers(0, 256, (1, height, width, 3), dtype=np.uint8)
        (lite,) = runner(photos=photo).values()
        np.testing.assert_allclose(lite, plain.serve(tf.constant(photo)).numpy(), atol=1e-5)
