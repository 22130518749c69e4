"""What transfer learning gives on the shipped real photos: frozen, fine-tuned, from scratch, each ± augmentation.

    python -m benchmarks.real_photos --save         # everything, 3 seeds: benchmarks/results/real_photos.json
    python -m benchmarks.real_photos --seeds 1 --only cats_vs_dogs/frozen/plain   # one configuration, printed

The offline profile's real assets and sizes (``helpers.config.PROFILES["offline"]``: 64 px, batch 32, its epochs
and rates), through the course's own calls (load_dataset, make_pipeline, augmentation_layers, preprocessing_for,
load_base). ``cats_vs_dogs`` offline is roses vs tulips (the binary task of lessons 03-06 and 11); ``tf_flowers``
offline is the five flower classes. Every approach runs with and without augmentation (``augmentation_layers``,
flips when ``splits.mirror_safe``), on every seed; a seed fixes initial weights, batch order and augmentations.

  frozen                 notebook 06, phase 1: the real ImageNet MobileNetV2 (alpha 0.35), ``trainable = False``,
                         GAP + Dropout(0.2) + one logit per class (one in all for two classes), ``head_epochs``
                         at ``head_learning_rate``;
  fine_tuned_offline     then notebook 06, phase 2, from the trained head: layers from ``fine_tune_at`` up
                         unfrozen except BatchNorm (frozen: inference mode, ImageNet statistics), recompiled at
                         ``fine_tune_learning_rate``, ``fine_tune_epochs`` more (the offline profile's recipe);
  fine_tuned_quick_full  the same from the same trained head, with the quick/full profiles' recipe (their
                         ``fine_tune_at`` and ``fine_tune_learning_rate``) and the offline epochs;
  scratch_vgg16          exercise 09: VGG16's architecture from random weights (offline: its small stand-in
                         shape), exercise 07's head, caffe preprocessing, head + fine-tune epochs (09's budget) on
                         the whole training split, the learning rate chosen on validation from
                         ``SCRATCH_LEARNING_RATES`` by 09's rule, one grid per network (:data:`GRID_RULE`);
  scratch_small_cnn      a small CNN with BatchNorm (:func:`small_cnn`), the same epochs and learning-rate rule.

Accuracy on the validation, test and (un-augmented) training split of every run; mean and std (ddof=1) over
seeds; the wall and CPU seconds of every configuration (a fine-tuned run's exclude the frozen phase it continues
from; wall time depends on what else runs on the machine, CPU time much less); the machine, versions, date and
command. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.decode_pipeline import cpu_model  # noqa: E402
from benchmarks.transfer_gain import compile_model, head  # noqa: E402
from helpers.benchmark_results import benchmark_result_path  # noqa: E402
from helpers.config import PROFILES, SCRATCH_LEARNING_RATES, Profile  # noqa: E402
from helpers.data import Splits, augmentation_layers, load_dataset, make_pipeline, preprocessing_for  # noqa: E402
from helpers.models import load_base, restart_training  # noqa: E402
from helpers.runtime import cpu_count  # noqa: E402

NAME = "real_photos"
PROFILE = PROFILES["offline"]
SEEDS = (0, 1, 2)
SPLITS = ("train", "validation", "test")
GRID_RULE = ("one grid per network, on the first seed without augmentation: each rate trained on all training "
             "images, validation chooses as exercise 09 does (best accuracy, ties: lower loss; a diverged rate is "
             "no candidate); that run is the first seed's figure; every other run of the network, with or "
             "without augmentation, trains at the chosen rate")
"""How a from-scratch network gets its learning rate: 09's choice, made once per network (09 runs its grid on
half the images and then trains again, per run: 2.5x the cost of a run, which the ~20-minute budget lacks)."""


@dataclass(frozen=True)
class FineTuning:
    """Where the base is unfrozen from and at what rate: one profile's recipe of notebook 06."""

    fine_tune_at: int
    learning_rate: float
    profiles: tuple[str, ...]


FINE_TUNING = {
    "fine_tuned_offline": FineTuning(PROFILE.fine_tune_at, PROFILE.fine_tune_learning_rate, ("offline",)),
    "fine_tuned_quick_full": FineTuning(PROFILES["quick"].fine_tune_at, PROFILES["quick"].fine_tune_learning_rate,
                                        ("quick", "full")),
}
"""The fine-tuning recipes compared, each continuing from the same trained head (06's phase 2)."""
assert (PROFILES["full"].fine_tune_at, PROFILES["full"].fine_tune_learning_rate) == (
    PROFILES["quick"].fine_tune_at, PROFILES["quick"].fine_tune_learning_rate), "quick and full share one recipe"
