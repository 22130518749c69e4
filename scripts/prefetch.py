"""Download every real asset of the ``full`` and ``quick`` profiles into one folder, for a room without network.

    python -m scripts.prefetch FOLDER                 # or: make prefetch ASSETS=FOLDER
    python -m scripts.prefetch FOLDER --models mobilenet_v2_hub mobilenet_v2 --datasets tf_flowers

Run it on a machine with internet, copy FOLDER (USB stick, shared drive), then on each learner's machine::

    COURSE_ASSETS=/path/to/FOLDER make lab

``helpers.config.use_assets_folder`` then points TF Hub, tfds and Keras at FOLDER and the real profiles run
with the network off. The layout is the one those libraries use for their own caches::

    FOLDER/tensorflow_datasets/<dataset>/<version>/...   tfds prepared data (TFDS_DATA_DIR)
    FOLDER/tfhub_modules/<sha1 of the handle>/...        TF Hub SavedModels (TFHUB_CACHE_DIR)
    FOLDER/keras/models/*.h5, imagenet_class_index.json  Keras ImageNet weights, class index (KERAS_HOME)
    FOLDER/keras/datasets/ImageNetLabels.txt             labels of the TF Hub classifier
    FOLDER/keras/datasets/flower_photos/flower_photos/   tf_flowers' photos as a folder (notebook 10)
    FOLDER/kagglehub/models/keras/<model>/keras/<preset>/  KerasHub presets from Kaggle Models (KAGGLEHUB_CACHE, 12)

Without network it says so within a few seconds and exits with status 2; it never waits on tfds's retries.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from helpers import catalogue, config, runtime  # (import neither Keras nor TensorFlow)

REPO = Path(__file__).resolve().parent.parent

LAYOUT = {"TFDS_DATA_DIR": "tensorflow_datasets", "TFHUB_CACHE_DIR": "tfhub_modules", "KERAS_HOME": "keras",
          "KAGGLEHUB_CACHE": "kagglehub"}
"""Cache variable -> sub-folder of the assets folder (what ``config.use_assets_folder`` sets)."""

DOWNLOAD_HOSTS = tuple(dict.fromkeys((*catalogue.CATALOGUE_HOSTS, "download.microsoft.com")))
"""The catalogue's hosts plus the one tfds fetches the cats_vs_dogs archive from."""

IMAGENET_CLASS_INDEX = ("imagenet_class_index.json",
                        "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json")
"""What ``keras.applications.imagenet_utils.decode_predictions`` fetches (name and URL as Keras spells them)."""

NO_NETWORK = 2
SOME_FAILED = 1


@dataclass(frozen=True)
class Asset:
    """One thing to download: what it is, and the call that puts it into the caches."""

    kind: str
    name: str
    fetch: Callable[[Path], None]


@dataclass(frozen=True)
class Fetched:
    """What one asset added to the folder (no files: it was already there), or why it failed."""

    asset: Asset
    files: list[Path]
    error: str = ""

    @property
    def size(self) -> int:
        """Bytes added to the folder."""
        return sum(f.stat().st_size for f in self.files)


# ---------------------------------------------------------------- where things go
def point_caches_at(folder: Path) -> None:
    """Send every TF Hub, tfds and Keras download into ``folder`` (the layout in the module docstring).

    Must run before Keras is imported: Keras reads ``KERAS_HOME`` once, at import. ``main`` calls it before
    fetching anything, and nothing this script imports at the top loads Keras or TensorFlow.
    """
    os.environ["COURSE_ASSETS"] = str(folder)
    for variable, sub_folder in LAYOUT.items():
        os.environ[variable] = str(folder / sub_folder)
        (folder / sub_folder).mkdir(parents=True, exist_ok=True)


def check_network() -> None:
    """Exit with a clear message, within about 2 s, when a host the assets come from does not answer."""
    answers = runtime.hosts_reachable(DOWNLOAD_HOSTS, timeout=2.0)
    silent = [host for host, ok in answers.items() if not ok]
    if silent:
        print(f"prefetch: no network: {', '.join(silent)} did not answer within 2 s, so nothing was "
              "downloaded.\nRun this on a machine with internet, then copy the folder to this one and set "
              "COURSE_ASSETS to it; or use the stand-ins with COURSE_PROFILE=offline.", file=sys.stderr)
        raise SystemExit(NO_NETWORK)


