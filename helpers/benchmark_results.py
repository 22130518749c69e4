"""The stored figures of the benchmarks (``benchmarks/results/``): a notebook that quotes them reads them here.

    stored = load_benchmark_result("decode_pipeline")   # what benchmarks/decode_pipeline.py --save wrote
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import standins

RESULTS_DIR = standins.REPO_ROOT / "benchmarks" / "results"
"""Where every benchmark stores its figures (the one source a notebook reads them from)."""


def benchmark_result_path(name: str) -> Path:
    """Return the file ``benchmarks/<name>.py`` stores its result in."""
    return RESULTS_DIR / f"{name}.json"


def load_benchmark_result(name: str) -> dict[str, Any]:
    """Return the stored result of ``benchmarks/<name>.py`` (its figures and the machine it measured them on)."""
    path = benchmark_result_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `python benchmarks/{name}.py --save` "
                                "from the course folder to measure it on this machine.")
    return json.loads(path.read_text(encoding="utf8"))
