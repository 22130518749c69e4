"""Tests for helpers.plots: every figure is inspected (axes, lines, titles, texts), no display needed."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import config, plots  # noqa: E402

CLASSES = ["cat", "dog", "fox"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


# --- display values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("images", [
    np.full((2, 4, 4, 3), 0.5, dtype=np.float32),    # float [0, 1]
    np.full((2, 4, 4, 3), 127.5, dtype=np.float32),  # float [0, 255]
    np.full((2, 4, 4, 3), 128, dtype=np.uint8),      # uint8, unchanged
    np.full((2, 4, 4, 3), 0.0, dtype=np.float32) + [[[[-1.0]]], [[[1.0]]]],  # [-1, 1]: black and white
])
def test_to_uint8_maps_every_range_to_the_same_display_values(images):
    out = plots.to_uint8(images)
    assert out.dtype == np.uint8 and out.shape == images.shape
    if images.min() < 0:
        assert out[0].max() == 0 and out[1].min() == 255
    else:
        assert out.min() == out.max() and out.max() in (127, 128)


def test_to_uint8_reads_negative_values_as_minus_one_to_one_and_drops_grey_channel():
    out = plots.to_uint8(np.array([[[[-1.0], [1.0]]]], dtype=np.float32))
    assert out.shape == (1, 1, 2)
    assert out.tolist() == [[[0, 255]]]


def test_to_uint8_keeps_a_dark_batch_dark():
    # A [0, 255] batch whose brightest pixel is 200 must not be stretched to white.
    dark = np.array([[[[10.0, 200.0, 0.0]]]], dtype=np.float32)
    assert plots.to_uint8(dark).tolist() == [[[[10, 200, 0]]]]


# --- learning curves --------------------------------------------------------------------------------------

class FakeHistory:
    def __init__(self, history):
        self.history = history


HEAD = {"loss": [1.0, 0.8, 0.6], "accuracy": [0.5, 0.6, 0.7], "val_loss": [0.9, 0.8, 0.7],
        "val_accuracy": [0.55, 0.6, 0.65]}
FINE = {"loss": [0.5, 0.4], "accuracy": [0.8, 0.85], "val_loss": [0.6, 0.55], "val_accuracy": [0.7, 0.75]}


def test_plot_history_joins_phases_and_marks_where_fine_tuning_starts():
    fig = plots.plot_history(FakeHistory(HEAD), FINE, note="stand-in data")
    assert len(fig.axes) == 2
    loss_ax = fig.axes[0]
    train, val, marker = loss_ax.lines
    assert train.get_xdata().tolist() == [1, 2, 3, 4, 5]
    assert train.get_ydata().tolist() == [1.0, 0.8, 0.6, 0.5, 0.4]
    assert val.get_linestyle() != train.get_linestyle() and val.get_marker() != train.get_marker()
    assert marker.get_label() == "fine-tuning starts"
    assert list(marker.get_xdata()) == [3, 3]
    assert fig._suptitle.get_text() == "Learning curves (stand-in data)"


def test_plot_history_honours_an_explicit_fine_tune_epoch_and_single_metric():
    fig = plots.plot_history(HEAD, metrics=("loss",), fine_tune_at=2, title=None, note="")
    assert len(fig.axes) == 1
    assert [line.get_label() for line in fig.axes[0].lines] == ["training loss", "validation loss",
                                                               "fine-tuning starts"]
    assert list(fig.axes[0].lines[-1].get_xdata()) == [2, 2]
    assert fig._suptitle is None


def test_plot_history_of_one_phase_has_no_marker_and_pads_missing_validation():
    fig = plots.plot_history({"loss": [1.0, 0.5]}, metrics=("loss",))
    assert [line.get_label() for line in fig.axes[0].lines] == ["training loss"]
    fig = plots.plot_history({"loss": [1.0]}, {"loss": [0.5], "val_loss": [0.6]}, metrics=("loss",))
    val = fig.axes[0].lines[1].get_ydata()
    assert np.isnan(val[0]) and val[1] == 0.6


def test_plot_history_names_the_keys_it_has_when_a_metric_is_missing():
    with pytest.raises(KeyError, match="binary_accuracy"):
        plots.plot_history({"loss": [1.0], "binary_accuracy": [0.5]})
    with pytest.raises(ValueError):
        plots.plot_history()


# --- image grids ------------------------------------------------------------------------------------------

def test_show_images_marks_right_and_wrong_in_the_text():
    images = np.random.default_rng(0).random((5, 8, 8, 3))
    fig = plots.show_images(images, [0, 1, 2, 0, 1], CLASSES, predictions=[0, 2, 2, 1, 1], ncols=3)
    assert len(fig.axes) == 5  # no empty cells left in the grid
    marks = [t.splitlines()[-1][-1] for t in titles(fig)]
    assert marks == ["✓", "✗", "✓", "✗", "✓"]
    assert "true: dog" in titles(fig)[1] and "pred: fox" in titles(fig)[1]
    assert fig.axes[0].title.get_color() != fig.axes[1].title.get_color()


def test_show_images_without_predictions_shows_the_label_only_and_takes_uint8_grey():
    images = np.zeros((3, 6, 6, 1), dtype=np.uint8)
    fig = plots.show_images(images, np.eye(3)[[2, 0, 1]], CLASSES, n=2, note="stand-in data")
    assert titles(fig) == ["fox", "cat"]
    assert fig.axes[0].images[0].get_array().shape == (6, 6)
    assert fig._suptitle.get_text() == "(stand-in data)"


def test_show_images_accepts_score_rows_as_predictions():
    fig = plots.show_images(np.ones((2, 4, 4, 3)), [1, 1], CLASSES, predictions=[[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    assert [t[-1] for t in titles(fig)] == ["✓", "✗"]


def test_plot_augmentation_shows_original_plus_n_versions():
    calls = []

    def flip(batch):
        calls.append(batch.shape)
        return batch[:, :, ::-1] * 255.0  # a float [0, 255] output from a [0, 1] input

    image = np.linspace(0, 1, 4 * 4 * 3).reshape(4, 4, 3)
    fig = plots.plot_augmentation(image, flip, n=4, note="stand-in data")
    assert len(fig.axes) == 5
    assert titles(fig)[0] == "original" and titles(fig)[-1] == "augmented #4"
    assert calls == [(1, 4, 4, 3)] * 4
    assert fig._suptitle.get_text() == "Data augmentation (stand-in data)"


def test_plot_augmentation_calls_keras_layers_in_training_mode():
    import keras

    flip = keras.layers.RandomFlip("horizontal", seed=1)
    image = np.arange(2 * 6 * 3, dtype=np.float32).reshape(2, 6, 3)
    fig = plots.plot_augmentation(image, flip, n=6)
    pictures = [ax.images[0].get_array() for ax in fig.axes]
    assert any(not np.array_equal(p, pictures[0]) for p in pictures[1:])  # some copies were flipped


# --- errors -----------------------------------------------------------------------------------------------

Y_TRUE = [0, 0, 1, 1, 2, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 0, 0]


def test_plot_confusion_matrix_writes_each_count():
    fig = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, CLASSES, note="stand-in data")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "0", "2", "0", "1"]
    assert fig._suptitle.get_text() == "Confusion matrix (stand-in data)"
    assert [t.get_text() for t in ax.get_xticklabels()] == CLASSES


def test_plot_confusion_matrix_shows_each_row_as_a_share_of_its_true_class():
    fig = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, CLASSES, note="")
    shares = fig.axes[1]
    assert shares.get_title() == "share of the true class"
    assert [t.get_text() for t in shares.texts] == ["50%", "50%", "0%", "0%", "100%", "0%", "67%", "0%", "33%"]


def test_show_worst_mistakes_orders_by_confidence_and_shows_it():
    images = np.zeros((4, 4, 4, 3), dtype=np.uint8)
    logits = [[4.0, 0.0], [0.0, 1.0], [0.0, 3.0], [2.0, 0.0]]  # predictions 0, 1, 1, 0
    fig = plots.show_worst_mistakes(images, [1, 1, 0, 1], logits, ["cat", "dog"], n=2)
    assert len(fig.axes) == 2
    assert "98%" in titles(fig)[0] and "95%" in titles(fig)[1]  # softmax(4, 0) then softmax(3, 0)
    assert all(t.endswith("✗") for t in titles(fig))


def test_show_worst_mistakes_says_so_when_there_are_none():
    fig = plots.show_worst_mistakes(np.zeros((2, 4, 4, 3)), [0, 1], [-2.0, 2.0], ["cat", "dog"])
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


# --- comparisons ------------------------------------------------------------------------------------------

RESULTS = {"feature extraction": {"test_accuracy": 0.912, "epochs": 5},
           "fine-tuning": {"test_accuracy": 0.95, "test_loss": 0.2}}


def test_plot_comparison_writes_the_value_on_each_bar():
    fig = plots.plot_comparison(RESULTS, note="stand-in data")
    ax = fig.axes[0]
    assert len(ax.patches) == 2
    assert [p.get_height() for p in ax.patches] == [0.912, 0.95]
    assert [t.get_text() for t in ax.texts] == ["91.2%", "95.0%"]
    assert ax.get_title() == "test accuracy (stand-in data)"


def test_plot_comparison_accepts_a_list_of_runs_and_other_metrics():
    fig = plots.plot_comparison([{"name": "a", "test_loss": 1.5}, {"run": "b", "test_loss": 0.25}, {"test_loss": 2}],
                                metric="test_loss")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "run 3"]
    assert [t.get_text() for t in ax.texts] == ["1.5", "0.25", "2"]
    with pytest.raises(KeyError, match="feature extraction"):
        plots.plot_comparison(RESULTS, metric="test_loss")


def test_plot_data_efficiency_draws_a_distinct_line_per_run():
    curves = {"scratch": {1.0: 0.8, 0.1: 0.6}, "transfer": {0.1: 0.9, 1.0: 0.95, 0.01: 0.7}}
    fig = plots.plot_data_efficiency(curves, note="stand-in data")
    ax = fig.axes[0]
    scratch, transfer = ax.lines
    assert scratch.get_xdata().tolist() == [0.1, 1.0]  # sorted by size
    assert transfer.get_ydata().tolist() == [0.7, 0.9, 0.95]
    assert scratch.get_marker() != transfer.get_marker()
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "fraction of the training set"
    fig = plots.plot_data_efficiency({"run": {100: 0.5, 200: 0.6}})
    assert fig.axes[0].get_xscale() == "linear" and fig.axes[0].get_xlabel() == "training examples"


def test_plot_projection_separates_classes_by_colour_and_marker():
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(0, 0.1, (10, 6)), rng.normal(5, 0.1, (10, 6))])
    labels = [0] * 10 + [1] * 10
    fig = plots.plot_projection(features, labels, ["cat", "dog"], note="stand-in data")
    ax = fig.axes[0]
    cats, dogs = ax.collections
    assert len(cats.get_offsets()) == 10 and len(dogs.get_offsets()) == 10
    assert not np.allclose(cats.get_facecolor(), dogs.get_facecolor())
    # The two clusters sit on opposite sides of the first principal axis, which carries most variance.
    assert np.sign(cats.get_offsets()[:, 0]).tolist() == [-np.sign(dogs.get_offsets()[0, 0])] * 10
    assert int(ax.get_xlabel().split("(")[1].split("%")[0]) >= 90  # "PC1 (NN% of variance)"
    assert ax.get_title().endswith("(stand-in data)")


def test_projection_markers_differ_between_classes():
    fig = plots.plot_projection(np.eye(3), [0, 1, 2], CLASSES)
    paths = [c.get_paths()[0].vertices.tolist() for c in fig.axes[0].collections]
    assert len({str(p) for p in paths}) == 3


def test_projection_of_a_single_feature_is_flat_on_the_second_axis():
    points, share = plots._pca_2d(np.array([[1.0], [2.0], [4.0]]))
    assert points.shape == (3, 2) and np.all(points[:, 1] == 0)
    assert share.tolist() == pytest.approx([1.0, 0.0])


# --- the stand-in label ----------------------------------------------------------------------------------

def test_offline_results_are_labelled_by_default_and_a_note_overrides(fresh_profile, monkeypatch):
    title = plots.plot_comparison(RESULTS).axes[0].get_title()  # tests: offline
    assert title == f"test accuracy ({config.OFFLINE_REAL_NOTE})"
    assert plots.plot_comparison(RESULTS, note="seed 1").axes[0].get_title() == "test accuracy (seed 1)"
    assert plots.plot_comparison(RESULTS, note="").axes[0].get_title() == "test accuracy"
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    assert plots.plot_comparison(RESULTS).axes[0].get_title() == "test accuracy"


def test_the_label_follows_the_profile_in_titles_and_printed_lines():
    offline, quick = config.PROFILES["offline"], config.PROFILES["quick"]
    assert config.standin_note(offline) == config.OFFLINE_REAL_NOTE and "real photos" in config.OFFLINE_REAL_NOTE
    assert config.standin_note(offline, base="vgg16") == "stand-in data", "VGG16 runs on its glyph stand-in offline"
    assert config.standin_note(quick) is None and config.standin_note(quick, base="vgg16") is None
    assert config.standin_suffix(profile=offline, base="vgg16") == " (stand-in data)"
    assert config.standin_suffix("training images", offline) == f" ({config.OFFLINE_REAL_NOTE}; training images)"
    assert config.standin_suffix(profile=quick) == config.standin_suffix("training images", quick) == ""


def _extent(artist, fig):
    return artist.get_window_extent(fig.canvas.get_renderer())


def test_two_line_titles_of_a_grid_never_cover_the_images_of_the_row_above():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 16, 16, 3), dtype=np.uint8)
    logits = rng.normal(size=(8, 2))
    fig = plots.show_worst_mistakes(images, np.zeros(8, int), np.abs(logits) * [[-1, 1]], ["three", "eight"], n=8,
                              note="stand-in data")
    fig.canvas.draw()
    first_row, second_row = fig.axes[:4], fig.axes[4:8]
    for above, below in zip(first_row, second_row):
        image = above.images[0].get_window_extent(fig.canvas.get_renderer())
        title = _extent(below.title, fig)
        assert title.y1 <= image.y0 + 0.5, "a second-row title overlaps the image above it"
    plt.close(fig)


def test_learning_curves_tick_whole_epochs_only():
    fig = plots.plot_history({"loss": [1.0, 0.8, 0.7, 0.6], "accuracy": [0.5, 0.6, 0.7, 0.8]})
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 4]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close(fig)


def test_grad_cam_overlay_lays_each_heatmap_over_its_image_at_the_images_size():
    images = np.zeros((3, 32, 32, 3), "uint8")
    heatmaps = np.zeros((3, 4, 4), "float32")
    heatmaps[:, 0, 3] = 1.0  # top right
    fig = plots.show_grad_cam(images, heatmaps, [0, 1, 1], [0, 1, 0], ["roses", "tulips"])
    axes = fig.get_axes()
    assert len(axes) == 3 and all(len(ax.get_images()) == 2 for ax in axes)
    overlay = axes[0].get_images()[1].get_array()
    assert overlay.shape == (32, 32) and np.unravel_index(np.argmax(overlay), overlay.shape)[1] >= 24
    assert "✗" in axes[2].get_title() and "✓" in axes[0].get_title()
    plt.close(fig)


def test_learning_rate_sweep_plot_is_log_scaled_and_marks_each_named_rate():
    rates = np.logspace(-6, 0, 20)
    fig = plots.plot_learning_rate_sweep(rates, np.linspace(1, 0.2, 20), {"suggested": 1e-3, "course default": 1e-4})
    ax = fig.get_axes()[0]
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 3
    assert any("suggested: 1.0e-03" in text.get_text() for text in ax.get_legend().get_texts())
    plt.close(fig)


# --- sizes ------------------------------------------------------------------------------------------------

def _widths():
    images = np.zeros((16, 8, 8, 3), dtype=np.uint8)
    yield "history", plots.plot_history({"loss": [1.0, 0.5]}, metrics=("loss",))
    yield "images", plots.show_images(images, [0] * 16, CLASSES)
    yield "augmentation", plots.plot_augmentation(images[0], lambda batch: batch, n=5)
    yield "confusion", plots.plot_confusion_matrix([0, 1], [0, 1], ["cat", "dog"])
    yield "mistakes", plots.show_worst_mistakes(images[:8], [1] * 8, [[2.0, 0.0]] * 8, ["cat", "dog"])
    yield "no mistakes", plots.show_worst_mistakes(images[:2], [0, 1], [-2.0, 2.0], ["cat", "dog"])
    yield "comparison", plots.plot_comparison({"a": {"test_accuracy": 0.5}})
    yield "efficiency", plots.plot_data_efficiency({"a": {10: 0.5, 100: 0.7}})
    yield "projection", plots.plot_projection(np.random.default_rng(0).normal(size=(10, 4)), [0, 1] * 5, ["a", "b"])
    yield "grad-cam", plots.show_grad_cam(images[:4], np.zeros((4, 2, 2)), [0] * 4, [0] * 4, ["cat", "dog"])
    yield "learning-rate sweep", plots.plot_learning_rate_sweep([1e-4, 1e-3], [1.0, 0.5])


def test_every_figure_is_as_wide_as_the_output_area():
    widths = {name: fig.get_size_inches()[0] for name, fig in _widths()}
    assert widths == pytest.approx({name: plots.FIGURE_WIDTH for name in widths})


def test_a_grid_of_fewer_images_than_columns_gets_wider_cells_up_to_half_the_width():
    one = plots.show_worst_mistakes(np.zeros((1, 8, 8, 3)), [1], [[2.0, 0.0]], ["cat", "dog"])
    two = plots.show_images(np.zeros((2, 8, 8, 3)), [0, 1], CLASSES)
    assert one.get_size_inches()[0] == pytest.approx(plots.MAX_CELL) == plots.FIGURE_WIDTH / 2
    assert two.get_size_inches()[0] == pytest.approx(plots.FIGURE_WIDTH)
