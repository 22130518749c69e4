"""The machine the course runs on: what Colab lacks, a broken package pair, TensorFlow's start-up noise, versions;
where the real assets are cached, whether their hosts answer, whether there is a GPU.

:func:`helpers.config.setup` calls these; nothing here imports TensorFlow at import time.

* :func:`colab_install` pip-installs the course packages Colab lacks (never TensorFlow or Keras: Colab's own stay);
* :func:`mend_tfds_metadata` repairs a package pair that breaks every dataset load (Colab's published list has it);
* :func:`import_tensorflow` imports TensorFlow and lists its devices without the C++ lines TensorFlow prints on
  every machine at that moment (tensorflow/tensorflow#100442: ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them). Only
  those known lines are dropped, only during that import: every other line, and everything printed later, shows.
* :func:`hosts_reachable`, :func:`real_assets_cached` and :func:`gpu_available` tell the ``auto`` profile what
  this machine has; the ``*_dir`` functions say where TF Hub, tfds and Keras keep what they download;
* :func:`require_hosts` (and :func:`bounded_keras_downloads` for Keras's downloader) bounds every asset fetch:
  a host that does not answer within 2 s ends it with one sentence, before any download starts.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

from helpers import catalogue
from helpers.errors import AssetUnavailableError

COLAB_EXTRAS = {"tensorflow_hub": "tensorflow-hub", "tensorflow_datasets": "tensorflow-datasets",
                "importlib_resources": "importlib_resources", "tf_keras": "tf-keras", "ipywidgets": "ipywidgets"}
"""Module -> pip package of what the course needs beyond Colab's TensorFlow and Keras."""

TFDS_METADATA_FOR_OLD_PROTOBUF = "tensorflow-metadata==1.17.3"
"""A tensorflow-metadata whose generated code runs on protobuf 5 (1.21.0's needs protobuf >= 6.31.1)."""


def colab_install() -> list[str]:
    """pip-install the course packages missing here (never TensorFlow or Keras); return their pip names.

    ``tf-keras`` is pinned to the installed TensorFlow's minor version, or pip would replace TensorFlow.
    """
    missing = [pkg for module, pkg in COLAB_EXTRAS.items() if importlib.util.find_spec(module) is None]
    if missing:
        minor = ".".join(importlib.metadata.version("tensorflow").split(".")[:2])
        pinned = [f"tf-keras=={minor}.*" if pkg == "tf-keras" else pkg for pkg in missing]
        _pip_install(pinned)
    return missing


def _pip_install(packages: list[str]) -> None:
    """``pip install packages``; its chatter is shown only if it fails."""
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *packages],
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"pip could not install {' '.join(packages)}:\n{run.stderr.strip()[-2000:]}")


def tfds_metadata_mismatch() -> str | None:
    """Why tensorflow-metadata cannot load with the installed protobuf, or None when it loads (or is absent).

    tensorflow-metadata 1.21.0's generated code needs protobuf >= 6.31.1 but its metadata allows older
    (tensorflow/metadata#68); Colab's list pairs it with protobuf 5.29.6. Checked in a fresh interpreter, so
    this process's modules are untouched.
    """
    if importlib.util.find_spec("tensorflow_metadata") is None:
        return None
    run = subprocess.run([sys.executable, "-c", "from tensorflow_metadata.proto.v0 import schema_pb2"],
                         capture_output=True, text=True)
    if run.returncode == 0:
        return None
    lines = [line for line in run.stderr.splitlines() if "VersionError" in line]
    return lines[-1].strip() if lines else run.stderr.strip().splitlines()[-1]


def mend_tfds_metadata() -> str | None:
    """Install a tensorflow-metadata that runs on this protobuf if the installed one cannot; say what was done.

    Returns None when nothing was wrong, else one sentence for the learner (it says when a restart is needed:
    only if tensorflow-metadata was already imported in this process).
    """
    problem = tfds_metadata_mismatch()
    if problem is None:
        return None
    protobuf = importlib.metadata.version("protobuf")
    metadata = importlib.metadata.version("tensorflow-metadata")
    _pip_install([TFDS_METADATA_FOR_OLD_PROTOBUF])
    if tfds_metadata_mismatch() is not None:
        raise RuntimeError(f"tensorflow-metadata still cannot load with protobuf {protobuf} ({problem}). "
                           "Install protobuf>=6.31.1, restart the session and run this cell again.")
    said = (f"Mended: tensorflow-metadata {metadata} needs a newer protobuf than this runtime's {protobuf}, "
            f"which breaks every dataset load; installed {TFDS_METADATA_FOR_OLD_PROTOBUF}.")
    if "tensorflow_metadata" in sys.modules:
        said += " Restart the session (Runtime > Restart session), then run this cell again."
    return said


