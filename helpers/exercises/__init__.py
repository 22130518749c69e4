"""Exercises 07-09: questions with ``check()``, ``hint()`` and ``solution()``, and everything that grades them.

Each exercise notebook starts with::

    from helpers.exercises import ____, ready, questions
    q1, q2, q3, q4, q5 = questions("07")

and then, for every question: ``q1.check()`` (right, or what is wrong in a sentence you can act on),
``q1.hint()`` / ``q1.hint(2)`` (more each time) and ``q1.solution()``. A check never raises, whatever the
answer holds. No lesson module imports this package.

``framework``   the question class, ``____``, ``ready``, ``questions``, solutions read from notebooks/solutions/
``recording``   the record of every ``fit`` and ``evaluate`` call, so that checks grade by effect
``slips``       the five common Keras slips in an exercise cell, shown as one course sentence
``judges``      judges of models: VGG16 bases, preprocessing, heads, compile settings
``run_judges``  judges of runs: which split a fit or an evaluation used, what it measured
``results``     the results file 07-09 share, the label every printed figure carries, a stopwatch
``rerun``       09's re-run of 07 and 08 when their results are missing
``ex07``, ``ex08``, ``ex09``  one module per exercise: its questions
"""
from helpers.exercises.framework import (BEGIN, END, EXERCISES, HINT_POINTER, SOLUTIONS_DIR, Context, Hint,
                                         NotAttempted, Question, Result, ____, is_blank, print_choices, questions,
                                         ready, ready_message, solution_regions, solutions_enabled)
from helpers.exercises.rerun import rerun_07_and_08
from helpers.exercises.results import Stopwatch, load_results, result_label, results_path, save_result

__all__ = ["BEGIN", "END", "EXERCISES", "HINT_POINTER", "SOLUTIONS_DIR", "Context", "Hint", "NotAttempted",
           "Question", "Result", "Stopwatch", "____", "is_blank", "load_results", "print_choices", "questions",
           "ready", "ready_message", "rerun_07_and_08", "result_label", "results_path", "save_result",
           "solution_regions", "solutions_enabled"]
