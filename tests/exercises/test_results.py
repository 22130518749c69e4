"""The results file exercises 07-09 share, the label of their figures, the stopwatch (helpers/exercises/results.py)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import config
from helpers.exercises import results
from tiny_answers import PROFILE, judged_as_a_real_run  # noqa: F401

pytestmark = pytest.mark.usefixtures("judged_as_a_real_run")


def test_results_are_saved_and_read_back_for_the_same_profile_only(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    assert results.load_results(PROFILE) == {}
    path = results.save_result(PROFILE, "frozen", test_accuracy=np.float32(0.9), history={"loss": [1.0]})
    assert path == results.results_path() and path.parent == tmp_path == config.results_dir()
    saved = results.load_results(PROFILE)["frozen"]
    assert saved["test_accuracy"] == pytest.approx(0.9) and saved["history"] == {"loss": [1.0]}
    assert results.load_results(config.PROFILES["quick"]) == {}
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert results.load_results(PROFILE) == {}


def test_result_label_says_where_numbers_come_from(monkeypatch):
    assert "STAND-IN" in results.result_label(PROFILE)
    assert "quick profile" in results.result_label(config.PROFILES["quick"])
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert "mean nothing" in results.result_label(config.PROFILES["quick"])


def test_stopwatch_measures():
    with results.Stopwatch() as clock:
        sum(range(1000))
    assert clock.seconds > 0
