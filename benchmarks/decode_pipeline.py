"""How many photos per second can this machine's CPU decode and resize for training? (notebook 11)

Photo-sized textured JPEGs (``helpers.images.make_test_photos``, 500x375, about 65 kB each, like the
tf_flowers photos) are written to a temporary folder, then read, decoded and resized to 224 px (the course's
``decode_and_resize``: ``tf.io.decode_image`` + antialiased bilinear resize) in batches of 32 by five pipelines:

* ``sequential``        files -> ``map(decode_and_resize)`` one image at a time -> batch (tf.data's automatic
                        ``map_parallelization`` turned off, so that it really is one at a time)
* ``default``           the same plain ``map`` with tf.data's default options, which include the
                        ``map_parallelization`` rewrite of a stateless map (what that gains depends on the free cores)
* ``parallel``          the map with ``num_parallel_calls=AUTOTUNE``, then ``prefetch(AUTOTUNE)``
* ``records_parallel``  the same photos in 8 TFRecord shards -> ``interleave`` -> parallel map -> prefetch
* ``cached``            the parallel pipeline with ``cache()`` after the resize, timed once the cache is full

Every variant runs ``--rounds`` times in turn (so they share the machine's load alike). ``median_images_per_s``
is each variant's median round and ``spread_images_per_s`` its slowest and fastest round (every round is kept
too, with the 1-minute load average before and after: run it alone, ``nice``d, and read the load before
trusting a figure); ``cpu_ms_per_image`` is the median CPU time this process spent per image, which other
processes disturb much less. ``cpu_ceiling_images_per_s`` is what that CPU time allows on all the machine's
cores: ``cores x 1000 / cpu_ms_per_image["parallel"]``. Nothing trains: this is the most the input pipeline can
feed a model on this machine.

    python -m benchmarks.decode_pipeline [--images 512] [--rounds 5] [--save]
    nice -n 10 python -m benchmarks.decode_pipeline --save     # how the stored result was made

Prints one JSON object; ``--save`` also writes it to ``benchmarks/results/decode_pipeline.json``, which
notebook 11 reads (``helpers.benchmark_results.load_benchmark_result``).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.benchmark_results import benchmark_result_path  # noqa: E402
from helpers.distribute import decode_and_resize, parse_image_record, write_image_records  # noqa: E402
from helpers.images import make_test_photos  # noqa: E402
from helpers.runtime import cpu_count  # noqa: E402

AUTOTUNE = tf.data.AUTOTUNE
VARIANTS = ("sequential", "default", "parallel", "records_parallel", "cached")
BENCHMARK_RESULT = benchmark_result_path("decode_pipeline")


def pipelines(paths: list[Path], records: list[Path], image_size: int, batch: int) -> dict[str, tf.data.Dataset]:
    """The five pipelines, each yielding batches of ``image_size`` uint8 images (see the module docstring)."""
    files = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])

    def load(path: tf.Tensor) -> tf.Tensor:
        return decode_and_resize(tf.io.read_file(path), image_size)

    def load_record(serialized: tf.Tensor) -> tf.Tensor:
        return decode_and_resize(parse_image_record(serialized)["image"], image_size)

    one_at_a_time = tf.data.Options()
    one_at_a_time.experimental_optimization.map_parallelization = False
    parallel = files.map(load, num_parallel_calls=AUTOTUNE)
    shards = tf.data.Dataset.from_tensor_slices([str(r) for r in records])
    return {
        "sequential": files.map(load).batch(batch).with_options(one_at_a_time),
        "default": files.map(load).batch(batch),
        "parallel": parallel.batch(batch).prefetch(AUTOTUNE),
        "records_parallel": (shards.interleave(tf.data.TFRecordDataset, cycle_length=len(records),
                                               num_parallel_calls=AUTOTUNE)
                             .map(load_record, num_parallel_calls=AUTOTUNE).batch(batch).prefetch(AUTOTUNE)),
        "cached": parallel.cache().batch(batch).prefetch(AUTOTUNE),
    }


def images_per_second(dataset: tf.data.Dataset) -> tuple[float, float, int]:
    """``(images/s, CPU seconds of this process per image, images)`` of one full pass over ``dataset``."""
    start, cpu, count = time.perf_counter(), time.process_time(), 0
    for images in dataset:
        count += int(images.shape[0])
    wall = time.perf_counter() - start
    return count / wall, (time.process_time() - cpu) / count, count


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure(images: int = 512, rounds: int = 5, image_size: int = 224, batch: int = 32,
            width: int = 500, height: int = 375) -> dict:
    """Run the benchmark in a temporary folder; return the result as a JSON-ready dict."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_test_photos(Path(tmp) / "photos" / "photo", images, width=width, height=height)
        records = write_image_records(Path(tmp) / "photos", Path(tmp) / "records", shards=8).files
        datasets = pipelines(paths, records, image_size, batch)
        images_per_second(datasets["cached"])  # fills the cache: the cached variant is timed on full passes after this
        for name in VARIANTS[:-1]:  # warm-up: graphs traced, files in the page cache
            images_per_second(datasets[name].take(1))
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in VARIANTS}
        for i in range(rounds):
            for name in VARIANTS if i % 2 == 0 else reversed(VARIANTS):
                runs[name].append(images_per_second(datasets[name]))
        jpeg_kb = float(np.mean([p.stat().st_size for p in paths])) / 1000
    assert all(run[2] == images for values in runs.values() for run in values), "a pipeline lost images"
    return {
        "benchmark": "decode_pipeline",
        "median_images_per_s": {name: round(statistics.median(r[0] for r in runs[name]), 1) for name in VARIANTS},
        "spread_images_per_s": {name: [round(min(r[0] for r in runs[name]), 1), round(max(r[0] for r in runs[name]), 1)]
                                for name in VARIANTS},
        "cpu_ms_per_image": {name: round(1000 * statistics.median(r[1] for r in runs[name]), 2) for name in VARIANTS},
        "cpu_ceiling_images_per_s": round(cpu_count() / statistics.median(r[1] for r in runs["parallel"])),
        "all_rounds_images_per_s": {name: [round(r[0], 1) for r in runs[name]] for name in VARIANTS},
        "photos": {"count": images, "width": width, "height": height, "mean_jpeg_kB": round(jpeg_kb, 1),
                   "kind": "synthetic textured JPEGs (helpers.images.make_test_photos), quality 90"},
        "output": {"image_size": image_size, "batch_size": batch, "resize": "bilinear, antialiased (helpers.data)"},
        "machine": {"cpu_cores": cpu_count(), "cpu_model": cpu_model(), "tensorflow": tf.__version__,
                    "python": platform.python_version(), "load_average_1min_before": round(load_before, 2),
                    "load_average_1min_after": round(os.getloadavg()[0], 2), "niceness": os.nice(0)},
        "date": datetime.date.today().isoformat(),
        "rounds": rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512, help="photos per pass")
    parser.add_argument("--rounds", type=int, default=5,
                        help="passes per pipeline (the median and the spread are kept)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--save", action="store_true", help=f"also write the result to {BENCHMARK_RESULT}")
    args = parser.parse_args()
    result = measure(args.images, args.rounds, args.image_size)
    text = json.dumps(result)
    print(text)
    if args.save:
        BENCHMARK_RESULT.parent.mkdir(parents=True, exist_ok=True)
        BENCHMARK_RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
