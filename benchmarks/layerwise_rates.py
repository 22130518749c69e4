"""Layer-wise learning rates against one rate, fine-tuning the real MobileNetV2 on the shipped photos (notebook 12).

    python -m benchmarks.layerwise_rates --save      # 3 seeds: benchmarks/results/layerwise_rates.json
    python -m benchmarks.layerwise_rates --seeds 0   # one seed, printed

The offline profile's assets and sizes (``helpers.config.PROFILES["offline"]``: roses vs tulips, 200 training
photos at 64 px, the real ImageNet MobileNetV2 at alpha 0.35, batch 32), through the course's calls and notebook
12's own code: ``build_head``, ``compile_binary`` and ``TwoRateModel`` are read from the notebook's cells and run
as they are, so the benchmark measures what the notebook teaches. Per seed: the head trains ``head_epochs`` at
``head_learning_rate`` on the frozen base; then, from that trained head, with layers from ``fine_tune_at`` up
unfrozen (BatchNorm frozen), each configuration fine-tunes ``fine_tune_epochs``:

  one_rate_low      Adam at ``fine_tune_learning_rate`` (1e-4) for head and base: the course's default;
  one_rate_high     Adam at ``head_learning_rate`` (1e-3) for head and base;
  layerwise_10      TwoRateModel: the head at 1e-3, the base at 1e-4;
  layerwise_100     TwoRateModel: the head at 1e-3, the base at 1e-5.

Validation and test accuracy of every run, mean and std (ddof=1) over seeds, seconds, machine, versions, date.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.real_photos import machine  # noqa: E402
from helpers.benchmark_results import benchmark_result_path  # noqa: E402
from helpers.config import PROFILES, REPO_ROOT  # noqa: E402
from helpers.data import load_dataset, make_pipeline, preprocessing_for  # noqa: E402
from helpers.models import load_base  # noqa: E402

NAME = "layerwise_rates"
PROFILE = PROFILES["offline"]
SEEDS = (0, 1, 2)
NOTEBOOK = REPO_ROOT / "notebooks" / "12_going_further.ipynb"
CONFIGURATIONS = {  # name: (head's rate, base's rate)
    "one_rate_low": (PROFILE.fine_tune_learning_rate, PROFILE.fine_tune_learning_rate),
    "one_rate_high": (PROFILE.head_learning_rate, PROFILE.head_learning_rate),
    "layerwise_10": (PROFILE.head_learning_rate, PROFILE.head_learning_rate / 10),
    "layerwise_100": (PROFILE.head_learning_rate, PROFILE.head_learning_rate / 100),
}


def notebook_code(*names: str, notebook: Path = NOTEBOOK) -> dict[str, Any]:
    """The objects the notebook's code cells defining ``names`` (``def name`` / ``class name``) create, run as written."""
    namespace: dict[str, Any] = {"keras": keras, "tf": tf, "np": np}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and any(f"def {n}(" in cell.source or f"class {n}(" in cell.source for n in names):
            exec(compile(cell.source, f"{notebook.name}", "exec"), namespace)  # noqa: S102 - the course's own code
    missing = [n for n in names if n not in namespace]
    if missing:
        raise LookupError(f"{notebook.name} defines no {', '.join(missing)}")
    return {n: namespace[n] for n in names}


def one_seed(seed: int) -> dict[str, dict[str, float]]:
    """Validation and test accuracy of every configuration, from one trained head."""
    code = notebook_code("build_head", "compile_binary", "TwoRateModel")
    p = PROFILE
    keras.utils.set_random_seed(seed)
    splits = load_dataset("cats_vs_dogs", p)
    preprocess = preprocessing_for("mobilenet_v2")
    train = make_pipeline(splits.train, p.image_size, preprocess, p.batch_size, training=True)
    validation = make_pipeline(splits.validation, p.image_size, preprocess, p.batch_size)
    test = make_pipeline(splits.test, p.image_size, preprocess, p.batch_size)
    base = load_base("mobilenet_v2", input_shape=p.image_shape, verbose=False)
    base.trainable = False
    head = code["build_head"](base.output_shape[1:])
    model = keras.Sequential([keras.Input(p.image_shape), base, head])
    code["compile_binary"](model, p.head_learning_rate)
    model.fit(train, epochs=p.head_epochs, verbose=0)
    head_trained = model.get_weights()
    base.trainable = True
    for layer in base.layers[:p.fine_tune_at]:
        layer.trainable = False
    for layer in base.layers[p.fine_tune_at:]:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    results = {}
    for name, (head_rate, base_rate) in CONFIGURATIONS.items():
        start = time.perf_counter()
        model.set_weights(head_trained)
        keras.utils.set_random_seed(seed)
        if head_rate == base_rate:
            trained = keras.Sequential([keras.Input(p.image_shape), base, head])
        else:
            trained = code["TwoRateModel"](base, head, base_optimizer=keras.optimizers.Adam(base_rate))
        code["compile_binary"](trained, head_rate)
        trained.fit(train, epochs=p.fine_tune_epochs, verbose=0)
        results[name] = {"validation": float(trained.evaluate(validation, verbose=0)[1]),
                         "test": float(trained.evaluate(test, verbose=0)[1]),
                         "seconds": round(time.perf_counter() - start, 1)}
        print(f"seed {seed} {name}: {results[name]}", file=sys.stderr, flush=True)
    return results


def _stats(values: list[float]) -> dict[str, Any]:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values, ddof=1)), 4) if len(values) > 1
            else 0.0, "per_seed": [round(v, 4) for v in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--save", action="store_true", help=f"write {benchmark_result_path(NAME)} (3 seeds only)")
    args = parser.parse_args()
    if args.save and tuple(args.seeds) != SEEDS:
        parser.error("--save stores only the full run on the default seeds")
    load = os.getloadavg()[0]
    start = time.perf_counter()
    runs = [one_seed(seed) for seed in args.seeds]
    result = {
        "benchmark": NAME, "command": "python -m benchmarks.layerwise_rates" + (" --save" if args.save else ""),
        "date": datetime.date.today().isoformat(), "wall_seconds": round(time.perf_counter() - start),
        "machine": machine(load), "seeds": args.seeds,
        "measured_on": (f"mean ± std over {len(args.seeds)} seeds; offline: {PROFILE.image_size} px real photos "
                        "(roses vs tulips, 200 to train), real ImageNet MobileNetV2 alpha 0.35, head trained "
                        f"{PROFILE.head_epochs} epochs then {PROFILE.fine_tune_epochs} of fine-tuning from layer "
                        f"{PROFILE.fine_tune_at}; measured by benchmarks/layerwise_rates.py on 2 CPU cores, not in "
                        "this run"),
        "configurations": {
            name: {"head_learning_rate": CONFIGURATIONS[name][0], "base_learning_rate": CONFIGURATIONS[name][1],
                   **{split: _stats([run[name][split] for run in runs]) for split in ("validation", "test")},
                   "seconds": [run[name]["seconds"] for run in runs]}
            for name in CONFIGURATIONS},
    }
    print(json.dumps(result))
    if args.save:
        benchmark_result_path(NAME).write_text(json.dumps(result, indent=1) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