# --------------------------------------------------------------------------- TensorFlow's start-up lines
START_UP_NOISE = [
    # absl's notice that what follows (the lines below) goes to stderr before logging is set up
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    # the CUDA-enabled wheel on a machine without a GPU driver (every laptop, Colab's CPU runtime)
    r"cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, GPU will not be used",
    r"cuda_platform\.cc:\d+\] failed call to cuInit",
    # informational, every x86 CPU
    r"port\.cc:\d+\] oneDNN custom operations are on",
    r"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized to use available CPU instructions",
    r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.",
    # GPU runtimes: the CUDA plugins registering twice (tensorflow/tensorflow#62075), harmless
    r"Unable to register cu(DNN|FFT|BLAS) factory: Attempting to register factory for plugin",
    r"computation_placer\.cc:\d+\] computation placer already registered",
]
"""What TensorFlow writes to stderr while it is imported and lists its devices, on every machine, that a learner
cannot act on. :func:`import_tensorflow` drops exactly these lines (regular expressions) and shows the rest."""
_NOISE = re.compile("|".join(f"(?:{pattern})" for pattern in START_UP_NOISE))
_imported_quietly = False


def import_tensorflow() -> None:
    """Import TensorFlow and list its devices, showing its stderr except the :data:`START_UP_NOISE` lines.

    The capture covers file descriptor 2 (where TensorFlow's C++ code writes) for the duration of this call only;
    Python warnings go to ``sys.stderr`` and are untouched. A failed import shows everything it printed.
    """
    global _imported_quietly
    if _imported_quietly:
        return
    without_start_up_noise(lambda: __import__("tensorflow").config.list_physical_devices())
    _imported_quietly = True


def without_start_up_noise(run: Callable[[], Any]) -> Any:
    """What ``run()`` returns; what it writes to file descriptor 2 is shown but the :data:`START_UP_NOISE` lines
    (all of it if it raises). Also for modules that load TensorFlow libraries again (tensorflow_text)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        failed = True
        try:
            result = run()
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf8", errors="replace")
            shown = text.splitlines() if failed else [line for line in text.splitlines() if not _NOISE.search(line)]
            if shown:
                print("\n".join(shown), file=sys.stderr)
    return result


def versions() -> dict[str, str]:
    """Versions of Python and the course's main packages."""
    import keras
    import tensorflow as tf
    import tensorflow_datasets as tfds
    import tensorflow_hub as hub

    return {"Python": platform.python_version(), "TensorFlow": tf.__version__, "Keras": keras.__version__,
            "TF Hub": hub.__version__, "tfds": tfds.__version__}


def missing_packages() -> list[str]:
    """The course's packages this Python cannot import (a kernel from outside the course's environment)."""
    modules = ("tensorflow", "keras", *COLAB_EXTRAS, "matplotlib", "PIL", "numpy")
    return [module for module in modules if importlib.util.find_spec(module) is None]


# --------------------------------------------------------------------------- caches, hosts, GPU
def hub_cache_dir() -> Path:
    """The folder TF Hub caches models in (``TFHUB_CACHE_DIR``, default ``/tmp/tfhub_modules``)."""
    return Path(os.environ.get("TFHUB_CACHE_DIR", Path(os.environ.get("TMPDIR", "/tmp")) / "tfhub_modules"))


def hub_cache_path(handle: str) -> Path:
    """Where TF Hub looks for ``handle`` in its cache: the sha1 of the exact handle string."""
    return hub_cache_dir() / hashlib.sha1(handle.encode("utf8")).hexdigest()


