"""Tests for helpers.metrics: predicted classes, confidence, confusion counts, per-class and per-run tables."""
import numpy as np
import pytest

from helpers import metrics

CLASSES = ["cat", "dog", "fox"]
Y_TRUE = [0, 0, 1, 1, 2, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 0, 0]
RESULTS = {"feature extraction": {"test_accuracy": 0.912, "epochs": 5},
           "fine-tuning": {"test_accuracy": 0.95, "test_loss": 0.2}}


# --- labels and confidence --------------------------------------------------------------------------------

@pytest.mark.parametrize("logits, from_logits, expected", [
    ([-1.2, 0.0, 0.3], True, [0, 0, 1]),             # binary logits, (n,): threshold 0, exactly 0 is "no"
    ([[-1.2], [0.3]], True, [0, 1]),                 # binary logits, (n, 1)
    ([0.2, 0.5, 0.7], False, [0, 0, 1]),             # sigmoid probabilities: threshold 0.5
    ([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]], True, [1, 0]),  # multi-class: argmax
    (np.float32(2.0), True, [1]),                    # a single score
])
def test_predicted_labels_handles_binary_and_multiclass_shapes(logits, from_logits, expected):
    labels = metrics.predicted_labels(logits, from_logits=from_logits)
    assert labels.dtype == np.int64
    assert labels.tolist() == expected

def test_predicted_labels_of_nothing_is_empty():
    assert metrics.predicted_labels(np.zeros((0, 1))).shape == (0,)

def test_prediction_confidence_is_probability_of_the_predicted_class():
    assert metrics.prediction_confidence([0.0, 100.0, -100.0]).round(3).tolist() == [0.5, 1.0, 1.0]
    assert metrics.prediction_confidence([0.2, 0.9], from_logits=False).tolist() == pytest.approx([0.8, 0.9])
    softmax = metrics.prediction_confidence([[0.0, np.log(3.0)]])
    assert softmax.tolist() == pytest.approx([0.75])
    assert metrics.prediction_confidence([[0.1, 0.6, 0.3]], from_logits=False).tolist() == pytest.approx([0.6])

def test_class_indices_accept_one_hot_and_refuse_raw_scores():
    assert metrics.to_class_indices([[0, 1, 0], [1, 0, 0]]).tolist() == [1, 0]
    assert metrics.to_class_indices(np.array([1.0, 0.0])).tolist() == [1, 0]
    with pytest.raises(ValueError, match="predicted_labels"):
        metrics.to_class_indices([0.3, 0.8])

def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    counts = metrics.confusion_matrix(Y_TRUE, Y_PRED, 3)
    assert counts.tolist() == [[1, 1, 0], [0, 2, 0], [2, 0, 1]]

def test_per_class_metrics_and_report():
    rows = metrics.per_class_metrics(Y_TRUE, Y_PRED, CLASSES)
    assert [r["count"] for r in rows] == [2, 2, 3]
    assert rows[0]["precision"] == pytest.approx(1 / 3) and rows[0]["recall"] == pytest.approx(0.5)
    assert rows[1]["precision"] == pytest.approx(2 / 3) and rows[1]["recall"] == 1.0
    assert rows[2]["precision"] == 1.0 and rows[2]["recall"] == pytest.approx(1 / 3)
    report = metrics.per_class_report([0, 0], [0, 0], ["cat", "dog"])
    lines = report.splitlines()
    assert lines[0].split() == ["class", "precision", "recall", "count"]
    assert lines[2].split() == ["cat", "1.000", "1.000", "2"]
    assert lines[3].split() == ["dog", "—", "—", "0"]  # never predicted, never present

def test_comparison_table_has_a_row_per_run_and_a_dash_for_gaps():
    lines = metrics.comparison_table(RESULTS).splitlines()
    assert lines[0].split() == ["run", "test_accuracy", "epochs", "test_loss"]
    assert lines[2].split() == ["feature", "extraction", "0.9120", "5", "—"]
    assert lines[3].split() == ["fine-tuning", "0.9500", "—", "0.2000"]

def test_comparison_table_writes_counts_with_separators_and_seconds_to_a_tenth():
    table = metrics.comparison_table({"from scratch": {"test_accuracy": 0.2131, "seconds": 1.757,
                                                     "params_trained": 1_853_989}}, digits=3)
    assert table.splitlines()[2].split() == ["from", "scratch", "0.213", "1.8", "1,853,989"]


# --- served vs in-memory ----------------------------------------------------------------------------------

LOGITS = np.array([[-4.0, 0.5, 5.0], [2.0, -1.0, 0.0]])  # a trained head's logits: a few units


def test_export_tolerance_is_tight_in_float32_and_loose_under_mixed_float16():
    import keras

    keras.mixed_precision.set_global_policy("float32")
    tight = metrics.export_tolerance(LOGITS)
    keras.mixed_precision.set_global_policy("mixed_float16")  # the course's GPU policy; the fixture restores it
    loose = metrics.export_tolerance(LOGITS)
    assert tight == pytest.approx(1e-4)  # notebook 06's atol, for logits of this size
    assert loose == pytest.approx(2.5e-2) and loose > 2e-2  # at least notebook 10's float16 allowance
    assert metrics.export_tolerance(LOGITS, "float16") == loose and metrics.export_tolerance(LOGITS, "float32") == tight


def test_export_tolerance_grows_with_the_outputs_and_still_catches_a_wrong_pipeline():
    # rounding differences scale with the outputs' size: logits of 50 differ ten times more than logits of 5
    tolerance = metrics.export_tolerance(LOGITS, "float32")
    assert metrics.export_tolerance(10 * LOGITS, "float32") == pytest.approx(10 * tolerance)
    assert metrics.export_tolerance(LOGITS / 100, "float32") == metrics.export_tolerance(np.ones(1), "float32")  # floor
    assert metrics.export_tolerance(LOGITS, "bfloat16") > metrics.export_tolerance(LOGITS, "float16")
    off_by_a_pipeline_step = LOGITS + 0.1  # e.g. other resizing or preprocessing: logits move by tenths
    for dtype in ("float32", "float16"):
        assert np.abs(off_by_a_pipeline_step - LOGITS).max() > metrics.export_tolerance(LOGITS, dtype)