# ---------------------------------------------------------------- one function per kind of asset
def fetch_dataset(name: str, folder: Path) -> None:
    """Download and prepare tfds ``name``; the raw archives go to a scratch folder deleted afterwards."""
    import tensorflow_datasets as tfds

    scratch = folder / ".downloads-scratch"
    try:
        tfds.builder(name, data_dir=os.environ["TFDS_DATA_DIR"]).download_and_prepare(download_dir=str(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fetch_hub_model(handle: str) -> None:
    """Download TF Hub ``handle`` into ``TFHUB_CACHE_DIR`` (where ``hub.load(handle)`` will look)."""
    import tensorflow_hub as hub

    hub.resolve(handle)


def fetch_keras_weights(application: str, image_size: int) -> None:
    """Build ``keras.applications.<application>`` with ImageNet weights, no top, at ``image_size`` px.

    MobileNetV2's weights file depends on the input size, so every real profile's size is fetched.
    """
    import keras

    getattr(keras.applications, application)(include_top=False, weights="imagenet",
                                             input_shape=(image_size, image_size, 3))
    keras.backend.clear_session()


def fetch_imagenet_labels() -> None:
    """The ImageNet class index ``decode_predictions`` reads, and the TF Hub classifier's ImageNetLabels.txt.

    Each with the arguments of the call that later reads it, so that it lands where that call looks.
    """
    import keras

    keras.utils.get_file(*IMAGENET_CLASS_INDEX, cache_subdir="models")  # as decode_predictions
    keras.utils.get_file("ImageNetLabels.txt", catalogue.IMAGENET_LABELS_URL)  # as models.classifier_labels


def fetch_example_photos() -> None:
    """tf_flowers' photos as a folder of class folders (notebook 10's example), unpacked where it looks.

    ``helpers.images.example_folder`` downloads and unpacks them into ``KERAS_HOME``; the 218 MB archive is
    then deleted (the notebook reads the unpacked folder and never needs it again).
    """
    from helpers import images

    unpacked = images.example_folder(config.PROFILES["quick"])
    unpacked.parent.with_name("flower_photos_archive").unlink(missing_ok=True)  # where get_file downloaded it


def fetch_keras_hub_preset(profile: str) -> None:
    """Download the KerasHub preset of ``profile`` (notebook 12) into ``KAGGLEHUB_CACHE``, where kagglehub looks."""
    from helpers import keras_hub_presets

    keras_hub_presets.download_preset(config.PROFILES[profile])


def planned_assets(models: list[str], datasets: list[str]) -> list[Asset]:
    """Every asset to fetch for these catalogue ``models`` and ``datasets``, ImageNet labels included.

    A dataset with ``example_photos`` (tf_flowers) also brings its photos as a folder (``flower_photos.tgz``,
    notebook 10).
    """
    sizes = sorted({p.image_size for p in config.PROFILES.values() if p.real_assets})
    assets = [Asset("tfds dataset", name, lambda folder, name=name: fetch_dataset(name, folder))
              for name in datasets]
    assets += [Asset("photo folder", f"{name} photos (flower_photos.tgz)", lambda _: fetch_example_photos())
               for name in datasets if catalogue.DATASETS[name].example_photos]
    for name in models:
        spec = catalogue.MODELS[name]
        if spec.source == "tfhub":
            assets.append(Asset("TF Hub model", spec.handle, lambda _, h=spec.handle: fetch_hub_model(h)))
        else:
            assets += [Asset("Keras weights", f"{spec.handle} {size} px no top",
                             lambda _, a=spec.handle, s=size: fetch_keras_weights(a, s)) for size in sizes]
    assets += [Asset("KerasHub preset", spec.name, lambda _, p=profile: fetch_keras_hub_preset(p))
               for profile, spec in catalogue.KERAS_HUB_PRESETS.items() if profile in config.PROFILES]
    assets.append(Asset("ImageNet labels", "imagenet_class_index.json, ImageNetLabels.txt",
                        lambda _: fetch_imagenet_labels()))
    return assets


# ---------------------------------------------------------------- run and report
def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def fetch_all(assets: list[Asset], folder: Path) -> list[Fetched]:
    """Fetch each asset in turn; a failure is recorded and the others still run."""
    results = []
    for asset in assets:
        print(f"fetching {asset.kind}: {asset.name} ...", flush=True)
        before = _files(folder)
        try:
            asset.fetch(folder)
            error = ""
        except Exception as exc:  # noqa: BLE001 - reported in the table, exit status 1
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        results.append(Fetched(asset, sorted(_files(folder) - before), error))
    return results


def _readable(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"


def format_report(results: list[Fetched], folder: Path) -> str:
    """A table: kind, asset, size added (or "already there" / the error); then the folder's total size."""
    rows = [("kind", "asset", "size")]
    for r in results:
        rows.append((r.asset.kind, r.asset.name,
                     f"FAILED {r.error}" if r.error else _readable(r.size) if r.files else "already there"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
    lines.insert(1, "-" * (sum(widths) + 16))
    total = sum(f.stat().st_size for f in _files(folder))
    lines += ["", f"Total in {folder}: {_readable(total)}",
              f"Use it with the network off: COURSE_ASSETS={folder} make lab"]
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("folder", type=Path, help="where to put the assets (created if missing)")
    parser.add_argument("--models", nargs="+", choices=list(catalogue.MODELS), default=list(catalogue.MODELS),
                        metavar="NAME", help=f"catalogue models to fetch (default: all): {', '.join(catalogue.MODELS)}")
    parser.add_argument("--datasets", nargs="+", choices=list(catalogue.DATASETS), default=list(catalogue.DATASETS),
                        metavar="NAME", help=f"datasets to fetch (default: all): {', '.join(catalogue.DATASETS)}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Check the network, fetch, print the report; return 0, or 1 when an asset failed (2: no network)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    folder = args.folder.resolve()
    check_network()
    point_caches_at(folder)
    results = fetch_all(planned_assets(args.models, args.datasets), folder)
    print(format_report(results, folder))
    return SOME_FAILED if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
