"""Shared by the benchmarks: a callback that times every epoch."""
from __future__ import annotations

import time

import keras


class EpochTimer(keras.callbacks.Callback):
    """Records every epoch's wall time in ``self.seconds`` and this process's CPU time in ``self.cpu``."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self.cpu: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start[0])
        self.cpu.append(time.process_time() - self._start[1])
