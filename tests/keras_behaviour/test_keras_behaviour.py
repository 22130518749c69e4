"""What the course says about Keras, shown on tiny models: if an upgrade changes a behaviour, a test fails.

Every test here backs sentences the course makes. Its docstring lists them under ``Backs:``, one per line, as
``<file>: "<sentence>"``; :func:`test_every_sentence_backed_here_is_still_where_it_says` checks that each
sentence still stands in that file (notebook cells, markdown, or a Python string literal, whitespace aside), so a
lesson cannot drift away from the test that proves it. Every ``test_*.py`` file of ``tests/keras_behaviour/`` follows
the same format and is checked too; their tiny models are in ``tiny_models.py`` beside them.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from tiny_models import moved as _moved
from tiny_models import tiny_base_and_model as _base_and_model
from tiny_models import tiny_data as _data

REPO = Path(__file__).resolve().parents[2]
BACKS_RE = re.compile(r'^\s*(?P<file>[\w./-]+):\s*"(?P<sentence>.+)"\s*$')


# ----------------------------------------------------------------------------------- the sentence check
def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def backed_sentences() -> list[tuple[str, str, str]]:
    """``(test name, file, sentence)`` for every ``Backs:`` line of every behaviour test module."""
    found = []
    for module in sorted(REPO.glob("tests/keras_behaviour/test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = ast.get_docstring(node) or ""
                if "Backs:" not in doc:
                    continue
                for line in doc.split("Backs:", 1)[1].splitlines():
                    match = BACKS_RE.match(line)
                    if match:
                        found.append((node.name, match["file"], match["sentence"]))
    return found


def _searchable_text(path: Path) -> str:
    """What a reader of ``path`` reads: a notebook's cell sources, a module's string literals, a text file."""
    if path.suffix == ".ipynb":
        return _squash("\n".join("".join(c["source"]) for c in json.loads(path.read_text("utf8"))["cells"]))
    if path.suffix == ".py":  # adjacent literals are one constant in the AST; f-strings keep their literal parts
        strings = [n.value for n in ast.walk(ast.parse(path.read_text("utf8")))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        return _squash("\n".join(strings))
    return _squash(path.read_text(encoding="utf8"))


def test_behaviour_tests_back_sentences():
    assert len(backed_sentences()) >= 10


@pytest.mark.parametrize("test, file, sentence", backed_sentences(), ids=lambda v: str(v)[:40])
def test_every_sentence_backed_here_is_still_where_it_says(test, file, sentence):
    path = REPO / file
    assert path.is_file(), f"{test} backs a sentence in {file}, which does not exist"
    assert _squash(sentence) in _searchable_text(path), f"{test} backs a sentence no longer in {file}: {sentence!r}"


# ----------------------------------------------------------------------------------------- tiny models
def _compile(model: keras.Model, lr: float = 0.05) -> None:
    model.compile(keras.optimizers.SGD(lr), keras.losses.BinaryCrossentropy(from_logits=True))


# ------------------------------------------------------------------------------------------- behaviours
def test_unfreezing_without_recompiling_trains_nothing_new_recompiling_does():
    """After compile + fit, setting trainable=True does not reach the traced train step until compile runs again.

    Backs:
      notebooks/06_fine_tune.ipynb: "Changing `trainable` only takes effect after `compile`."
    """
    base, model = _base_and_model()
    base.trainable = False
    _compile(model)
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    base.trainable = True  # unfrozen, not recompiled
    before = base.get_layer("top").get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert not _moved(before, base.get_layer("top")), "the old train step still holds the frozen variable list"
    _compile(model)
    model.fit(x, y, epochs=2, verbose=0)
    assert _moved(before, base.get_layer("top"))


def test_summary_counts_newly_unfrozen_weights_before_any_recompile():
    """``model.summary()`` reads the current trainable weights, not those of the training step compile built.

    Backs:
      notebooks/06_fine_tune.ipynb: "and `model.summary()` already shows the new trainable count, so it will not warn you"
      docs/instructor-guide.md: "`model.summary()` counts the current trainable weights, so it already shows the new count"
    """
    base, model = _base_and_model()
    base.trainable = False
    _compile(model)
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    lines: list[str] = []
    model.summary(print_fn=lambda line, **kw: lines.append(line))
    frozen_count = next(line for line in lines if "Trainable params" in line)
    base.trainable = True  # not recompiled
    lines.clear()
    model.summary(print_fn=lambda line, **kw: lines.append(line))
    unfrozen_count = next(line for line in lines if "Trainable params" in line)
    assert frozen_count != unfrozen_count and "(28.00 B)" not in unfrozen_count
    before = base.get_layer("low").get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert not _moved(before, base.get_layer("low")), "and yet the weights it counts do not train"


def test_the_accuracy_metric_thresholds_a_logit_at_one_half_binary_accuracy_at_zero_if_asked():
    """With BinaryCrossentropy, ``metrics=["accuracy"]`` is binary accuracy at 0.5, wrong for logits.

    Backs:
      notebooks/05_train_the_new_head.ipynb: "with a logit output, `metrics=["accuracy"]` compares the logit with 0.5"
      notebooks/05_train_the_new_head.ipynb: "logit's decision threshold is **0** (sigmoid(0) = 0.5)"
    """
    logits = np.array([[0.3], [0.2], [-0.4]], dtype="float32")  # positive, positive, negative class
    labels = np.array([[1.0], [1.0], [0.0]], dtype="float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Identity()])
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy", keras.metrics.BinaryAccuracy(threshold=0.0, name="logit_accuracy")])
    _, accuracy, logit_accuracy = model.evaluate(logits, labels, verbose=0)
    assert accuracy == pytest.approx(1 / 3) and logit_accuracy == 1.0


def test_from_logits_false_on_a_dense_without_sigmoid_computes_another_loss():
    """The loss assumes probabilities when from_logits is False: on logits it is a different number.

    Backs:
      notebooks/05_train_the_new_head.ipynb: "the loss is computed on the wrong scale"
    """
    logits, labels = np.array([[0.5], [-0.5]], "float32"), np.array([[1.0], [0.0]], "float32")
    right = float(keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits))  # log(1 + e^-0.5) = 0.47
    wrong = float(keras.losses.BinaryCrossentropy(from_logits=False)(labels, logits))  # logits read as probabilities
    assert right == pytest.approx(0.474, abs=0.01) and abs(right - wrong) > 0.1


def _bn_model(training: bool | None) -> tuple[keras.Model, keras.layers.BatchNormalization]:
    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), keras.layers.BatchNormalization(name="bn")])
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(1)(base(inputs, training=training) if training is not None else base(inputs))
    return keras.Model(inputs, outputs), base.get_layer("bn")


def test_batchnorm_in_training_mode_uses_batch_statistics_and_moves_its_own():
    """A trainable BatchNorm called in training mode normalises by the batch and updates its moving statistics.

    Backs:
      notebooks/06_fine_tune.ipynb: "A trainable BatchNorm layer called with `training=True` (what `fit` does) normalises each image with the statistics of *its batch*, and moves its stored statistics towards them."
    """
    layer = keras.layers.BatchNormalization()
    batch = np.random.default_rng(0).normal(3.0, 2.0, size=(8, 4)).astype("float32")
    same_first = np.concatenate([batch[:2], batch[2:8] * 5.0])
    a, b = np.asarray(layer(batch, training=True))[:2], np.asarray(layer(same_first, training=True))[:2]
    assert not np.allclose(a, b), "the same two rows come out differently in another batch"
    assert not np.allclose(layer.moving_mean.numpy(), 0.0), "the stored statistics moved"
    c, d = np.asarray(layer(batch, training=False))[:2], np.asarray(layer(same_first, training=False))[:2]
    np.testing.assert_allclose(c, d, atol=1e-6)


def test_training_false_at_build_time_does_not_survive_fit_a_frozen_batchnorm_does():
    """Keras 3: fit's training=True overrides base(inputs, training=False); a frozen BatchNorm stays in inference mode.

    keras-team/keras#20285: the Functional model passes its own ``training`` to every layer it calls. BatchNorm
    uses batch statistics only when ``training and self.trainable``.

    Backs:
      notebooks/06_fine_tune.ipynb: "On Keras 3 that line does not do it: `fit` calls the model with `training=True`, and that reaches every layer inside, whatever was written when the model was built"
      notebooks/06_fine_tune.ipynb: "a frozen BatchNorm layer always runs in inference mode, with the statistics it learned on the source data, while its neighbours train"
      docs/instructor-guide.md: "passing `training=False` when building the model does not prevent it on Keras 3"
      notebooks/11_scale_up.ipynb: "`fit` passes `training=True` down to every layer, overriding any `training=False` given when the model was built"
    """
    x, y = _data()
    model, bn = _bn_model(training=False)  # the Keras 2 recipe: base(inputs, training=False)
    _compile(model)
    mean = bn.moving_mean.numpy().copy()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert not np.allclose(mean, bn.moving_mean.numpy(), atol=1e-6), "the statistics moved despite training=False"
    bn.trainable = False  # the Keras 3 recipe
    _compile(model)
    mean, dense = bn.moving_mean.numpy().copy(), model.layers[-1].get_weights()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(mean, bn.moving_mean.numpy())
    assert _moved(dense, model.layers[-1]), "while the layers around it train"


def test_initial_epoch_numbers_the_epochs_on_and_epochs_is_where_to_stop():
    """fit(initial_epoch=k, epochs=n) runs epochs k .. n-1; history.epoch[-1] + 1 is how many ran before.

    Backs:
      notebooks/06_fine_tune.ipynb: "`initial_epoch=len(history.epoch)` is the number of epochs already run, and `epochs=` is the epoch to *stop* at"
      notebooks/05_train_the_new_head.ipynb: "`history.epoch[-1]` is the *number of the last* epoch (counting from 0), not the number of epochs run: so fine-tuning starts by repeating that epoch's number, and it runs `fine_tune_epochs + 1` epochs"
    """
    _, model = _base_and_model()
    _compile(model)
    x, y = _data()
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2]
    assert model.fit(x, y, initial_epoch=len(history.epoch), epochs=5, verbose=0).epoch == [3, 4]
    seed_style = model.fit(x, y, initial_epoch=history.epoch[-1], epochs=3 + 2, verbose=0)
    assert seed_style.epoch == [2, 3, 4], "epoch 2 again, and three epochs for fine_tune_epochs=2"


def test_preprocess_input_changes_a_float_numpy_array_in_place():
    """keras.applications' preprocess_input functions write into a float NumPy array they are given.

    Backs:
      notebooks/03_preprocess_your_data.ipynb: "on NumPy arrays some `preprocess_input` functions work *in place*"
      notebooks/03_preprocess_your_data.ipynb: "**Calling `preprocess_input` on a NumPy array you reuse**: it may modify it in place."
    """
    for preprocess in (keras.applications.vgg16.preprocess_input, keras.applications.mobilenet_v2.preprocess_input):
        pixels = np.full((1, 2, 2, 3), 100.0, dtype="float32")
        preprocess(pixels)
        assert not np.allclose(pixels, 100.0), preprocess.__module__
        kept = np.full((1, 2, 2, 3), 100.0, dtype="float32")
        preprocess(kept.copy())
        assert np.allclose(kept, 100.0), "a copy protects the original"


def test_include_top_false_drops_the_pooling_and_the_imagenet_dense():
    """The base without its top ends in a feature map; pooling="avg" puts the pooling back.

    Backs:
      notebooks/04_replace_the_head.ipynb: "`include_top=False` drops the pooling and the 1,000-way `Dense`; `pooling="avg"` puts the pooling back"
    """
    top = keras.applications.MobileNetV2(weights=None, include_top=True, input_shape=(96, 96, 3))
    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(96, 96, 3))
    pooled = keras.applications.MobileNetV2(weights=None, include_top=False, pooling="avg", input_shape=(96, 96, 3))
    assert isinstance(top.layers[-1], keras.layers.Dense) and top.output.shape[-1] == 1000
    assert len(base.output.shape) == 4 and not any(isinstance(layer, keras.layers.Dense) for layer in base.layers)
    assert len(pooled.output.shape) == 2 and pooled.output.shape[-1] == base.output.shape[-1]


def test_keras_3_refuses_a_tf_hub_keras_layer_and_cannot_see_weights_behind_a_lambda(hub_model_path):
    """hub.KerasLayer is a tf-keras (Keras 2) layer; wrapped in a Lambda, a hub model's weights are invisible.

    Backs:
      notebooks/04_replace_the_head.ipynb: "Keras 3 refuses a layer from the other library"
      notebooks/04_replace_the_head.ipynb: "**Wrapping a hub model in `keras.layers.Lambda`**: Keras 3 cannot see its weights, so they never train."
    """
    import tensorflow as tf
    import tensorflow_hub as hub

    with pytest.raises((ValueError, TypeError)):
        tf.keras.Sequential([hub.KerasLayer(str(hub_model_path)), tf.keras.layers.Dense(1)])
    module = hub.load(str(hub_model_path))
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Lambda(lambda images: module(images)),
                              keras.layers.Dense(1)])
    assert len(model.trainable_weights) == 2, "only the Dense layer's kernel and bias: the hub weights are unseen"


def test_tf_use_legacy_keras_is_read_when_tf_keras_is_first_used():
    """TF_USE_LEGACY_KERAS switches tf.keras to tf-keras if set before tf.keras is first used, and not after.

    Backs:
      notebooks/04_replace_the_head.ipynb: "Set `TF_USE_LEGACY_KERAS=1` **before anything uses `tf.keras`**"
      notebooks/04_replace_the_head.ipynb: "TensorFlow reads it when `tf.keras` is first used; after that it has no effect until you restart the kernel."
    """
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}

    def tf_keras_module(before_setting: str) -> str:
        code = (f"import os, tensorflow as tf\n{before_setting}\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\n"
                "print(tf.keras.Sequential.__module__)")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                              check=True).stdout.strip()

    assert tf_keras_module("pass").startswith("tf_keras."), "set before tf.keras was used: Keras 2"
    assert tf_keras_module("tf.keras.layers").startswith("keras."), "set after: still Keras 3"


def test_after_a_resumed_fit_a_later_fit_on_the_same_model_starts_at_the_restored_epoch(tmp_path):
    """BackupAndRestore leaves the restored epoch on the model: a short later fit trains nothing.

    Backs:
      helpers/models.py: "After a resumed fit the model remembers the restored epoch: a later fit on the same model starts from it, so `fit(epochs=n)` with n no greater than that epoch trains nothing (Keras 3.13-3.15)."
    """
    _, model = _base_and_model()
    _compile(model)
    x, y = _data()

    class Disconnect(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path)), Disconnect()])
    resumed = model.fit(x, y, epochs=4, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path))])
    assert resumed.epoch == [2, 3], "it resumed at the next epoch"
    assert model.fit(x, y, epochs=2, verbose=0).epoch == [], "a later fit of 2 epochs trains nothing"


def test_terminate_on_nan_stops_fit_at_the_first_nan_batch_and_its_history_ends_in_nan():
    """A diverging run with ``keras.callbacks.TerminateOnNaN`` stops right after the batch whose loss is not finite.

    Backs:
      notebooks/09_exercise_compare_with_scratch.ipynb: "A rate so high that the training loss becomes NaN (the weights blow up) is stopped by `keras.callbacks.TerminateOnNaN` at that batch and is not a candidate"
    """
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e3), "mse")  # far too high a rate: the weights blow up
    x, y = _data(64)
    losses = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[record, keras.callbacks.TerminateOnNaN()])
    first_bad = next(i for i, loss in enumerate(losses) if not np.isfinite(loss))
    assert len(losses) == first_bad + 1 == int(model.optimizer.iterations) < 5 * 8  # stopped at that very batch
    assert len(history.epoch) == first_bad // 8 + 1  # the epoch it stopped in is the last one recorded
    assert not np.isfinite(history.history["loss"][-1])
