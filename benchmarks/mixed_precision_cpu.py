"""Why the simulated-GPU test run (make test-colab, COURSE_HARNESS_GPU=1) is slow where VGG16 trains: float16 on a CPU.

On a GPU, ``mixed_float16`` makes training faster; the test harness takes that code path on a CPU, where TF has
no fast float16 kernels for the backward pass and falls back to generic ones. This times one training step of
exercise 09's from-scratch model (VGG16 from random weights + its head, 32 px, a batch of 8: the smoke run's
sizes) in float32 and in mixed_float16, after a first fit that traces the step.

    python -m benchmarks.mixed_precision_cpu [--steps 2]

Prints one JSON line (seconds per training step, median of three fits) and writes
benchmarks/results/mixed_precision_cpu.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "mixed_precision_cpu.json"


def seconds_per_step(policy: str, steps: int) -> float:
    """Median seconds per training step of 09's from-scratch model under ``policy`` (first fit excluded)."""
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(5, dtype="float32")])
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).uniform(0, 255, (8 * steps, 32, 32, 3)).astype("float32")
    y = np.arange(8 * steps) % 5
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # traces the step
    times = []
    for _ in range(3):
        start = time.perf_counter()
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        times.append((time.perf_counter() - start) / steps)
    keras.mixed_precision.set_global_policy("float32")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    result = {policy: round(seconds_per_step(policy, args.steps), 3) for policy in ("float32", "mixed_float16")}
    result.update(slowdown=round(result["mixed_float16"] / result["float32"], 1), steps=args.steps,
                  tensorflow=tf.__version__, keras=keras.__version__, cpus=os.cpu_count(),
                  date=time.strftime("%Y-%m-%d"))
    line = json.dumps(result)
    print(line)
    RESULTS.write_text(line + "\n")


if __name__ == "__main__":
    main()
