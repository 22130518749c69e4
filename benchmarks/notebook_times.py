"""How long each notebook takes offline, alone, as the test suite runs it; the figures go into docs/timings.csv.

    python -m benchmarks.notebook_times                       # every notebook (solutions for 07-09)
    python -m benchmarks.notebook_times notebooks/05_*.ipynb  # some
    python -m benchmarks.notebook_times --dry-run             # measure and print, leave the CSV alone

Each notebook runs in its own nbval session (kernel start and imports included), offline profile, one after the
other, with no saved exercise results. Measure on an idle machine: another job on the 2 cores doubles the figures.
Prints one JSON line per notebook; rounds the seconds up to 5 s into the ``offline_s`` column.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts import nbtools

REPO = Path(__file__).resolve().parent.parent


def default_notebooks() -> list[Path]:
    """One notebook per number: the tutorials, 10-11, and the exercises' solutions (every answer filled in)."""
    tutorials = [p for p in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")) if "_exercise_" not in p.name]
    return sorted(tutorials + sorted((REPO / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")),
                  key=lambda p: p.name)


def measure(notebook: Path) -> dict:
    with tempfile.TemporaryDirectory() as results:
        env = {**os.environ, "COURSE_PROFILE": "offline", "COURSE_RESULTS_DIR": results}
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
                              "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:xdist", "-q",
                              str(notebook)], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    return {"notebook": notebook.relative_to(REPO).as_posix(), "seconds": round(seconds, 1),
            "passed": run.returncode == 0, "load_average_1min": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count()}


def write(figures: dict[str, float]) -> None:
    rows = list(nbtools.timings().values())
    for row in rows:
        if row["notebook"] in figures:
            row["offline_s"] = str(5 * math.ceil(figures[row["notebook"]] / 5))
    with nbtools.TIMINGS.open("w", encoding="utf8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    figures = {}
    for notebook in [p.resolve() for p in args.notebooks] or default_notebooks():
        result = measure(notebook)
        print(json.dumps(result), flush=True)
        if result["passed"]:
            figures[notebook.name[:2]] = result["seconds"]
    if not args.dry_run:
        write(figures)
        print(f"wrote {len(figures)} figures into {nbtools.TIMINGS.relative_to(REPO)}; run `make strip` to stamp them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
