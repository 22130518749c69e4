"""The judges on tiny models (helpers/exercises/judges.py) and of runs (run_judges.py): each mistake is named."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import config
from helpers.exercises import Context, judges, questions, run_judges
from tiny_answers import PROFILE, compiled, features, head, judged_as_a_real_run, run, vgg  # noqa: F401

pytestmark = pytest.mark.usefixtures("judged_as_a_real_run")
Q07 = questions("07")


def test_splits_are_recognised_by_identity_and_by_content_in_any_order():
    train, val = features(12, seed=1), features(12, seed=2)
    ctx = Context({"train_features": train[0], "train_labels": train[1],
                   "val_features": val[0], "val_labels": val[1]})
    import tensorflow as tf

    shuffled = tf.data.Dataset.from_tensor_slices(train).shuffle(12, seed=3).batch(5)
    assert run_judges.splits_of(train[0], train[1], ctx) == {"train"}
    assert run_judges.splits_of(shuffled, None, ctx) == {"train"}
    assert run_judges.splits_of((val[0], val[1]), None, ctx) == {"validation"}
    assert run_judges.splits_of(train[0][:6], train[1][:6], ctx) == set()


@pytest.mark.parametrize("preprocess, words", [
    (lambda x: x / 255.0, "[0, 1]"),
    (keras.applications.mobilenet_v2.preprocess_input, "[-1, 1]"),
    (lambda x: x[..., ::-1], "mean is not subtracted"),
    (lambda x: x[:, :2], "changes the shape"),
])
def test_preprocessing_mistakes_are_recognised(preprocess, words):
    assert words in judges.judge_preprocess(preprocess)
    assert judges.judge_preprocess(keras.applications.vgg16.preprocess_input) is None


def test_articles_and_plurals_read_right():
    assert judges.a_type(3) == "an int" and judges.a_type([]) == "a list" and judges.a_type(None) == "None"
    assert judges.plural(1, "unit") == "1 unit" and judges.plural(5, "unit") == "5 units"


def test_base_frozen_with_a_layer_set_back_is_not_frozen():
    base = vgg(frozen=True)
    base.get_layer("block5_conv3").trainable = True
    message = run(Q07[0], base)[0].message
    assert "block5_conv3" in message and "still trains them" in message


def test_metrics_are_judged_by_what_they_measure():
    ctx = Context({"cfg": PROFILE})
    model = compiled(head(), metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    assert "does not measure" in judges.judge_metrics(model, "logits", ctx, "head")
    assert judges.judge_metrics(compiled(head()), "logits", ctx, "head") is None


def test_float16_logits_are_refused(monkeypatch):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        mixed = head()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert 'dtype="float32"' in run(Q07[2], mixed)[0].message


@pytest.mark.parametrize("profile, judged", [("offline", True), ("quick", False), ("full", False)])
def test_an_accuracy_near_chance_fails_only_where_the_floor_was_measured(profile, judged):
    images, _ = features(20, seed=4)
    labels = np.zeros(20, dtype="int64")
    model = compiled(head())
    model.layers[-1].bias.assign(np.array([0.0, 50.0, 0.0, 0.0, 0.0], "float32"))  # always class 1: 0% right
    accuracy = model.evaluate(images, labels, verbose=0)[1]
    ctx = Context({"head": model, "test_features": images, "test_labels": labels, "cfg": config.PROFILES[profile]})
    problem = run_judges.judge_accuracy(accuracy, "test_accuracy", ctx, "head", "head.evaluate(...)")
    assert ("barely better than guessing" in (problem or "")) is judged, problem
    assert (problem is None) is not judged
