"""Wrong answers to exercises 07-09, each tried in the solution notebook's state: none is accepted, and each gets
a sentence that names the mistake (never a traceback).

One line per wrong answer: exercise, question, what the learner wrote, and words the answer must get back. The
code runs in a copy of the executed solution notebook's namespace (``test_snippets.notebook_state``);
for questions whose answer is a name, that name starts as ``____``, as in a student copy. When the code itself
raises (Keras refusing the data), the words must be in that error, which must be one of the course's
``CourseError`` (shown without a traceback). Objects the code changed in place are put back by running the
solution regions listed last (or, for in-place questions, the question's own region).
"""
from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from helpers import exercises
from helpers.errors import CourseError
from test_snippets import notebook_state, on_one_worker

LOAD = 'load_base("vgg16", weights="pretrained", include_top=False, input_shape=cfg.image_shape)'
SCCE = "keras.losses.SparseCategoricalCrossentropy(from_logits=True)"
TRAIN_F = "features_dataset(train_features, train_labels, cfg.batch_size)"
VAL_F = "features_dataset(val_features, val_labels, cfg.batch_size, shuffle=False)"
TEST_F = "features_dataset(test_features, test_labels, cfg.batch_size, shuffle=False)"
FIT07 = f"history = head.fit({TRAIN_F}, validation_data={VAL_F}, epochs=cfg.head_epochs, verbose=0)\n"
EVAL07 = f"test_loss, test_accuracy = head.evaluate({TEST_F}, verbose=0)\n"
UNFREEZE5 = ("base_model.trainable = True\nfor layer in base_model.layers:\n"
             "    layer.trainable = layer.name.startswith('block5')\n")
COMPILE08 = f"model.compile(keras.optimizers.Adam(cfg.fine_tune_learning_rate), {SCCE}, metrics=['accuracy'])\n"
FIT08 = ("history_fine = model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch), "
         "epochs=len(history.epoch) + cfg.fine_tune_epochs, verbose=0)\n")
STALE08 = (f"base_model.trainable = False\n{COMPILE08}model.fit(train_ds.take(1), epochs=1, verbose=0)\n"
           f"{UNFREEZE5}")
RESTART09 = "restart_training(scratch_model, initial_weights)\nscratch_model.optimizer.learning_rate.assign(best_lr)\n"
FIT09 = "history_scratch = scratch_model.fit(train_ds, validation_data=val_ds, epochs=budget, verbose=0)\n"
EVAL09 = "scratch_loss, scratch_accuracy = scratch_model.evaluate(test_ds, verbose=0)\n"
SCRATCH = ("scratch_model = keras.Sequential([keras.Input(cfg.image_shape), {base}, "
           "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(splits.num_classes, dtype='float32')])\n"
           "scratch_model.compile(keras.optimizers.Adam(1e-3), {loss}, metrics=['accuracy'])\n")
NEW_BASE = 'load_base("vgg16", weights=None, include_top=False, input_shape=cfg.image_shape)'


FRESH_HEAD = ("head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
              "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(splits.num_classes, dtype='float32')])\n")
"""A head never compiled, as in a student copy before q4."""
FRESH_MODEL = "model = keras.Sequential([keras.Input(cfg.image_shape), base_model, head])\n"
"""08's model before q2: never compiled (a compile without metrics= keeps the metrics of an earlier one)."""
FROZEN = "base_model.trainable = False\n"
"""08's base before q1 (setting ``trainable`` to the value it already has does not reach the layers)."""


def scratch(base=NEW_BASE, loss=SCCE):
    return SCRATCH.format(base=base, loss=loss)


