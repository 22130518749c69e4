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


class CourseTypeError(CourseError, TypeError):
    """An argument of the wrong kind: what it got, what to pass instead."""


class CourseAttributeError(CourseError, AttributeError):
    """A name a course object does not have, with the names it has."""


class CourseKeyError(CourseError, KeyError):
    """A key a course mapping does not have, with the keys it has."""

    def __str__(self) -> str:  # KeyError's own str() shows the message quoted, as a repr
        return str(self.args[0]) if self.args else ""


def did_you_mean(name: object, known: list[str]) -> str:
    """`` Did you mean 'x'?`` for the known name closest to ``name`` (case aside), or ``""``."""
    import difflib

    guess = next((k for k in known if isinstance(name, str) and k.lower() == name.lower()), None)
    guess = guess or next((k for k in known if isinstance(name, str) and len(name) >= 3
                           and k.startswith(name.lower())), None)
    guess = guess or next(iter(difflib.get_close_matches(str(name), known, n=1)), None)
    return f" Did you mean {guess!r}?" if guess else ""
