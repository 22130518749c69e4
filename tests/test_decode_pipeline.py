"""benchmarks/decode_pipeline.py keeps medians and their spread, and the one decode rate it measured is quoted alike.

The stored result (``benchmarks/results/decode_pipeline.json``) is the one home of the JPEG decode rate the course
quotes: notebook 11 reads it, and notebook 05's time estimate (docs/timings.csv) and the instructor guide quote its
CPU ceiling (cores / CPU time per image, which other processes disturb much less than the wall-clock rates),
rounded to tens, as "at most about N images/s".
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from benchmarks import decode_pipeline
from helpers.benchmark_results import load_benchmark_result

REPO = Path(__file__).resolve().parent.parent


def quoted_rate() -> str:
    """How the stored CPU ceiling is quoted: ``"at most about 490 images/s"``."""
    rate = load_benchmark_result("decode_pipeline")["cpu_ceiling_images_per_s"]
    return f"at most about {round(rate, -1):.0f} images/s"


def test_the_stored_result_keeps_each_variants_median_and_spread_of_every_round():
    stored = load_benchmark_result("decode_pipeline")
    assert "images_per_s" not in stored, "no best-of-rounds figure: medians only"
    assert stored["rounds"] >= 5
    for name in decode_pipeline.VARIANTS:
        rounds = stored["all_rounds_images_per_s"][name]
        assert len(rounds) == stored["rounds"]
        assert stored["median_images_per_s"][name] == pytest.approx(statistics.median(rounds), abs=0.1)
        assert stored["spread_images_per_s"][name] == [min(rounds), max(rounds)]
    assert stored["machine"]["niceness"] > 0, "it was run niced, as its docstring says"


@pytest.mark.parametrize("path", ["notebooks/05_train_the_new_head.ipynb", "docs/timings.csv",
                                  "docs/instructor-guide.md"])
def test_05_and_the_guide_quote_the_measured_decode_rate(path):
    text = (REPO / path).read_text(encoding="utf8")
    if path.endswith(".ipynb"):
        text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
    assert quoted_rate() in " ".join(text.split()), f"{path} should quote the stored decode rate: {quoted_rate()}"
    for old in ("500-1000 images/s", "500–1000 images/s", "500–1,000 images/s"):
        assert old not in text
