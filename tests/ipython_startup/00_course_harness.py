# Test-only IPython startup file: the course's test harness copies it into a temporary IPYTHONDIR so that
# every notebook kernel nbval starts blocks the network (and, in the mock-real run, mocks the real assets).
# It is never installed for learners.
import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.join(_os.environ["COURSE_REPO"], "tests"))
import harness as _harness  # noqa: E402

try:
    _harness.activate()
except Exception as _error:  # a broken harness must fail the test session, not pass silently
    with open(_os.environ["COURSE_NETLOG"], "a", encoding="utf8") as _log:
        _log.write(f"harness error in a notebook kernel: {_error!r}\n")
    raise
del _os, _sys, _harness
