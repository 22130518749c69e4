"""The five most common Keras slips in an exercise cell, answered in one course sentence instead of a traceback.

:func:`install` (``questions()`` calls it, so only the exercise notebooks get it) asks IPython to pass
``ValueError`` and ``TypeError`` to :func:`explain` first. A slip it recognises shows as one line; any other
error, a learner's own included, shows in full as before. A handler the course set before (``setup()``'s
out-of-memory message) keeps its exceptions.
"""
from __future__ import annotations

import re
from typing import Any

from helpers.errors import CourseError


class KerasSlip(CourseError):
    """A common Keras slip, said in one sentence that names the fix."""


def _public(path: str) -> str:
    """``keras.src.layers.core.dense.Dense`` -> ``keras.layers.Dense`` (what the learner typed)."""
    parts = path.split(".")
    if parts[:2] == ["keras", "src"] and len(parts) >= 4:
        return f"keras.{parts[2]}.{parts[-1]}"
    return path


SLIPS: tuple[tuple[type[BaseException], str, str], ...] = (
    (ValueError, r"Only instances of `keras.Layer` can be added to a Sequential model. Received: <class '([\w.]+)'>",
     "{name} is a layer class: a model needs a layer made from it, {name}(...) with its arguments, parentheses "
     "included."),
    (ValueError, r"Only input tensors may be passed as positional arguments.*<class '([\w.]+)'>",
     "{name} is a layer class, not a tensor: make the layer, then call it on a tensor, {name}(...)(x)."),
    (ValueError, r"Could not interpret optimizer identifier: <class '([\w.]+)'>",
     "optimizer={name} is the optimizer class: pass an optimizer made from it, optimizer={name}(learning_rate)."),
    (ValueError, r"Could not interpret (?:loss|metric) identifier: <class '([\w.]+)'>",
     "{name} is a class: pass one made from it, {name}(...), parentheses included."),
    (ValueError, r"Expected `metrics` argument to be a list, tuple, or dict. Received instead: metrics=(\w+)",
     "metrics takes a list: metrics=[\"{name}\"], in square brackets."),
    (TypeError, r"^preprocess_input\(\) missing 1 required positional argument",
     "preprocess_input() was called with no images: to give the function itself to the pipeline, leave out the "
     "parentheses, e.g. preprocess = keras.applications.vgg16.preprocess_input."),
)
"""``(exception type, regular expression on its message, course sentence)``; ``{name}`` is the first group."""


def explain(error: BaseException) -> KerasSlip | None:
    """The course's sentence for ``error`` when it is one of :data:`SLIPS`, else None."""
    text = str(error)
    for kind, pattern, sentence in SLIPS:
        match = re.search(pattern, text, re.DOTALL) if isinstance(error, kind) else None
        if match:
            return KerasSlip(sentence.format(name=_public(match.group(1)) if match.groups() else ""))
    return None


def install() -> None:
    """In an IPython kernel, show the slips of :data:`SLIPS` as one line; everything else as before."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_course_slips_tb", None) is shell.CustomTB:
        return
    before = tuple(shell.custom_exceptions)
    before_handler = shell.CustomTB

    def handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> Any:
        if before and issubclass(etype, before):
            return before_handler(etype, value, tb, tb_offset)
        slip = explain(value)
        if slip is not None:
            shell.showtraceback((KerasSlip, slip, None))
        else:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None

    shell.set_custom_exc((*before, ValueError, TypeError), handler)
    shell._course_slips_tb = shell.CustomTB  # installed once, until something else replaces it