def tfds_data_dir() -> Path:
    """Where tfds keeps prepared datasets (``TFDS_DATA_DIR``, default ``~/tensorflow_datasets``)."""
    return Path(os.environ.get("TFDS_DATA_DIR", Path.home() / "tensorflow_datasets"))


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded weights (``KERAS_HOME``, default ``~/.keras``) / models."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def _host_answers(host: str, timeout: float) -> bool:
    request = urllib.request.Request(catalogue.PROBE_URLS.get(host, f"https://{host}/"), method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status < 400
    except Exception:  # noqa: BLE001 -- DNS, TLS, HTTP errors: not reachable
        return False


def hosts_reachable(hosts: tuple[str, ...] = catalogue.CATALOGUE_HOSTS, timeout: float = 2.0) -> dict[str, bool]:
    """Ask every host at once; return ``{host: served its probe file within timeout}``, in ``timeout`` seconds.

    The whole check, DNS included (which socket timeouts do not bound), ends at the deadline: a host still
    busy then counts as silent.
    """
    answers = dict.fromkeys(hosts, False)

    def ask(host: str) -> None:
        answers[host] = _host_answers(host, timeout)

    threads = [threading.Thread(target=ask, args=(h,), daemon=True) for h in hosts]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {h: answers[h] and not t.is_alive() for h, t in zip(hosts, threads)}


ASSET_FETCH_TIMEOUT = 2.0
"""Seconds an asset fetch waits for its host's answer before the course says it cannot download (DNS included)."""


def require_hosts(hosts: tuple[str, ...], what: str, fix: str = "", timeout: float = ASSET_FETCH_TIMEOUT,
                  error: type[AssetUnavailableError] = AssetUnavailableError) -> None:
    """Return when every host of ``hosts`` answers within ``timeout``; else raise one sentence naming ``what``.

    Every download the course starts (Keras weights, TF Hub models, tfds datasets) asks this first, so a dead
    network, a DNS that answers late or a proxy that never answers ends in ``timeout`` seconds, not in a hang.
    """
    fix = fix or GET_IT_OFFLINE
    silent = [host for host, ok in hosts_reachable(hosts=tuple(hosts), timeout=timeout).items() if not ok]
    if silent:
        raise error(f"Could not download {what}: {', '.join(silent)} did not answer within "
                    f"{timeout:g} s (no network, or a proxy that blocks it); {fix}.")


GET_IT_OFFLINE = ("prefetch it where there is internet (`make prefetch`, then start Jupyter with "
                  "COURSE_ASSETS=<that folder>), or run `%env COURSE_PROFILE=offline` and this notebook again")
"""The way round a download that cannot happen now: the end of every such message."""


def hub_cached(handle: str) -> bool:
    """True when TF Hub's cache holds ``handle`` (then ``hub.resolve`` downloads nothing)."""
    folder = hub_cache_path(handle)
    return folder.is_dir() and any(folder.iterdir())


def keras_cached(fname: str | None, origin: str | None, cache_subdir: str = "datasets",
                 cache_dir: str | None = None, **ignored: Any) -> bool:
    """True when ``keras.utils.get_file`` would find this file in its cache (then it downloads nothing)."""
    from keras.src.backend import config as keras_config

    base = Path(os.path.expanduser(cache_dir or keras_config.keras_home()))
    if not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir()) / ".keras"  # where Keras falls back to
    name = fname or Path(urllib.parse.urlsplit(origin or "").path).name
    return bool(name) and (base / cache_subdir / name).exists()


@contextlib.contextmanager
def bounded_keras_downloads(what: str) -> Iterator[None]:
    """While inside, a download by Keras's own ``get_file`` first asks its host (2 s at most, DNS included).

    Without it, Keras waits for a silent proxy forever (no timeout), and prints "Downloading data from ..."
    before any error. A ``get_file`` replaced by someone else (a test harness) is left alone.
    """
    import keras
    from keras.src.utils import file_utils

    homes = [module for module in (file_utils, keras.utils)
             if getattr(module.get_file, "__module__", "") == file_utils.__name__]
    keras_get_file = file_utils.get_file if file_utils in homes else keras.utils.get_file

    def get_file(fname: str | None = None, origin: str | None = None, *args: Any, **kwargs: Any) -> str:
        if not kwargs.get("force_download") and not keras_cached(fname, origin, **kwargs):
            require_hosts((urllib.parse.urlsplit(origin or "").hostname or str(origin),), what)
        return keras_get_file(fname, origin, *args, **kwargs)

    for module in homes:
        module.get_file = get_file
    try:
        yield
    finally:
        for module in homes:
            module.get_file = keras_get_file


def tfds_prepared(name: str, data_dir: Path | None = None) -> bool:
    """True when tfds dataset ``name`` is fully prepared in ``data_dir`` (default :func:`tfds_data_dir`).

    A download that failed half-way can leave an empty folder behind: only a version folder with its
    ``dataset_info.json`` counts.
    """
    return any((data_dir or tfds_data_dir()).glob(f"{name}/*/dataset_info.json"))


def real_assets_cached() -> bool:
    """True when every real model and dataset the tutorial needs is already on disk (e.g. prefetched)."""
    hub_ok = all(
        hub_cache_path(m.handle).is_dir() and any(hub_cache_path(m.handle).iterdir())
        for m in catalogue.MODELS.values() if m.source == "tfhub"
    )
    tfds_ok = all(tfds_prepared(d.name) for d in catalogue.DATASETS.values())
    return hub_ok and tfds_ok


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def in_test_harness() -> bool:
    """True when the course's test harness runs this kernel (it says so with COURSE_HARNESS)."""
    return bool(os.environ.get("COURSE_HARNESS"))


def gpu_available() -> bool:
    """True when TensorFlow sees a GPU (or the test harness simulates one, see :func:`simulated_gpu`)."""
    import tensorflow as tf

    return simulated_gpu() or bool(tf.config.list_physical_devices("GPU"))


def simulated_gpu() -> bool:
    """True when the test harness asks for the GPU code path on a CPU (``COURSE_HARNESS_GPU=1``).

    ``make test-colab`` sets it, so that the notebooks run as on Colab's GPU: mixed precision (float16 maths),
    float32 logits. Only honoured inside the harness: a learner's run never pretends to have a GPU.
    """
    return in_test_harness() and os.environ.get("COURSE_HARNESS_GPU") == "1"


def cpu_count() -> int:
    """How many CPU cores this process may use (what ``tf.data`` parallelism has to work with)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