SCRATCH = ("scratch_vgg16", "scratch_small_cnn")
APPROACHES = ("frozen", *FINE_TUNING, *SCRATCH)
DATASETS = {"cats_vs_dogs": APPROACHES, "tf_flowers": ("frozen",)}
"""Dataset -> approaches it can run (offline: roses vs tulips, all of them; five flower classes, the frozen base)."""
MEASURED = ("cats_vs_dogs",)
"""The datasets of the stored run: tf_flowers' six runs (~150 CPU s) did not fit the ~20-minute budget on the
shared 2 cores; ``--only tf_flowers/frozen/plain tf_flowers/frozen/augmented`` measures them."""


@dataclass(frozen=True)
class Configuration:
    dataset: str
    approach: str
    augment: bool

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.approach}/{'augmented' if self.augment else 'plain'}"


EVERY_CONFIGURATION = tuple(Configuration(d, a, aug) for d, approaches in DATASETS.items() for a in approaches
                            for aug in (False, True))
CONFIGURATIONS = tuple(c for c in EVERY_CONFIGURATION if c.dataset in MEASURED)
"""The configurations of the stored run (``--save``)."""


def small_cnn(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """Four conv blocks (16-128 filters, each Conv + BatchNorm + ReLU), GAP, Dropout(0.3), logits: ~0.1 M params.

    BatchNorm momentum 0.9 (Keras: 0.99): 20 epochs of 7 batches are 140 steps, after which a 0.99 moving
    average would still hold a quarter of its initial statistics.
    """
    inputs = keras.Input(input_shape)
    x = inputs
    for i, filters in enumerate((16, 32, 64, 128)):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.ReLU()(x)
        if i < 3:
            x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inputs, keras.layers.Dense(1 if num_classes == 2 else num_classes)(x), name="small_cnn")


def scratch_model(approach: str, p: Profile, num_classes: int) -> keras.Model:
    """09's VGG16 from random weights with 07's head (one logit for two classes), or :func:`small_cnn`."""
    if approach == "scratch_small_cnn":
        return small_cnn(p.image_shape, num_classes)
    base = load_base("vgg16", weights=None, input_shape=p.image_shape, profile=p, verbose=False)
    return keras.Sequential([keras.Input(p.image_shape), base, *head(num_classes, hidden=True)],
                            name="vgg16_from_scratch")


PREPROCESSING = {"frozen": "mobilenet_v2", **{a: "mobilenet_v2" for a in FINE_TUNING},
                 "scratch_vgg16": "vgg16", "scratch_small_cnn": "[-1,1]"}
"""Approach -> the preprocessing_for name its inputs get."""


class Dataset:
    """One dataset's splits and evaluation pipelines, shared by every run on it."""

    def __init__(self, name: str, p: Profile):
        self.name, self.p = name, p
        self.splits: Splits = load_dataset(name, p)
        self.n = self.splits.num_classes
        self._plain: dict[tuple[str, str], tf.data.Dataset] = {}

    def plain(self, split: str, preprocessing: str) -> tf.data.Dataset:
        """Un-augmented, unshuffled batches of ``split`` (built once per preprocessing)."""
        key = (split, preprocessing)
        if key not in self._plain:
            self._plain[key] = make_pipeline(getattr(self.splits, split), self.p.image_size,
                                             preprocessing_for(preprocessing), self.p.batch_size)
        return self._plain[key]

    def training(self, preprocessing: str, augment: bool, seed: int, images: int | None = None) -> tf.data.Dataset:
        """Shuffled training batches (the first ``images`` ones), augmented as the notebooks do if ``augment``."""
        train = self.splits.train if images is None else self.splits.train.take(images)
        layers = augmentation_layers(seed, flip=self.splits.mirror_safe) if augment else None
        return make_pipeline(train, self.p.image_size, preprocessing_for(preprocessing), self.p.batch_size,
                             training=True, augment=layers, seed=seed)

    def accuracies(self, model: keras.Model, preprocessing: str) -> dict[str, float]:
        return {s: float(model.evaluate(self.plain(s, preprocessing), verbose=0)[1]) for s in SPLITS}


def _clock(start: float, cpu: float) -> dict[str, float]:
    """Wall and CPU seconds since ``start`` (perf_counter) and ``cpu`` (process_time)."""
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}


