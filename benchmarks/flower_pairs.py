"""Which two flower classes play cats_vs_dogs offline? How well frozen features separate each of the ten pairs.

    python -m benchmarks.flower_pairs [--save]

The offline base (the real ImageNet MobileNetV2, alpha 0.35, at the offline profile's 64 px) runs once over the
train and validation splits of the shipped five-class photos (``load_dataset("tf_flowers", "offline")``); for
every pair of classes a logistic-regression head (``helpers.models.probe_accuracy``) is scored by 5-fold
cross-validation on the pair's 280 train + validation photos (80 validation photos alone are too few: a pair's
score moved by 4 points between two splits), repeated with 3 seeds. The test split is not looked at. The pair
chosen (:func:`choose`) is a hardest one: like cats and dogs, two classes that look alike, so the lessons have
room to show what a better head, augmentation or fine-tuning adds. Pairs within :data:`TIE` of the lowest mean are
tied; of those, the one whose score varies least over the seeds. ``--save`` writes
``benchmarks/results/flower_pairs.json``.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from helpers import config, data, models  # noqa: E402
from helpers.benchmark_results import benchmark_result_path  # noqa: E402

SEEDS = (0, 1, 2)
FOLDS = 5
TIE = 0.01
"""Mean accuracies closer than this to the lowest count as tied (the seeds' spread is 0.4-2 points)."""


def choose(pairs: dict[str, dict]) -> tuple[list[str], str]:
    """``(the pairs tied for hardest, the one chosen)`` from ``{pair: {"mean", "std", ...}}``."""
    lowest = min(v["mean"] for v in pairs.values())
    tied = sorted((k for k, v in pairs.items() if v["mean"] <= lowest + TIE), key=lambda k: pairs[k]["mean"])
    return tied, min(tied, key=lambda k: pairs[k]["std"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/flower_pairs.json")
    args = ap.parse_args()
    t0 = time.time()
    profile = config.PROFILES["offline"]
    splits = data.load_dataset("tf_flowers", profile)
    base = models.load_base("mobilenet_v2", input_shape=profile.image_shape, pooling="avg", profile=profile,
                            verbose=False)
    preprocess = data.preprocessing_for("mobilenet_v2")
    features = {name: data.extract_features(base, data.make_pipeline(getattr(splits, name), profile.image_size,
                                                                       preprocess, batch_size=profile.batch_size))
                for name in ("train", "validation")}
    x = np.concatenate([features["train"][0], features["validation"][0]])
    y = np.concatenate([features["train"][1], features["validation"][1]])
    pairs = {}
    for a, b in itertools.combinations(range(splits.num_classes), 2):
        keep = np.isin(y, (a, b))
        xp, yp = x[keep], (y[keep] == b).astype("int32")
        scores = []
        for seed in SEEDS:
            folds = np.array_split(np.random.default_rng(seed).permutation(len(yp)), FOLDS)
            correct = sum(models.probe_accuracy((xp[np.setdiff1d(np.arange(len(yp)), f)], yp[np.setdiff1d(
                np.arange(len(yp)), f)]), (xp[f], yp[f]), seed=seed) * len(f) for f in folds)
            scores.append(correct / len(yp))
        pairs[f"{splits.class_names[a]} vs {splits.class_names[b]}"] = {
            "mean": round(statistics.mean(scores), 4), "std": round(statistics.stdev(scores), 4),
            "per_seed": [round(s, 4) for s in scores]}
    ranked = sorted(pairs, key=lambda k: pairs[k]["mean"])
    tied, chosen = choose(pairs)
    result = {
        "what": "validation accuracy of a logistic-regression head on frozen ImageNet MobileNetV2 (alpha 0.35) "
                f"features at {profile.image_size} px, per pair of flower classes ({FOLDS}-fold cross-validation on train + "
                "validation)",
        "pairs": {k: pairs[k] for k in ranked}, "tied_hardest": tied, "chosen": chosen, "tie": TIE,
        "seeds": list(SEEDS), "folds": FOLDS, "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "seconds": round(time.time() - t0, 1), "command": "python -m benchmarks.flower_pairs --save",
    }
    print(json.dumps(result, indent=1))
    if args.save:
        benchmark_result_path("flower_pairs").write_text(json.dumps(result, indent=1) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
