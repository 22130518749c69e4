"""The course's errors: one or two sentences that say what happened and what to do, shown without a traceback.

In a notebook, IPython shows an exception that has ``_render_traceback_`` by calling it, instead of printing the
traceback: a learner sees ``CourseError: <what to do>`` and not forty lines of library internals. Outside
IPython they are ordinary exceptions (tests catch them as ``ValueError``, ``ConnectionError``...).
"""
from __future__ import annotations


class CourseError(Exception):
    """An error the course explains in its own words; no traceback in a notebook."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class CourseValueError(CourseError, ValueError):
    """A wrong argument: which one, what it got, what it takes."""


class AssetUnavailableError(CourseError, ConnectionError):
    """A real model or dataset that is neither on disk nor downloadable now."""
