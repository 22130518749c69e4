"""The record of every ``fit`` and ``evaluate`` call (helpers/exercises/recording.py) that the checks grade by."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers.exercises import recording
from tiny_answers import compiled, features, head, judged_as_a_real_run  # noqa: F401

pytestmark = pytest.mark.usefixtures("judged_as_a_real_run")


def test_fits_and_evaluations_are_recorded_with_their_data_and_effect():
    model = compiled(head())
    x, y = features(40)
    history = model.fit(x, y, epochs=2, initial_epoch=0, verbose=0)
    record = recording.fit_of(history)
    assert record.model() is model and record.x is x and record.epochs == 2
    assert record.moved == {id(v) for v in model.trainable_weights}
    loss, accuracy = model.evaluate(x, y, verbose=0)
    found = recording.evaluations_giving(accuracy)
    assert found and found[0][0].model() is model and found[0][0].x is x and found[0][1] == "accuracy"


def test_frozen_weights_are_not_counted_as_moved():
    model = compiled(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="low"),
                                       keras.layers.Dense(5, name="top")]))
    model.get_layer("low").trainable = False
    compiled(model)
    history = model.fit(np.ones((8, 4), "float32"), np.arange(8) % 5, verbose=0)
    moved = recording.fit_of(history).moved
    assert moved == {id(v) for v in model.get_layer("top").weights}


def test_the_train_step_keeps_the_variables_of_the_fit_that_traced_it():
    model = compiled(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="low"),
                                       keras.layers.Dense(5, name="top")]))
    model.get_layer("low").trainable = False
    compiled(model)
    model.fit(np.ones((8, 4), "float32"), np.arange(8) % 5, verbose=0)
    model.get_layer("low").trainable = True
    assert recording.train_step_variables(model) != {id(v) for v in model.trainable_weights}
    compiled(model)
    assert recording.train_step_variables(model) is None  # the next fit traces a new step


def test_data_a_model_cannot_take_gets_a_course_sentence():
    model = compiled(head())
    with pytest.raises(recording.ExerciseMistake, match="takes inputs of shape .* gives images"):
        model.fit(np.zeros((4, 8, 8, 3), "float32"), np.zeros(4), verbose=0)


def test_install_is_idempotent():
    before = keras.Model.fit
    recording.install()
    assert keras.Model.fit._course_original is before._course_original
