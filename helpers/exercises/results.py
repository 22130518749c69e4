"""The results file exercises 07-09 share, the label every printed figure carries, and a stopwatch.

07 and 08 save their runs with :func:`save_result`; 09 reads them with :func:`load_results` instead of training
them again. Runs are only reused by a kernel with the same profile, sizes, budget and harness.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from helpers import config

DATASET = "tf_flowers"
"""The dataset of exercises 07-09 (offline: its stand-in)."""


def results_path() -> Path:
    """The JSON file exercises 07-09 share results through, in :func:`helpers.config.results_dir`."""
    return config.results_dir() / "vgg16_exercises.json"


def _signature(profile: config.Profile) -> str:
    """The key results are filed under: profile, sizes, budget and harness."""
    harness = os.environ.get("COURSE_HARNESS") or "none"
    return (f"{profile.name}-{profile.image_size}px-b{profile.batch_size}-e{profile.head_epochs}+"
            f"{profile.fine_tune_epochs}-harness:{harness}")


def _read() -> dict[str, Any]:
    try:
        return json.loads(results_path().read_text(encoding="utf8"))
    except (OSError, ValueError):
        return {}


def load_results(profile: config.Profile) -> dict[str, dict[str, Any]]:
    """``{run name: metrics}`` saved by earlier exercises in this profile; empty when there are none."""
    return dict(_read().get(_signature(profile), {}))


def save_result(profile: config.Profile, run: str, **metrics: Any) -> Path:
    """Add (or replace) run ``run`` with ``metrics`` (numbers, lists, dicts) in the results file; return its path."""
    saved = _read()
    clean = json.loads(json.dumps(metrics, default=lambda v: v.tolist() if hasattr(v, "tolist") else float(v)))
    clean["saved"] = time.strftime("%Y-%m-%d %H:%M:%S")
    saved.setdefault(_signature(profile), {})[run] = clean
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=1), encoding="utf8")
    return path


def result_label(profile: config.Profile) -> str:
    """One line saying where the numbers come from: real data, stand-ins, or a smoke run of the test harness."""
    if not config.results_are_meaningful():
        return "TEST HARNESS smoke run (mock data, random weights): these numbers mean nothing."
    if not profile.real_assets:
        return (f"STAND-IN results (offline profile: glyph images, VGG16 stand-in); real {DATASET} "
                "numbers differ.")
    return f"{DATASET}, {profile.name} profile, {profile.image_size} px."


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``: wall time of a block."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self._start
