"""measure_speed times compiled inference, the median of several batches (issue 22 item 3)."""
from __future__ import annotations

import keras
import numpy as np

from helpers import models


class _CountsPythonCalls(keras.layers.Layer):
    calls = 0

    def call(self, x):
        type(self).calls += 1  # runs once per eager call, but only while tracing in a compiled graph
        return x


def test_measure_speed_runs_a_compiled_graph_not_each_layer_from_python():
    _CountsPythonCalls.calls = 0
    model = keras.Sequential([keras.Input((8, 8, 3)), _CountsPythonCalls(), keras.layers.GlobalAveragePooling2D()])
    models.measure_speed(model, image_size=8, batch_size=4, batches=5)
    assert _CountsPythonCalls.calls <= 2  # traced (once, or twice with a retrace), not called 6 times


def test_measure_speed_is_the_median_batch(monkeypatch):
    ticks = iter(np.cumsum([0, 1.0, 0, 0.5, 0, 4.0]))  # three timed batches: 1 s, 0.5 s, 4 s (warm-up untimed)
    monkeypatch.setattr(models.time, "perf_counter", lambda: float(next(ticks)))
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.GlobalAveragePooling2D()])
    assert models.measure_speed(model, image_size=8, batch_size=10, batches=3) == 10 / 1.0
