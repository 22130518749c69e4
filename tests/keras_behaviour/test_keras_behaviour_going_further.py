"""Keras and KerasHub behaviour notebook 12 states, on tiny models (the ``Backs:`` format of test_keras_behaviour.py)."""
from __future__ import annotations

import keras
import numpy as np

from helpers import keras_hub_presets


def test_adam_takes_the_same_step_for_a_gradient_scaled_by_a_tenth():
    """Adam divides each step by the gradient's running size, so scaling a gradient does not scale the step.

    Backs:
      notebooks/12_going_further.ipynb: "Scaling the base's gradients by 1/10 does **not** do it with Adam"
      notebooks/12_going_further.ipynb: "Scaling gradients does nothing with Adam."
    """
    steps = []
    for scale in (1.0, 0.1):
        variable = keras.Variable(np.zeros(4, "float32"))
        optimizer = keras.optimizers.Adam(1e-2)
        for gradient in ([1.0, -2.0, 0.5, 3.0], [0.5, -1.0, 1.0, 2.0]):
            optimizer.apply([np.float32(scale) * np.array(gradient, "float32")], [variable])
        steps.append(variable.numpy())
    np.testing.assert_allclose(steps[0], steps[1], rtol=1e-4)
    assert np.abs(steps[0]).min() > 1e-3, "the steps are real steps, not zero"


def test_keras_hub_from_preset_with_num_classes_loads_the_backbone_and_a_fresh_logit_head():
    """``ImageClassifier.from_preset(folder, num_classes=N)``: the backbone's saved weights, a new N-logit head.

    Backs:
      notebooks/12_going_further.ipynb: "builds the backbone with its pre-trained weights and a **fresh** head of N classes"
      notebooks/12_going_further.ipynb: "a preset is a name on Kaggle Models or a local folder"
      notebooks/12_going_further.ipynb: "**Forgetting that `from_preset(..., num_classes=N)` gives logits**"
    """
    keras_hub = keras_hub_presets.import_keras_hub()
    folder = str(keras_hub_presets.STANDIN_PRESET)
    backbone = keras_hub.models.Backbone.from_preset(folder)
    keras.utils.set_random_seed(0)
    first = keras_hub.models.ImageClassifier.from_preset(folder, num_classes=3)
    keras.utils.set_random_seed(1)
    second = keras_hub.models.ImageClassifier.from_preset(folder, num_classes=3)
    for a, b in zip(backbone.get_weights(), first.backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    heads = [m.output_dense.get_weights()[0] for m in (first, second)]
    assert heads[0].shape[-1] == 3 and not np.array_equal(*heads), "the head is new, drawn from the seed"
    scores = first.predict(np.random.default_rng(0).uniform(0, 255, (4, 64, 64, 3)).astype("float32"), verbose=0)
    assert scores.shape == (4, 3) and not np.allclose(scores.sum(axis=1), 1.0), "logits, not probabilities"


def _stand_in_classifier_and_raw_pixels() -> tuple[keras.Model, np.ndarray]:
    """The offline stand-in preset as a 2-class ImageClassifier, and two raw 0-255 images at its 64 px."""
    keras_hub = keras_hub_presets.import_keras_hub()
    classifier = keras_hub.models.ImageClassifier.from_preset(str(keras_hub_presets.STANDIN_PRESET), num_classes=2)
    return classifier, np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")


def test_a_keras_hub_task_preprocesses_raw_pixels_with_its_converter():
    """``predict`` passes raw 0-255 images through the preset's ImageConverter (here: resize, scale by 1/255).

    Backs:
      notebooks/12_going_further.ipynb: "`fit`, `evaluate` and `predict` pass every batch through the preset's `ImageConverter`"
      notebooks/12_going_further.ipynb: "**Adding `preprocess_input` in front of a KerasHub task**: its converter rescales again"
    """
    classifier, raw = _stand_in_classifier_and_raw_pixels()
    by_hand = classifier(raw / 255.0)  # the model without its preprocessor, fed what the converter makes
    np.testing.assert_allclose(classifier.predict(raw, verbose=0), by_hand, atol=1e-4)
    twice = classifier.predict(raw / 255.0, verbose=0)  # preprocess_input-style input, rescaled again
    assert not np.allclose(twice, by_hand, atol=1e-3)


def test_calling_a_keras_hub_task_or_its_backbone_directly_skips_the_converter():
    """Only ``fit``/``evaluate``/``predict`` run the task's preprocessor; ``classifier(x)`` feeds x as it is.

    Backs:
      notebooks/12_going_further.ipynb: "Only these three do: calling `classifier(x)` or `classifier.backbone(x)` yourself skips the converter"
      notebooks/12_going_further.ipynb: "only `fit`, `evaluate` and `predict` run the preprocessor; a direct call skips it (run `classifier.preprocessor(x)` first)"
    """
    classifier, raw = _stand_in_classifier_and_raw_pixels()
    predicted = classifier.predict(raw, verbose=0)
    assert not np.allclose(keras.ops.convert_to_numpy(classifier(raw)), predicted, atol=1e-3)
    features = classifier.backbone(raw)
    assert not np.allclose(keras.ops.convert_to_numpy(features),
                           keras.ops.convert_to_numpy(classifier.backbone(raw / 255.0)), atol=1e-3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(classifier(classifier.preprocessor(raw))), predicted,
                               atol=1e-4)