def pretrained_runs(data: Dataset, augment: bool, seed: int, approaches: tuple[str, ...]) -> dict[str, dict]:
    """Notebook 06 on one seed: the frozen phase, then each fine-tuning recipe in ``approaches`` from its head."""
    p, out = data.p, {}
    start, cpu = time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(seed)
    base = load_base("mobilenet_v2", input_shape=p.image_shape, profile=p, verbose=False)
    base.trainable = False
    inputs = keras.Input(p.image_shape)
    model = keras.Model(inputs, keras.Sequential(head(data.n, hidden=False), name="head")(base(inputs)))
    compile_model(model, p.head_learning_rate, data.n)
    model.fit(data.training("mobilenet_v2", augment, seed), epochs=p.head_epochs, verbose=0)
    frozen_weights = model.get_weights()
    out["frozen"] = {**data.accuracies(model, "mobilenet_v2"), **_clock(start, cpu)}
    for approach in approaches:
        if approach not in FINE_TUNING:
            continue
        recipe, start, cpu = FINE_TUNING[approach], time.perf_counter(), time.process_time()
        keras.utils.set_random_seed(seed + 1000)  # both recipes see the same batches and augmentations
        model.set_weights(frozen_weights)
        base.trainable = True
        for layer in base.layers[:recipe.fine_tune_at]:
            layer.trainable = False
        for layer in base.layers[recipe.fine_tune_at:]:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # inference mode, ImageNet statistics, as in 06
        compile_model(model, recipe.learning_rate, data.n)
        model.fit(data.training("mobilenet_v2", augment, seed + 1000), epochs=p.fine_tune_epochs, verbose=0)
        out[approach] = {**data.accuracies(model, "mobilenet_v2"), **_clock(start, cpu)}
    return out