WRONG = [
    # --------------------------------------------------------------------------------- 07 q1: the base
    ("07", "q1", f"base_model = {LOAD}", "not frozen"),
    ("07", "q1", 'base_model = load_base("vgg16", weights=None, input_shape=cfg.image_shape)\n'
     "base_model.trainable = False", "random weights"),
    ("07", "q1", 'base_model = load_base("vgg16", weights=None, include_top=True, input_shape=cfg.image_shape)',
     "include_top=False"),
    ("07", "q1", 'base_model = load_base("vgg16", input_shape=(32, 32, 3))\nbase_model.trainable = False',
     "32×32"),
    ("07", "q1", 'base_model = load_base("mobilenet_v2", input_shape=cfg.image_shape)\nbase_model.trainable = False',
     "not VGG16"),
    ("07", "q1", "base_model = load_base", "call it"),
    ("07", "q1", f"base_model = {LOAD}\nbase_model.trainable = False\nbase_model.layers[-2].trainable = True",
     "set trainable again"),
    ("07", "q1", f"base_model = {LOAD}.trainable = False", "it is a bool"),
    ("07", "q1", "base_model = None", "is None"),
    ("07", "q1", f"base_model = {LOAD}\nbase_model.trainable = True", "not frozen"),
    # ------------------------------------------------------------------------------ 07 q2: preprocessing
    ("07", "q2", "preprocess = lambda x: x / 255.0", "[0, 1]"),
    ("07", "q2", "preprocess = keras.applications.mobilenet_v2.preprocess_input", "[-1, 1]"),
    ("07", "q2", "preprocess = keras.applications.vgg16.preprocess_input(np.zeros((1, 4, 4, 3), 'float32'))",
     "function itself"),
    ("07", "q2", "preprocess = lambda x: x", "unchanged"),
    ("07", "q2", "preprocess = lambda x: x - np.array([123.68, 116.779, 103.939], 'float32')", "RGB order"),
    ("07", "q2", "preprocess = lambda x: x[..., ::-1]", "mean is not subtracted"),
    ("07", "q2", "preprocess = 'caffe'", "function itself"),
    ("07", "q2", "preprocess = keras.layers.Rescaling(1 / 255)", "[0, 1]"),
    ("07", "q2", "preprocess = lambda x: keras.applications.vgg16.preprocess_input(x / 255.0)",
     "scaled to [0, 1] before"),
    ("07", "q2", "preprocess = None", "None"),
    ("07", "q2", "preprocess = keras.applications.efficientnet.preprocess_input", "unchanged"),
    ("07", "q2", "preprocess = lambda x: tf.image.resize(x, (2, 2))", "changes the shape"),
    ("07", "q2", "preprocess = keras.applications.vgg16.decode_predictions", "raised"),
    ("07", "q2", "preprocess = lambda x: x * 3.0", "does not give what VGG16 expects"),
    # --------------------------------------------------------------------------------------- 07 q3: head
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])", "1 unit,"),
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1000)])", "ImageNet"),
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4)])", "Dense(5)"),
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.Dense(splits.num_classes)])", "pool or flatten"),
    ("07", "q3", "head = keras.Sequential([keras.Input(cfg.image_shape), keras.layers.GlobalAveragePooling2D(), "
     "keras.layers.Dense(128), keras.layers.Dense(splits.num_classes)])", "Keras says"),
    ("07", "q3", "head = keras.Sequential([keras.Input(cfg.image_shape), base_model, "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(splits.num_classes)])", "head contains VGG16"),
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5, activation='sigmoid')])", "sigmoid"),
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5, activation='relu')])", "ReLU"),
    ("07", "q3", "head = keras.layers.Dense(splits.num_classes)", "pool or flatten"),
    ("07", "q3", "head = keras.Sequential", "call it"),
    ("07", "q3", "head = None", "is None"),
    # ------------------------------------------------------------------------------------ 07 q4: compile
    ("07", "q4", FRESH_HEAD + "head.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(), "
     "metrics=['accuracy'])", "from_logits=False"),
    ("07", "q4", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5, activation='softmax')])\n"
     f"head.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=['accuracy'])", "applied twice"),
    ("07", "q4", FRESH_HEAD + "head.compile(keras.optimizers.Adam(1e-3), keras.losses.CategoricalCrossentropy(from_logits=True),"
     " metrics=['accuracy'])", "integer labels"),
    ("07", "q4", FRESH_HEAD + "head.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True), "
     "metrics=['accuracy'])", "binary"),
    ("07", "q4", FRESH_HEAD + "head.compile('adam', 'mse', metrics=['accuracy'])", "not a classification loss"),
    ("07", "q4", FRESH_HEAD + f"head.compile(keras.optimizers.Adam(0.5), {SCCE}, metrics=['accuracy'])", "too high"),
    ("07", "q4", FRESH_HEAD + f"head.compile(keras.optimizers.Adam(1e-6), {SCCE}, metrics=['accuracy'])", "too low"),
    ("07", "q4", FRESH_HEAD + f"head.compile(keras.optimizers.Adam(1e-3), {SCCE})", 'metrics=["accuracy"]'),
    ("07", "q4", FRESH_HEAD + f"head.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=['acc'])", "'acc'"),
    ("07", "q4", FRESH_HEAD + f"head.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=[keras.metrics.Accuracy()])",
     'metrics=["accuracy"]'),
    ("07", "q4", FRESH_HEAD + f"head.compile(keras.optimizers.Adam(1e-3), {SCCE}, "
     "metrics=[keras.metrics.CategoricalAccuracy(name='accuracy')])", "does not measure"),
    ("07", "q4", FRESH_HEAD + "head.compile(optimizer='adam')", "without a loss"),
    ("07", "q4", FRESH_HEAD + ""
     f"base_model.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=['accuracy'])", "compile head"),
    # ----------------------------------------------------------------------------- 07 q5: fit + evaluate
    ("07", "q5", f"history = head.fit({TEST_F}, validation_data={VAL_F}, epochs=cfg.head_epochs, verbose=0)\n"
     + EVAL07, "trained on the test split"),
    ("07", "q5", f"history = head.fit({TRAIN_F}, validation_data={TEST_F}, epochs=cfg.head_epochs, verbose=0)\n"
     + EVAL07, "validation_data is the test split"),
    ("07", "q5", f"history = head.fit({TRAIN_F}, epochs=cfg.head_epochs, verbose=0)\n" + EVAL07,
     "validation_data="),
    ("07", "q5", FIT07 + f"test_loss, test_accuracy = head.evaluate({TRAIN_F}, verbose=0)", "training split"),
    ("07", "q5", FIT07 + f"test_loss, test_accuracy = head.evaluate({VAL_F}, verbose=0)", "validation split"),
    ("07", "q5", FIT07 + f"test_accuracy, test_loss = head.evaluate({TEST_F}, verbose=0)", "is the loss"),
    ("07", "q5", FIT07 + "test_accuracy = True", "a bool"),
    ("07", "q5", FIT07 + "test_accuracy = history.history['val_accuracy'][-1]", "validation"),
    ("07", "q5", FIT07 + "test_accuracy = history.history['accuracy'][-1]", "training accuracy"),
    ("07", "q5", FIT07 + f"test_accuracy = head.evaluate({TEST_F}, verbose=0)", "unpack it"),
    ("07", "q5", FIT07 + f"test_accuracy = head.evaluate({TEST_F}, verbose=0, return_dict=True)", "a dict"),
    ("07", "q5", FIT07 + "test_accuracy = 0.9537", "not an accuracy any evaluate call"),
    ("07", "q5", FIT07 + f"test_loss, test_accuracy = head.evaluate({TEST_F}, verbose=0)\n"
     "test_accuracy = test_accuracy * 100", "not an accuracy between 0 and 1"),
    ("07", "q5", f"history = head.fit({TRAIN_F}, validation_data={VAL_F}, epochs=1, verbose=0)\n" + EVAL07,
     "epochs=cfg.head_epochs"),
    ("07", "q5", f"history = head.fit(features_dataset(train_features[:40], train_labels[:40], cfg.batch_size), "
     f"validation_data={VAL_F}, epochs=cfg.head_epochs, verbose=0)\n" + EVAL07, "all the training images"),
    ("07", "q5", EVAL07 + FIT07, "before the training"),
    ("07", "q5", "history = keras.callbacks.History()\n" + EVAL07, "not what a fit in this notebook returned"),
    ("07", "q5", f"history = head.fit(train_ds, validation_data={VAL_F}, epochs=cfg.head_epochs, verbose=0)\n"
     + EVAL07, "takes inputs of shape"),
    ("07", "q5", f"history = head.fit({TRAIN_F}, validation_data=val_ds, epochs=cfg.head_epochs, verbose=0)\n"
     + EVAL07, "features_dataset"),
    ("07", "q5", f"model.compile('adam', {SCCE}, metrics=['accuracy'])\n"
     "history = model.fit(train_ds, validation_data=val_ds, epochs=cfg.head_epochs, verbose=0)\n"
     + EVAL07, "comes from `model`.fit"),
    # ---------------------------------------------------------------------------------- 08 q1: unfreeze
    ("08", "q1", FROZEN + "base_model.trainable = True", "all 13"),
    ("08", "q1", "base_model.trainable = True\nfor layer in base_model.layers:\n"
     "    layer.trainable = layer.name[:6] in ('block4', 'block5')", "block4_conv1"),
    ("08", "q1", "base_model.trainable = True\nfor layer in base_model.layers:\n"
     "    layer.trainable = layer.name.startswith('block1')", "not in the last block"),
    ("08", "q1", "base_model.trainable = True\nfor layer in base_model.layers:\n"
     "    layer.trainable = layer.name == 'block5_conv3'", "whole last block"),
    ("08", "q1", FROZEN + "base_model.trainable = True\nfor layer in base_model.layers[:-3]:\n    layer.trainable = False",
     "whole last block"),
    ("08", "q1", FROZEN + "base_model.trainable = True\nfor layer in base_model.layers[:13]:\n    layer.trainable = False",
     "block4_conv3"),
    ("08", "q1", f"base_model = {LOAD}\n{UNFREEZE5}", "does not contain this base_model"),
    ("08", "q1", UNFREEZE5 + "head.trainable = False", "head is frozen", ["head.trainable = True"]),
    ("08", "q1", UNFREEZE5 + "model.trainable = False", "nothing in model would train",
     ["model.trainable = True"]),
    ("08", "q1", "base_model.trainable = False\nbase_model.layers[-1].trainable = True", "no weights"),
    # ---------------------------------------------------------------------------------- 08 q2: recompile
    ("08", "q2", f"model.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=['accuracy'])", "too high"),
    ("08", "q2", f"model.compile(keras.optimizers.SGD(0.01), {SCCE}, metrics=['accuracy'])", "too high"),
    ("08", "q2", "model.compile(keras.optimizers.Adam(cfg.fine_tune_learning_rate), "
     "keras.losses.SparseCategoricalCrossentropy(), metrics=['accuracy'])", "from_logits=False"),
    ("08", "q2", "model.compile(keras.optimizers.Adam(cfg.fine_tune_learning_rate), "
     "keras.losses.CategoricalCrossentropy(from_logits=True), metrics=['accuracy'])", "integer labels"),
    ("08", "q2", FRESH_MODEL + f"model.compile(keras.optimizers.Adam(cfg.fine_tune_learning_rate), {SCCE})",
     "accuracy"),
    ("08", "q2", STALE08, "old list of weights", ["q1", "q2"]),
    ("08", "q2", FRESH_MODEL + ""
     f"head.compile(keras.optimizers.Adam(cfg.fine_tune_learning_rate), {SCCE}, metrics=['accuracy'])",
     "you compiled `head`"),
    ("08", "q2", FRESH_MODEL + ""
     f"base_model.compile(keras.optimizers.Adam(cfg.fine_tune_learning_rate), {SCCE}, metrics=['accuracy'])",
     "you compiled `base_model`"),
    # ----------------------------------------------------------------------------- 08 q3: continue training
    ("08", "q3", FIT08.replace("initial_epoch=len(history.epoch)", "initial_epoch=5"), "initial_epoch=5"),
    ("08", "q3", FIT08.replace("initial_epoch=len(history.epoch)", "initial_epoch=13")
     .replace("epochs=len(history.epoch) +", "epochs=13 +"), "initial_epoch=13"),
    ("08", "q3", FIT08.replace("initial_epoch=len(history.epoch)", "initial_epoch=history.epoch[-1]"),
     "history.epoch[-1]"),
    ("08", "q3", "history_fine = model.fit(train_ds, validation_data=val_ds, epochs=cfg.fine_tune_epochs, "
     "verbose=0)", "restarted at epoch 0"),
    ("08", "q3", "history_fine = model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch), "
     "epochs=cfg.fine_tune_epochs, verbose=0)", "recorded no epoch"),
    ("08", "q3", FIT08.replace("epochs=len(history.epoch) + cfg.fine_tune_epochs", "epochs=len(history.epoch) + 1"),
     "fine-tuning epoch(s) instead of"),
    ("08", "q3", f"history_fine = head.fit({TRAIN_F}, validation_data={VAL_F}, initial_epoch=len(history.epoch), "
     "epochs=len(history.epoch) + cfg.fine_tune_epochs, verbose=0)", "comes from `head`.fit"),
    ("08", "q3", FIT08.replace("model.fit(train_ds", "model.fit(test_ds"), "trained on the test split"),
    ("08", "q3", FIT08.replace("validation_data=val_ds", "validation_data=test_ds"),
     "validation_data is the test split"),
    ("08", "q3", FIT08.replace("validation_data=val_ds, ", ""), "validation_data="),
    ("08", "q3", FIT08.replace("model.fit(train_ds", "model.fit(train_ds.take(2)"), "all the training images"),
    ("08", "q3", STALE08 + FIT08, "train step was built by an earlier fit", ["q1", "q2"]),
    ("08", "q3", FROZEN + "base_model.trainable = True\n" + COMPILE08 + FIT08, "moved during fine-tuning", ["q1", "q2"]),
    ("08", "q3", "history_fine = history", "comes from `head`.fit"),
    # ------------------------------------------------------------------------------ 08 q4: test accuracy
    ("08", "q4", "fine_tune_loss, fine_tune_accuracy = model.evaluate(train_ds, verbose=0)", "training split"),
    ("08", "q4", "fine_tune_loss, fine_tune_accuracy = model.evaluate(val_ds, verbose=0)", "validation split"),
    ("08", "q4", "fine_tune_accuracy, fine_tune_loss = model.evaluate(test_ds, verbose=0)", "is the loss"),
    ("08", "q4", "fine_tune_accuracy = frozen_accuracy", "accuracy of `head`"),
    ("08", "q4", "fine_tune_accuracy = True", "a bool"),
    ("08", "q4", "fine_tune_accuracy = history_fine.history['val_accuracy'][-1]", "validation"),
    ("08", "q4", "fine_tune_accuracy = model.evaluate(test_ds, verbose=0)", "unpack it"),
    ("08", "q4", "fine_tune_loss, fine_tune_accuracy = model.evaluate(test_ds, verbose=0)\n" + FIT08,
     "before the training"),
    ("08", "q4", "fine_tune_loss, fine_tune_accuracy = model.evaluate(test_ds, verbose=0)\n"
     "fine_tune_accuracy = round(fine_tune_accuracy * 100, 1)", "not an accuracy between 0 and 1"),
    ("08", "q4", f"fine_tune_loss, fine_tune_accuracy = head.evaluate({TEST_F}, verbose=0)", "accuracy of `head`"),
    ("08", "q4", "fine_tune_accuracy = 0.9317", "not an accuracy any evaluate call"),
    # ------------------------------------------------------------------------------ 09 q1: scratch model
    ("09", "q1", scratch(base=LOAD), "pre-trained weights"),
    ("09", "q1", scratch(base="base_model"), "contains base_model"),
    ("09", "q1", "scratch_model = keras.Sequential([keras.Input(cfg.image_shape), "
     f"{NEW_BASE}, head])\nscratch_model.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=['accuracy'])",
     "reuses `head`"),
    ("09", "q1", f"scratch_base = {NEW_BASE}\nscratch_base.trainable = False\n" + scratch(base="scratch_base"),
     "frozen"),
    ("09", "q1", scratch().splitlines()[0], "not compiled"),
    ("09", "q1", scratch(loss="keras.losses.BinaryCrossentropy(from_logits=True)"), "binary"),
    ("09", "q1", "scratch_model = keras.Sequential([keras.Input(cfg.image_shape), "
     "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(splits.num_classes)])\n"
     f"scratch_model.compile('adam', {SCCE}, metrics=['accuracy'])", "does not contain VGG16"),
    ("09", "q1", scratch().replace("Adam(1e-3)", "Adam(0.5)"), "too high"),
    ("09", "q1", "scratch_model = load_base", "call it"),
    # ---------------------------------------------------------------------------- 09 q2: scratch training
    ("09", "q2", RESTART09 + FIT09.replace("fit(train_ds", "fit(test_ds") + EVAL09,
     "trained on the test split"),
    ("09", "q2", f"history_scratch = head.fit({TRAIN_F}, validation_data={VAL_F}, epochs=budget, verbose=0)\n"
     + EVAL09, "comes from `head`.fit"),
    ("09", "q2", RESTART09 + FIT09 + "scratch_loss, scratch_accuracy = scratch_model.evaluate(train_ds, "
     "verbose=0)", "training split"),
    ("09", "q2", RESTART09 + FIT09 + "scratch_loss, scratch_accuracy = scratch_model.evaluate(val_ds, verbose=0)",
     "validation split"),
    ("09", "q2", RESTART09 + FIT09 + "scratch_accuracy, scratch_loss = scratch_model.evaluate(test_ds, verbose=0)",
     "is the loss"),
    ("09", "q2", RESTART09 + FIT09 + "scratch_accuracy = True", "a bool"),
    ("09", "q2", "scratch_model.optimizer.learning_rate.assign(best_lr)\n" + FIT09 + EVAL09,
     "did not start from initial_weights"),
    ("09", "q2", "restart_training(scratch_model, initial_weights)\n"
     "scratch_model.optimizer.learning_rate.assign(best_lr * 10)\n" + FIT09 + EVAL09, "validation chose"),
    ("09", "q2", RESTART09 + FIT09.replace("epochs=budget", "epochs=budget + 2") + EVAL09, "epochs=budget"),
    ("09", "q2", RESTART09 + FIT09.replace("validation_data=val_ds", "validation_data=test_ds") + EVAL09,
     "validation_data is the test split"),
    ("09", "q2", RESTART09 + FIT09.replace("validation_data=val_ds, ", "") + EVAL09, "validation_data="),
    ("09", "q2", RESTART09 + FIT09.replace("fit(train_ds", "fit(make_pipeline(splits.train.take("
     "plan.grid_images), cfg.image_size, preprocess, batch_size=cfg.batch_size, training=True)") + EVAL09,
     "all the training images"),
    ("09", "q2", RESTART09 + FIT09 + "scratch_accuracy = history_scratch.history['val_accuracy'][-1]",
     "validation"),
    # -------------------------------------------------------------------------------- 09 q3: the curve
    ("09", "q3", "curve_answer = 'both'", "not one of the options"),
    ("09", "q3", "curve_answer = 'a'", "not a:"),
    ("09", "q3", "curve_answer = 'c'", "not c:"),
    ("09", "q3", "curve_answer = 'd'", "not d:"),
    ("09", "q3", "curve_answer = 'b and c'", "not one of the options"),
    ("09", "q3", "curve_answer = 'b, d'", "not one of the options"),
    ("09", "q3", "curve_answer = ''", "not one of the options"),
    ("09", "q3", "curve_answer = 2", "an int"),
    ("09", "q3", "curve_answer = ['b']", "a list"),
    ("09", "q3", "curve_answer = None", "None"),
    ("09", "q3", "curve_answer = q3.choices['b']", "not one of the options"),
]
RIGHT = [  # answers written differently from the solution that do what the question asks
    ("07", "q1", f"base_model = {LOAD}\nfor layer in base_model.layers:\n    layer.trainable = False"),
    ("07", "q2", "preprocess = keras.applications.resnet50.preprocess_input"),
    ("07", "q2", "preprocess = lambda x: keras.applications.vgg16.preprocess_input(x)"),
    ("07", "q3", "head = keras.Sequential([keras.Input(base_model.output_shape[1:]), keras.layers.Flatten(), "
     "keras.layers.Dense(5, activation='softmax', dtype='float32')])\n"),
    ("07", "q4", FRESH_HEAD + f"head.compile('adam', {SCCE}, metrics=[keras.metrics.SparseCategoricalAccuracy(name='accuracy')])"),
    ("07", "q5", "history = head.fit(train_features, train_labels, validation_data=(val_features, val_labels), "
     "epochs=cfg.head_epochs, verbose=0)\n"
     "test_loss, test_accuracy = head.evaluate(test_features, test_labels, verbose=0)"),
    ("08", "q1", "for layer in base_model.layers:\n    layer.trainable = layer.name.startswith('block5')"),
    ("08", "q1", "base_model.trainable = True\nfor layer in base_model.layers[:-4]:\n    layer.trainable = False"),
    ("08", "q3", FIT08.replace("model.fit(train_ds", "model.fit(feature_ds['train']")),
    ("08", "q4", "fine_tune_loss, fine_tune_accuracy = model.evaluate(make_pipeline(splits.test, cfg.image_size, "
     "preprocess, batch_size=16), verbose=0)"),
    ("09", "q3", "curve_answer = ' B) '"),
]


