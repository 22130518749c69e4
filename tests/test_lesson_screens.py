"""What notebooks 02-04 show a learner: public names, whole error messages, parameter counts that say what they count."""
from __future__ import annotations

import ast

import keras
import nbformat

from helpers import catalogue
from helpers.data import preprocessing_for
from scripts.nbtools import REPO


def _cell(notebook: str, fragment: str) -> str:
    cells = [c.source for c in nbformat.read(REPO / "notebooks" / notebook, as_version=4).cells if fragment in c.source]
    assert len(cells) == 1, f"{notebook}: {len(cells)} cells hold {fragment!r}"
    return cells[0]


def test_03_prints_the_public_keras_name_of_each_preprocess_function():
    source = _cell("03_preprocess_your_data.ipynb", "def public_name(fn)")
    namespace: dict = {"keras": keras}
    exec(compile(ast.parse(source.split("\nfor name in")[0]), "03", "exec"), namespace)
    public_name = namespace["public_name"]
    assert preprocessing_for("mobilenet_v2").__module__.startswith("keras.src.")  # what the old cell printed
    assert public_name(preprocessing_for("mobilenet_v2")) == "keras.applications.mobilenet_v2.preprocess_input"
    assert public_name(preprocessing_for("vgg16")) == "keras.applications.vgg16.preprocess_input"
    assert public_name(preprocessing_for("mobilenet_v2_hub")) == "helpers.data.rescale_to_unit"


def test_04_shows_keras_3s_error_whole_wrapped_between_words():
    source = _cell("04_replace_the_head.ipynb", "hub.KerasLayer(model_handle")
    handler = source.split("except (ValueError, TypeError) as error:")[1]
    assert "textwrap.fill(" in handler and "[:" not in handler  # no cut at a character count


def test_02_the_classifier_rows_count_includes_its_1000_class_layer():
    """02: the hub classifier's parameters are the feature vector's plus 1,280 x 1,001 (1,000 classes + background)."""
    vector, classifier = catalogue.MODELS["mobilenet_v2_hub"], catalogue.MODELS["mobilenet_v2_hub_classifier"]
    assert round(classifier.params_millions - vector.params_millions, 2) == round(1280 * 1001 / 1e6, 2) == 1.28
    text = _cell("02_select_a_pretrained_model.ipynb", "Parameter counts are for")
    assert "`mobilenet_v2_hub_classifier`" in text and "adds 1.28 million to the base's 2.26" in text


def test_08_evaluates_each_method_once_on_test_and_says_it_is_a_comparison_study():
    """08 reports the frozen head's and the fine-tuned model's test accuracy (09 compares them): each once, and the
    notebook says why that is allowed; the choice between them is made on validation."""
    nb = nbformat.read(REPO / "notebooks" / "solutions" / "08_exercise_vgg16_fine_tune.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    text = " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())
    assert code.count(".evaluate(") == 2
    assert code.count("test_ds") == 2 and "model.evaluate(test_ds" in code  # built once, evaluated once
    assert "features_dataset(test_features" in code.split("head.evaluate(")[1].split(")")[0] + ")"
    assert "Exercises 07–09 are also a *comparison study*" in text and "no test score chooses anything" in text
    assert "The model is chosen: now report it" not in text
    decision = code.index('expect(fine_val_accuracy >= frozen_val_accuracy')
    assert decision < code.index("model.evaluate(test_ds")  # validation decides before the test split is read
