"""How much does ``make_pipeline`` slow down the frozen-head fit compared with data already in memory?

The offline frozen-head fit of notebook 05: the TF-Hub-format MobileNetV2 stand-in, frozen, with a Dense
head, on the train split of the offline stand-in of cats_vs_dogs (glyphs_binary), 64 px, batch 32. Models
with the same weights train one epoch at a time, in rounds (alternating order, so every feed shares the
machine's load): one fed by ``make_pipeline`` (decode → resize → cache → shuffle → batch → [0,1] →
prefetch), one by the same preprocessed images materialised in memory as tensors
(``Dataset.from_tensor_slices(...).shuffle().batch()``, the cheapest feed there is), and, for
information, one fed ``fit(x, y)`` numpy arrays. Every model is traced beforehand on the validation split.

    python -m benchmarks.input_pipeline [--epochs 20] [--first-epoch-repeats 3] [--split train] [--augment]

Prints one JSON line. ``overhead``: median over the steady-state rounds of pipeline epoch / in-memory
epoch, minus 1 (the pipeline's cache full). ``first_epoch_overhead``: the same for a pipeline's first,
uncached epoch (reads and decodes the JPEGs, fills the cache), each round on a new pipeline.
``cpu_overhead`` / ``first_epoch_cpu_overhead``: the same ratios of this process's CPU time, which other
processes on a shared machine disturb much less than wall time. Target: overhead <= 0.10.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("COURSE_PROFILE", "offline")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import catalogue, config, data, standins  # noqa: E402

from benchmarks.timing import EpochTimer  # noqa: E402


def frozen_hub_base() -> tuple[keras.layers.Layer, str]:
    """The TF-Hub-format MobileNetV2 stand-in as a frozen Keras 3 layer, and how it was loaded."""
    path = catalogue.MODELS["mobilenet_v2_hub"].standin
    if not path.is_dir():  # same architecture, random weights: timings stay meaningful
        base = keras.applications.MobileNetV2(alpha=standins.MOBILENET_V2_ALPHA, include_top=False, pooling="avg",
                                                weights=None)
        base.trainable = False
        return base, f"keras MobileNetV2(alpha={standins.MOBILENET_V2_ALPHA}), random weights (hub stand-in missing), frozen"
    try:
        from helpers.models import HubLayer
    except ImportError:  # helpers.models not there: a minimal frozen wrapper (facts.md)
        import tensorflow_hub as hub

        class HubLayer(keras.layers.Layer):  # type: ignore[no-redef]
            def __init__(self, handle: str, trainable: bool = False) -> None:
                super().__init__(trainable=trainable)
                self._module = hub.load(handle)

            def call(self, inputs):
                return self._module(inputs)

    return HubLayer(str(path), trainable=False), f"HubLayer({path.relative_to(config.REPO_ROOT)}), frozen"


def build(base: keras.layers.Layer, image_size: int, num_classes: int) -> keras.Model:
    keras.utils.set_random_seed(config.SEED)
    model = keras.Sequential([keras.Input((image_size, image_size, 3)), base,
                              keras.layers.Dense(num_classes, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="steady-state rounds (one epoch per feed)")
    parser.add_argument("--first-epoch-repeats", type=int, default=3,
                        help="rounds that time a pipeline's first (uncached) epoch, each on a new pipeline")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dataset", default="cats_vs_dogs", help="catalogue name; its offline stand-in is used")
    parser.add_argument("--split", default="train", choices=["train", "validation", "test"])
    parser.add_argument("--augment", action="store_true", help="add augmentation_layers() to the pipeline")
    args = parser.parse_args()

    splits = data.load_dataset(args.dataset, "offline")
    preprocess = data.preprocessing_for("mobilenet_v2_hub")  # [0,1]
    base, base_text = frozen_hub_base()
    size, batch = args.image_size, args.batch_size

    start = time.perf_counter()
    examples = getattr(splits, args.split)
    batches = list(data.make_pipeline(examples, size, preprocess, batch_size=batch, cache=False))
    x = np.concatenate([b[0].numpy() for b in batches])
    y = np.concatenate([b[1].numpy() for b in batches])
    materialise_s = time.perf_counter() - start
    del batches

    def fresh_pipeline() -> tf.data.Dataset:  # a new dataset object: its in-memory cache starts empty
        return data.make_pipeline(examples, size, preprocess, batch_size=batch, training=True,
                                  augment=data.augmentation_layers() if args.augment else None)

    tensors = (tf.data.Dataset.from_tensor_slices((tf.constant(x), tf.constant(y)))
               .shuffle(len(y), seed=config.SEED).batch(batch))
    models = {feed: build(base, size, splits.num_classes) for feed in ("memory", "pipeline", "numpy_fit")}
    # Trace every train function first, on the validation split with the same element spec, so that no timed
    # epoch includes graph tracing.
    warm = data.make_pipeline(splits.validation, size, preprocess, batch_size=batch, cache=False)
    x_warm = np.concatenate([b[0].numpy() for b in warm])
    y_warm = np.concatenate([b[1].numpy() for b in warm])
    for feed, model in models.items():
        if feed == "numpy_fit":
            model.fit(x_warm, y_warm, batch_size=batch, epochs=1, verbose=0)
        else:
            model.fit(tf.data.Dataset.from_tensor_slices((x_warm, y_warm)).batch(batch), epochs=1, verbose=0)

    def epoch(feed: str, dataset: tf.data.Dataset | None = None) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this process) of one epoch of ``feed``."""
        timer = EpochTimer()
        fit_args = dict(x=x, y=y, batch_size=batch, shuffle=True) if feed == "numpy_fit" else dict(x=dataset)
        models[feed].fit(**fit_args, epochs=1, verbose=0, callbacks=[timer])
        return timer.seconds[0], timer.cpu[0]

    # Rounds of one epoch per feed, in alternating order, so all feeds share the machine's load; the
    # overheads are medians of the per-round ratios.
    first = []  # (pipeline epoch on an empty cache, in-memory epoch)
    for i in range(args.first_epoch_repeats):
        pipeline = fresh_pipeline()
        if i % 2 == 0:
            piped = epoch("pipeline", pipeline)
            first.append((piped, epoch("memory", tensors)))
        else:
            in_memory = epoch("memory", tensors)
            first.append((epoch("pipeline", pipeline), in_memory))
    steady = []  # (pipeline, in-memory, numpy fit), the last pipeline's cache being full
    for i in range(args.epochs):
        order = ["pipeline", "memory", "numpy_fit"] if i % 2 == 0 else ["numpy_fit", "memory", "pipeline"]
        times = {feed: epoch(feed, pipeline if feed == "pipeline" else tensors) for feed in order}
        steady.append((times["pipeline"], times["memory"], times["numpy_fit"]))

    def median(values) -> float:
        return round(statistics.median(values), 4)

    def overhead(rounds, clock: int) -> float:  # clock 0: wall time, 1: CPU time
        return round(median([r[0][clock] / r[1][clock] for r in rounds]) - 1, 4)

    print(json.dumps({
        "benchmark": "input_pipeline",
        "overhead": overhead(steady, 0),
        "first_epoch_overhead": overhead(first, 0),
        "cpu_overhead": overhead(steady, 1),
        "first_epoch_cpu_overhead": overhead(first, 1),
        "steady_epoch_s": {"pipeline": median([t[0][0] for t in steady]),
                           "memory": median([t[1][0] for t in steady]),
                           "numpy_fit": median([t[2][0] for t in steady])},
        "first_epoch_s": {"pipeline": median([t[0][0] for t in first]), "memory": median([t[1][0] for t in first])},
        "materialise_in_memory_s": round(materialise_s, 3),
        "rounds": {"first_epoch": len(first), "steady": len(steady)},
        "examples": int(len(y)), "image_size": size, "batch_size": batch, "augment": args.augment,
        "dataset": f"{catalogue.DATASETS[args.dataset].standin} {args.split}", "base": base_text,
        "target_overhead": 0.10, "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
        "tensorflow": tf.__version__,
    }))


if __name__ == "__main__":
    main()
