"""Plumbing for the course notebooks: config, data, models, plots, widgets, exercises.

Start every notebook with::

    from helpers import setup
    cfg = setup()
"""
from helpers.config import setup

__all__ = ["setup"]
