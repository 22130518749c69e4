"""Plumbing for the course notebooks; the transfer-learning calls stay in the notebooks.

Lesson modules: config (profiles, ``setup()``), data, images, models, plots (figures), metrics (what the figures
and tables count), widgets, distribute, benchmark_results (stored benchmark figures), errors.
The assets and the machine: catalogue (every base model and dataset), standins (the offline stand-ins),
runtime (Colab installs, caches, hosts, GPU). Grading of exercises 07-09: the exercises package.

Start every notebook with::

    from helpers import setup
    cfg = setup()
"""
from helpers.config import setup

__all__ = ["setup"]