def _try(exercise: str, question_id: str, code: str, restore: list[str] | None) -> tuple[exercises.Result, Any]:
    run = notebook_state(exercise)
    question = run.question(question_id)
    namespace = dict(run.namespace)
    if not question.in_place:
        namespace.update({name: exercises.____ for name in question.names})
    error = None
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        exec("import numpy as np\nimport tensorflow as tf", namespace)  # noqa: S102
        try:
            exec(compile(code, f"<wrong answer to {exercise} {question_id}>", "exec"), namespace)  # noqa: S102
        except Exception as raised:  # noqa: BLE001 -- Keras refusing the data, as in a learner's cell
            error = raised
        result = question.check(namespace=namespace)
        repair = dict(run.namespace)
        for step in (restore or ([question_id] if question.in_place else [])):
            exec(run.regions.get(step, step), repair)  # noqa: S102
    return result, error


CASES = [(*w, None) if len(w) == 4 else w for w in WRONG]


@pytest.mark.parametrize("exercise, question_id, code, words, restore",
                         [on_one_worker(*w, id=f"{w[0]}-{w[1]}-{i}") for i, w in enumerate(CASES)])
def test_wrong_answer_is_refused_with_a_sentence_naming_the_mistake(exercise, question_id, code, words, restore):
    result, error = _try(exercise, question_id, code, restore)
    assert result.status != "correct", f"accepted: {code!r}"
    if error is not None:
        assert isinstance(error, CourseError), f"raw {type(error).__name__} from {code!r}: {error}"
        assert words in str(error), str(error)
        return
    assert "raised" not in result.message or words == "raised", result.message
    if words is None:
        assert result.status == "not attempted"
    else:
        assert words in result.message, result.message


@pytest.mark.parametrize("exercise, question_id, code",
                         [on_one_worker(*r, id=f"{r[0]}-{r[1]}-{i}") for i, r in enumerate(RIGHT)])
def test_a_right_answer_written_differently_is_accepted(exercise, question_id, code):
    result, error = _try(exercise, question_id, code, None)
    assert error is None and result, (result, error)


def test_there_are_many_wrong_answers_for_every_question():
    for exercise in ("07", "08", "09"):
        for question in exercises.questions(exercise):
            tried = [w for w in WRONG if w[:2] == (exercise, question.id)]
            assert len(tried) >= 8, f"{exercise} {question.id}: only {len(tried)} wrong answers"
