"""Finish the Colab test environment the way the notebooks' setup cell finishes a Colab runtime.

    python -m scripts.colab_env     # run by `make test-colab` right after installing constraints/colab-*.txt

Colab's published package list pairs protobuf 5.29.6 with tensorflow-metadata 1.21.0, whose generated code needs
protobuf >= 6.31.1: every dataset load breaks (tensorflow/metadata#68). The constraints reproduce that pair, so
this script must find it, mend it with the setup cell's own code (helpers.runtime.mend_tfds_metadata), and find it
gone afterwards; otherwise it fails, and so does the test run. Then it prints the versions tested.
"""
from __future__ import annotations

import importlib.metadata
import sys

from helpers import runtime

PACKAGES = ("tensorflow", "keras", "tf_keras", "tensorflow-hub", "tensorflow-datasets", "tensorflow-metadata",
            "protobuf", "numpy", "matplotlib", "pillow", "ipywidgets", "widgetsnbextension", "jupyterlab_widgets",
            "ipykernel", "ipython", "traitlets", "jupyter_client", "pip", "setuptools", "nbval", "pytest")


def main() -> int:
    problem = runtime.tfds_metadata_mismatch()
    if problem is None:
        print("colab_env: the protobuf / tensorflow-metadata pair of the constraints loads: nothing to mend "
              "(Colab's new list no longer has the pair? then update helpers/runtime.py and this script)")
    else:
        print(f"colab_env: reproduced Colab's broken pair ({problem})")
        print(f"colab_env: {runtime.mend_tfds_metadata()}")
        if runtime.tfds_metadata_mismatch() is not None:
            print("colab_env: the mend did not work", file=sys.stderr)
            return 1
    versions = {name: importlib.metadata.version(name) for name in PACKAGES}
    print(f"colab_env: Python {sys.version.split()[0]}; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
