"""What exercises 07-09 and their checks say about Keras, shown on tiny models (the format of
tests/keras_behaviour/test_keras_behaviour.py: each test's ``Backs:`` lines quote the sentences it backs, and that
module's checker verifies they still stand in their files)."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers.models import restart_training
from tiny_models import moved as _moved
from tiny_models import tiny_base_and_model, tiny_data

NB07 = "notebooks/solutions/07_exercise_vgg16_classify.ipynb"
NB08 = "notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb"
NB09 = "notebooks/solutions/09_exercise_compare_with_scratch.ipynb"
SCCE = keras.losses.SparseCategoricalCrossentropy


def _data(n: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return tiny_data(n, seed, classes=4)  # integer labels


def _base_and_model(seed: int = 0) -> tuple[keras.Model, keras.Model]:
    return tiny_base_and_model(seed, outputs=4)


def _compile(model: keras.Model, lr: float = 0.05) -> None:
    model.compile(keras.optimizers.SGD(lr), SCCE(from_logits=True), metrics=["accuracy"])


def _weights(layer: keras.layers.Layer) -> list[np.ndarray]:
    return [np.array(w) for w in layer.get_weights()]


def test_a_layer_set_trainable_inside_a_frozen_base_is_trained_by_the_model():
    """base.trainable = False sets every layer to False; one set back to True trains, in the outer model.

    Backs:
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "`base_model.trainable = False` sets every layer of the base to False."
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "Setting a layer back to True afterwards makes `model` train that layer, even though `base_model.trainable` stays False and `base_model.trainable_weights` is empty."
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "It is empty while `base_model.trainable` is False, even when `model` trains block5; `model.trainable_weights` is what fit updates."
      notebooks/solutions/07_exercise_vgg16_classify.ipynb: "On Keras 3, a model that contains the base trains that layer although `base_model.trainable` is False."
      helpers/exercises/ex07.py: "on Keras 3 a model that contains base_model still trains them."
    """
    base, model = _base_and_model()
    base.trainable = False
    assert not any(layer.trainable for layer in base.layers)
    base.get_layer("top").trainable = True
    assert base.trainable is False and base.trainable_weights == []
    top = base.get_layer("top")
    assert {id(v) for v in top.weights} <= {id(v) for v in model.trainable_weights}
    low, high = _weights(base.get_layer("low")), _weights(top)
    _compile(model)
    model.fit(*_data(), epochs=2, verbose=0)
    assert _moved(high, top) and not _moved(low, base.get_layer("low"))


def test_after_a_fit_newly_unfrozen_weights_move_only_after_compile():
    """The train step traced by fit keeps its variable list; compile makes the next fit trace a new one.

    Backs:
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "Once `model` has been fit, its train step keeps the list of weights that were trainable then: a new `trainable` setting only reaches training through `compile`."
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "After a fit, the train step keeps its old list of weights, so newly unfrozen ones never move"
      helpers/exercises/ex08.py: "its train step still updates the old list of weights, so the newly unfrozen ones would never move."
      helpers/exercises/ex08.py: "model's train step was built by an earlier fit, before block5 was unfrozen, and model was not compiled since."
    """
    base, model = _base_and_model()
    base.trainable = False
    _compile(model)
    model.fit(*_data(), epochs=1, verbose=0)
    base.trainable = True
    before = _weights(base.get_layer("top"))
    model.fit(*_data(), epochs=2, verbose=0)
    assert not _moved(before, base.get_layer("top"))
    _compile(model)
    assert model.train_function is None
    model.fit(*_data(), epochs=2, verbose=0)
    assert _moved(before, base.get_layer("top"))


def test_initial_epoch_continues_the_count_and_epochs_is_where_to_stop():
    """History.epoch holds epoch indices; fit runs initial_epoch ... epochs - 1.

    Backs:
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "the head ran epochs 0 to `len(history.epoch) - 1`, so the next one is `len(history.epoch)`, and `epochs=` is the epoch to stop at."
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "`initial_epoch=len(history.epoch)` continues the epoch count; `epochs=` is where to stop."
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "`epochs` is where to stop, so nothing trains."
      notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb: "That is the index of the last epoch done: it runs again."
      helpers/exercises/ex08.py: "epochs= is the epoch to stop at, so epochs=initial_epoch + cfg.fine_tune_epochs."
    """
    _, model = _base_and_model()
    _compile(model)
    history = model.fit(*_data(), epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2]
    fine = model.fit(*_data(), initial_epoch=len(history.epoch), epochs=len(history.epoch) + 2, verbose=0)
    assert fine.epoch == [3, 4]
    before = _weights(model.layers[-1])
    nothing = model.fit(*_data(), initial_epoch=len(history.epoch), epochs=2, verbose=0)
    assert nothing.epoch == [] and not _moved(before, model.layers[-1])
    again = model.fit(*_data(), initial_epoch=history.epoch[-1], epochs=history.epoch[-1] + 2, verbose=0)
    assert again.epoch[0] == history.epoch[-1]  # the head's last epoch index, run again


def test_the_accuracy_string_with_integer_labels_is_sparse_categorical_accuracy():
    """metrics=["accuracy"] with SparseCategoricalCrossentropy measures the share of right classes.

    Backs:
      notebooks/solutions/07_exercise_vgg16_classify.ipynb: "(with integer labels, Keras turns the string into `SparseCategoricalAccuracy`)."
      helpers/exercises/judges.py: "which Keras turns into SparseCategoricalAccuracy for integer labels."
    """
    model = keras.Sequential([keras.Input((3,)), keras.layers.Identity()])
    model.compile("sgd", SCCE(from_logits=True), metrics=["accuracy"])
    logits = np.array([[3, 0, 0], [0, 3, 0], [0, 0, 3], [3, 0, 0]], "float32")
    labels = np.array([0, 1, 2, 2])
    model.evaluate(logits, labels, verbose=0)
    assert [type(m).__name__ for m in model._compile_metrics.metrics] == ["SparseCategoricalAccuracy"]
    assert model.evaluate(logits, labels, verbose=0, return_dict=True)["accuracy"] == pytest.approx(0.75)


def test_evaluate_returns_loss_then_accuracy():
    """The list evaluate returns is [loss, accuracy], in that order.

    Backs:
      notebooks/solutions/07_exercise_vgg16_classify.ipynb: "then evaluate **once** on the test features: `evaluate` returns `[loss, accuracy]`."
      helpers/exercises/ex08.py: "evaluate returns [loss, accuracy] because the model was compiled with metrics="
    """
    _, model = _base_and_model()
    _compile(model)
    loss, accuracy = model.evaluate(*_data(), verbose=0)
    logs = model.evaluate(*_data(), verbose=0, return_dict=True)
    assert (loss, accuracy) == pytest.approx((logs["loss"], logs["accuracy"]))


def test_under_mixed_precision_a_dense_layer_outputs_float16_unless_it_is_float32():
    """mixed_float16 computes in float16; a Dense(dtype="float32") head gives float32 logits.

    Backs:
      notebooks/solutions/07_exercise_vgg16_classify.ipynb: "under mixed precision, on a GPU, the other layers compute in float16; the logits the loss reads must stay float32"
      helpers/exercises/ex07.py: "no activation, so it outputs logits, in float32 even under mixed precision."
    """
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        safe = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(3, dtype="float32")])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    x = np.ones((2, 4), "float32")
    assert "float16" in str(plain(x).dtype) and "float32" in str(safe(x).dtype)


def test_from_logits_true_on_probabilities_applies_softmax_twice_and_the_default_expects_probabilities():
    """SparseCategoricalCrossentropy(from_logits=True) softmaxes its input; the default from_logits is False.

    Backs:
      helpers/exercises/judges.py: "ends with softmax but the loss has from_logits=True, so softmax is applied twice: remove the softmax, or set from_logits=False."
      helpers/exercises/judges.py: "outputs logits (no softmax at the end) but the loss has from_logits=False (the default): set from_logits=True."
    """
    logits = np.array([[2.0, 0.5, -1.0]], "float32")
    probabilities = np.asarray(keras.ops.softmax(logits))
    labels = np.array([0])
    twice = SCCE(from_logits=True)(labels, probabilities)
    assert float(twice) == pytest.approx(float(SCCE()(labels, np.asarray(keras.ops.softmax(probabilities)))))
    assert float(twice) > float(SCCE(from_logits=True)(labels, logits)) + 0.3
    assert SCCE().get_config()["from_logits"] is False


def test_categorical_crossentropy_refuses_integer_labels():
    """CategoricalCrossentropy wants one-hot labels of shape (batch, classes).

    Backs:
      helpers/exercises/judges.py: "CategoricalCrossentropy expects one-hot labels of shape (batch, "
    """
    with pytest.raises(Exception):  # noqa: B017 -- Keras raises a ValueError or a TensorFlow shape error
        keras.losses.CategoricalCrossentropy(from_logits=True)(np.array([0, 2]), np.zeros((2, 3), "float32"))


def test_restart_training_equals_a_fresh_compile_and_keeps_the_train_step_and_assign_sets_the_rate():
    """restart_training puts back weights and optimizer state without a new trace; assign changes the rate.

    Backs:
      notebooks/solutions/09_exercise_compare_with_scratch.ipynb: "`restart_training` puts back the initial weights and a fresh optimizer without compiling again (the same as building and compiling the model anew, without paying for the graph building again), and `optimizer.learning_rate.assign(...)` sets the rate."
      helpers/exercises/ex09.py: "scratch_model.optimizer.learning_rate.assign(best_lr) sets the rate without compiling again."
      notebooks/solutions/09_exercise_compare_with_scratch.ipynb: "between runs: the next run continues the last one."
    """
    x, y = _data()
    _, model = _base_and_model()
    model.compile(keras.optimizers.Adam(0.01), SCCE(from_logits=True), metrics=["accuracy"])
    start = model.get_weights()
    model.fit(x, y, epochs=2, shuffle=False, verbose=0)
    continued = model.get_weights()
    traced = model.train_function
    restart_training(model, start)
    model.optimizer.learning_rate.assign(0.001)
    model.fit(x, y, epochs=2, shuffle=False, verbose=0)
    assert model.train_function is traced
    _, fresh = _base_and_model()
    fresh.set_weights(start)
    fresh.compile(keras.optimizers.Adam(0.001), SCCE(from_logits=True), metrics=["accuracy"])
    fresh.fit(x, y, epochs=2, shuffle=False, verbose=0)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(model.get_weights(), fresh.get_weights()))
    model.fit(x, y, epochs=1, shuffle=False, verbose=0)  # no restart: it goes on from where it was
    assert not all(np.allclose(a, b) for a, b in zip(model.get_weights(), fresh.get_weights()))
    assert not all(np.allclose(a, b) for a, b in zip(continued, fresh.get_weights()))


def test_compile_without_metrics_or_loss_keeps_the_ones_of_an_earlier_compile():
    """A second compile() that leaves out loss= or metrics= keeps the earlier ones (why 08's check reads the
    compiled metrics, not the last call's arguments)."""
    _, model = _base_and_model()
    _compile(model)
    model.compile(keras.optimizers.SGD(0.01))
    logs = model.evaluate(*_data(), verbose=0, return_dict=True)
    assert "accuracy" in logs and model.loss is not None


def test_setting_trainable_to_the_value_it_already_has_does_not_reach_the_layers():
    """base.trainable = True on a base that is already trainable leaves its layers' own flags as they are."""
    base, _ = _base_and_model()
    base.get_layer("low").trainable = False
    base.trainable = True
    assert base.get_layer("low").trainable is False
    base.trainable = False
    base.trainable = True
    assert base.get_layer("low").trainable is True
