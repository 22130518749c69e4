"""Two behaviours notebooks 05 and 10 state: a restarted fit's callbacks, and HubLayer under mixed precision.

Same ``Backs:`` format as ``test_keras_behaviour.py`` (whose sentence check reads this file too).
"""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.models import HubLayer, training_callbacks
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
      notebooks/10_your_own_images.ipynb: "`EarlyStopping` has no such setting: its patience and the best weights it restores count the resumed epochs only"
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
    """Under mixed_float16 a Keras Conv2D computes in float16; HubLayer, around a SavedModel traced in float32, in float32.

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
