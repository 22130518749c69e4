"""How much faster is the frozen phase when the head trains on cached features?

Same data, same head, two ways: (slow) a frozen keras MobileNetV2 with a Dense head, fed by
``make_pipeline`` (images cached after resize), so the base runs on every image every epoch; (fast)
``extract_features`` runs the base once, then the Dense head alone trains on ``features_dataset``.
The base is the offline stand-in, ``keras.applications.MobileNetV2(alpha=standins.MOBILENET_V2_ALPHA, include_top=False,
pooling="avg", weights=data/models/mobilenet_v2_standin/notop.weights.h5)`` (the glyph-trained weights: the speed
does not depend on them); data: the train split of cats_vs_dogs offline (flower_pair, real photos).

    python -m benchmarks.cached_features [--epochs 8] [--image-size 64] [--split train]   # e.g. --image-size 96

Prints one JSON line: ``speedup`` = median steady-state epoch time slow / fast (epoch 1 excluded: tracing
and cache filling), plus the one-off extraction time (first call, which traces the base, and a warm
second call), after how many epochs the warm extraction has paid for itself, and the total time of the
run both ways (extraction included).
Target: speedup >= 10.
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
import tensorflow as tf  # noqa: E402

from helpers import catalogue, config, data, standins  # noqa: E402

from benchmarks.timing import EpochTimer  # noqa: E402


def standin_base(image_size: int) -> tuple[keras.Model, str]:
    """The keras-form MobileNetV2 stand-in, frozen, and what was loaded (random weights if it is missing)."""
    weights = catalogue.MODELS["mobilenet_v2"].standin
    found = weights.exists()
    base = keras.applications.MobileNetV2(alpha=standins.MOBILENET_V2_ALPHA, include_top=False, pooling="avg",
                                          weights=str(weights) if found else None,
                                          input_shape=(image_size, image_size, 3))
    base.trainable = False
    what = weights.relative_to(config.REPO_ROOT) if found else "random weights (stand-in missing)"
    return base, f"keras MobileNetV2(alpha={standins.MOBILENET_V2_ALPHA}), {what}, frozen"


def compiled(model: keras.Model) -> keras.Model:
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8, help="epochs per path, the first one included")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dataset", default="cats_vs_dogs", help="catalogue name; its offline stand-in is used")
    parser.add_argument("--split", default="train", choices=["train", "validation", "test"])
    args = parser.parse_args()
    size, batch = args.image_size, args.batch_size

    splits = data.load_dataset(args.dataset, "offline")
    preprocess = data.preprocessing_for("mobilenet_v2")  # [-1,1]
    base, base_text = standin_base(size)
    keras.utils.set_random_seed(config.SEED)
    head = keras.layers.Dense(splits.num_classes, activation="softmax")

    slow = compiled(keras.Sequential([keras.Input((size, size, 3)), base, head]))
    slow_timer = EpochTimer()
    train_ds = data.make_pipeline(getattr(splits, args.split), size, preprocess, batch_size=batch, training=True)
    slow.fit(train_ds, epochs=args.epochs, verbose=0, callbacks=[slow_timer])

    extract_s = []
    for _ in range(2):  # the first call also traces the base; the second is the pure cost of one pass
        start = time.perf_counter()
        features, labels = data.extract_features(
            base, data.make_pipeline(getattr(splits, args.split), size, preprocess, batch_size=batch))
        extract_s.append(time.perf_counter() - start)
    keras.utils.set_random_seed(config.SEED)
    fast = compiled(keras.Sequential([keras.Input(features.shape[1:]),
                                      keras.layers.Dense(splits.num_classes, activation="softmax")]))
    fast_timer = EpochTimer()
    fast.fit(data.features_dataset(features, labels, batch), epochs=args.epochs, verbose=0,
             callbacks=[fast_timer])

    slow_s, fast_s = statistics.median(slow_timer.seconds[1:]), statistics.median(fast_timer.seconds[1:])
    print(json.dumps({
        "benchmark": "cached_features",
        "speedup": round(slow_s / fast_s, 1),
        "steady_epoch_s": {"recompute_base": round(slow_s, 3), "cached_features": round(fast_s, 4)},
        "extract_features_s": {"first_call": round(extract_s[0], 3), "warm": round(extract_s[1], 3)},
        "break_even_epochs": round(extract_s[1] / (slow_s - fast_s), 2) if slow_s > fast_s else None,
        "total_s": {"recompute_base": round(sum(slow_timer.seconds), 3),
                    "cached_features": round(extract_s[0] + sum(fast_timer.seconds), 3)},
        "epochs_recompute_s": [round(s, 3) for s in slow_timer.seconds],
        "epochs_cached_s": [round(s, 4) for s in fast_timer.seconds],
        "examples": int(len(labels)), "feature_shape": list(features.shape[1:]), "image_size": size,
        "batch_size": batch, "dataset": f"{catalogue.DATASETS[args.dataset].standin} {args.split}", "base": base_text,
        "target_speedup": 10, "cpus": os.cpu_count(), "tensorflow": tf.__version__,
    }))


if __name__ == "__main__":
    main()