def scratch_run(data: Dataset, approach: str, augment: bool, seed: int,
                learning_rates: tuple[float, ...]) -> dict[str, Any]:
    """One from-scratch run, all training images, ``budget`` epochs: the best of ``learning_rates`` on validation.

    With several rates each trains from the same initial weights and validation chooses as exercise 09 does
    (best accuracy, ties: the lower loss; a rate whose loss diverges is no candidate); the run returned is the
    chosen rate's, with every rate's validation and test accuracy under ``grid``.
    """
    p, preprocessing, start, cpu = data.p, PREPROCESSING[approach], time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(seed)
    model = scratch_model(approach, p, data.n)
    compile_model(model, p.head_learning_rate, data.n)
    initial_weights = model.get_weights()
    runs: dict[float, dict[str, float] | None] = {}
    for learning_rate in learning_rates:
        restart_training(model, initial_weights)
        model.optimizer.learning_rate.assign(learning_rate)
        history = model.fit(data.training(preprocessing, augment, seed), epochs=p.head_epochs + p.fine_tune_epochs,
                            verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
        loss = model.evaluate(data.plain("validation", preprocessing), verbose=0)[0]
        finite = math.isfinite(history.history["loss"][-1]) and math.isfinite(loss)
        runs[learning_rate] = {**data.accuracies(model, preprocessing), "validation_loss": loss} if finite else None
    candidates = {lr: r for lr, r in runs.items() if r is not None}
    if not candidates:
        raise RuntimeError(f"{approach}: every learning rate of {learning_rates} diverged")
    best = max(candidates, key=lambda lr: (candidates[lr]["validation"], -candidates[lr]["validation_loss"]))
    out: dict[str, Any] = {s: candidates[best][s] for s in SPLITS}
    out.update(learning_rate=best, **_clock(start, cpu))
    if len(learning_rates) > 1:
        out["grid"] = {str(lr): None if r is None else {s: round(r[s], 4) for s in ("validation", "test")}
                       for lr, r in runs.items()}
    return out


def _stats(values: list[float]) -> dict[str, Any]:
    return {"mean": round(float(np.mean(values)), 4),
            "std": round(float(np.std(values, ddof=1)), 4) if len(values) > 1 else 0.0,
            "per_seed": [round(v, 4) for v in values]}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One configuration's runs (one per seed) as mean / std / per-seed accuracies and seconds."""
    out: dict[str, Any] = {s: _stats([r[s] for r in runs]) for s in SPLITS}
    for clock in ("seconds", "cpu_seconds"):
        out[clock] = {"total": round(sum(r[clock] for r in runs), 1), "per_seed": [round(r[clock], 1) for r in runs]}
    if "learning_rate" in runs[0]:
        out["learning_rate"] = runs[0]["learning_rate"]
        out["learning_rate_chosen_by"] = runs[0]["learning_rate_from"]
        if "grid" in runs[0]:
            out["grid"] = runs[0]["grid"]
    return out


def recipes(p: Profile) -> dict[str, dict[str, Any]]:
    """What each approach trains, in numbers (the results file records them next to the figures)."""
    scratch = {"epochs": p.head_epochs + p.fine_tune_epochs, "learning_rates": list(SCRATCH_LEARNING_RATES),
               "rule": GRID_RULE}
    return {
        "frozen": {"base": "real ImageNet MobileNetV2, alpha 0.35 (keras.applications weights)",
                   "epochs": p.head_epochs, "learning_rate": p.head_learning_rate,
                   "head": "GlobalAveragePooling2D, Dropout(0.2), Dense(logits)", "preprocessing": "[-1,1]"},
        **{a: {"continues_from": "frozen", "fine_tune_at": r.fine_tune_at, "learning_rate": r.learning_rate,
               "epochs": p.fine_tune_epochs, "batchnorm": "frozen (inference mode)", "recipe_of": list(r.profiles)}
           for a, r in FINE_TUNING.items()},
        "scratch_vgg16": {**scratch, "architecture": "VGG16 without top, random weights (offline: the small "
                          "VGG16-shaped stand-in) + GAP, Dense(128), Dropout(0.2), Dense(logits)",
                          "preprocessing": "caffe"},
        "scratch_small_cnn": {**scratch, "architecture": small_cnn.__doc__.splitlines()[0],
                              "preprocessing": "[-1,1]"},
    }


def run(configurations: tuple[Configuration, ...], seeds: tuple[int, ...], p: Profile,
        learning_rates: tuple[float, ...], log: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every configuration on every seed: its summary by configuration name, and each dataset's facts."""
    results: dict[str, list[dict[str, Any]]] = {c.name: [] for c in configurations}
    facts, rates = {}, {}  # rates: (dataset, approach) -> (the rate its grid chose, the configuration that ran it)
    for dataset in dict.fromkeys(c.dataset for c in configurations):
        data = Dataset(dataset, p)
        facts[dataset] = {"classes": data.splits.class_names, "sizes": data.splits.sizes,
                          "flips": data.splits.mirror_safe}
        for augment in (False, True):
            chosen = tuple(c.approach for c in configurations if c.dataset == dataset and c.augment == augment)
            pretrained = tuple(a for a in chosen if a == "frozen" or a in FINE_TUNING)
            for seed in seeds:
                done = pretrained_runs(data, augment, seed, pretrained) if pretrained else {}
                for approach in chosen:
                    name = Configuration(dataset, approach, augment).name
                    if approach in SCRATCH:  # the grid on the network's first run, the others at its choice
                        chosen_by = rates.get((dataset, approach))
                        done[approach] = scratch_run(data, approach, augment, seed,
                                                     (chosen_by[0],) if chosen_by else learning_rates)
                        done[approach]["learning_rate_from"] = chosen_by[1] if chosen_by else f"{name} seed {seed}"
                        rates.setdefault((dataset, approach), (done[approach]["learning_rate"], f"{name} seed {seed}"))
                    results[name].append(done[approach])
                    log(f"{name} seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in done[approach].items()
                                                            if isinstance(v, float)))
    return {name: summarise(runs) for name, runs in results.items()}, facts


def machine(load_before: float) -> dict[str, Any]:
    return {"cpu_cores": cpu_count(), "cpu_model": cpu_model(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
            "niceness": os.nice(0), "load_average_1min_before": round(load_before, 2),
            "load_average_1min_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="run seeds 0 .. N-1")
    parser.add_argument("--only", nargs="+", choices=[c.name for c in EVERY_CONFIGURATION], metavar="CONFIGURATION",
                        help="run only these (dataset/approach/plain|augmented)")
    parser.add_argument("--scratch-learning-rates", type=float, nargs="+", default=list(SCRATCH_LEARNING_RATES),
                        help="the from-scratch grid; one rate: no grid, that rate")
    parser.add_argument("--save", action="store_true", help=f"write {benchmark_result_path(NAME)} (a full run only)")
    args = parser.parse_args()
    configurations = tuple(c for c in EVERY_CONFIGURATION if c.name in args.only) if args.only else CONFIGURATIONS
    seeds = tuple(range(args.seeds))
    if args.save and (configurations != CONFIGURATIONS or seeds != SEEDS):
        parser.error("--save stores only the full run: every configuration on the default seeds")
    load_before, start = os.getloadavg()[0], time.perf_counter()
    figures, facts = run(configurations, seeds, PROFILE, tuple(args.scratch_learning_rates),
                  lambda line: print(line, file=sys.stderr, flush=True))
    result = {
        "benchmark": NAME,
        "command": "python -m benchmarks.real_photos " + " ".join(sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "machine": machine(load_before),
        "profile": {k: v for k, v in dataclasses.asdict(PROFILE).items() if k != "summary"},
        "seeds": list(seeds),
        "std": "sample standard deviation over seeds (ddof=1)",
        "datasets": facts,
        "recipes": recipes(PROFILE),
        "configurations": figures,
    }
    print(json.dumps(result))
    if args.save:
        benchmark_result_path(NAME).write_text(json.dumps(result, indent=1) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
