"""Benchmark: per-window inference of the exported ensemble, onnxruntime vs torch eager.

A bundle is trained on a small SYNTHETIC corpus with the default pool (12 members, up to 5
in the ensemble, as ``vaxis train`` ships it; few epochs, since only speed is measured).
Each of ``--windows`` single windows (batch 1, the live loop's case) is run through the
exported graph in onnxruntime (one intra-op thread, as the live decoder opens it) and
through the same ``EnsembleGraph`` in torch eager mode (``torch.no_grad``, one thread), in
the same process, interleaved. Target: onnxruntime's median >= 3x faster.

Usage: ``python bench/inference.py [--subjects 8] [--seconds 12] [--windows 300]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import target, write_result

from vaxis.decoder.session import open_session
from vaxis.offline.axis import AxisFile, save_axis
from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.synthetic import VALENCE, write_synthetic_faced
from vaxis.offline.train import TrainConfig, train_bundle
from vaxis.offline.train.data import load_windows
from vaxis.offline.train.normalise import split_inputs, subject_inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--windows", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus_dir = write_synthetic_faced(root / "corpus", args.subjects, args.seconds,
                                           fmt="processed")  # fmt: skip
        planted = AxisFile(positions=dict(VALENCE), model="planted-synthetic", layer=0,
                           pooling="none", sentences_sha256="none")  # fmt: skip
        axis = save_axis(planted, root / "axis.json")
        config = TrainConfig(epochs=args.epochs, patience=2)
        trained = train_bundle(corpus_dir, axis, root / "bundle", config)
        corpus = open_corpus(corpus_dir)
        fold = trained.metrics["folds"][0]
        windows = load_windows(corpus, decimate=config.decimate)
        split = split_inputs(windows, {"features", "raw", "covariance"}, fold["train"], "subject")
        inputs = subject_inputs(corpus, windows, fold["test"][0], split)
        graph = trained.graph.eval()
        session = open_session(trained.bundle / "model.onnx", threads=1, prefer_gpu=False)
        names = [i.name for i in session.get_inputs()]
        meta = json.loads((trained.bundle / "bundle.json").read_text())

    n = min(args.windows, len(inputs["features"]))
    ort_times, torch_times = [], []
    with torch.no_grad():
        for _ in range(2):  # the first pass warms both up and is discarded
            ort_times.clear()
            torch_times.clear()
            for i in range(n):
                feeds = {k: inputs[k][i : i + 1] for k in names}
                start = time.perf_counter()
                session.run(["probs", "valence"], feeds)
                ort_times.append(time.perf_counter() - start)
                tensors = [torch.from_numpy(feeds[k]) for k in graph.input_kinds]
                start = time.perf_counter()
                graph(*tensors)
                torch_times.append(time.perf_counter() - start)
    ort_ms = statistics.median(ort_times) * 1e3
    torch_ms = statistics.median(torch_times) * 1e3
    ratio = torch_ms / ort_ms
    result = {
        "synthetic": True,
        "description": "per-window (batch 1) inference of one exported residual ensemble: "
        "onnxruntime (CPU, 1 thread) vs the same EnsembleGraph in torch eager (1 thread)",
        "members": [m["arch"] for m in meta["onnx"]["members"]],
        "inputs": meta["inputs"],
        "windows": n,
        "onnxruntime_ms": {"median": round(ort_ms, 4),
                           "p95": round(float(np.percentile(ort_times, 95)) * 1e3, 4)},
        "torch_eager_ms": {"median": round(torch_ms, 4),
                           "p95": round(float(np.percentile(torch_times, 95)) * 1e3, 4)},
        "targets": [
            target("onnxruntime per-window median", round(ort_ms, 4), "ms",
                   ">= 3x faster than torch eager", ratio >= 3.0,
                   baseline=round(torch_ms, 4), ratio=round(ratio, 2)),
        ],
    }  # fmt: skip
    print(json.dumps({k: result[k] for k in ("members", "onnxruntime_ms", "torch_eager_ms")}))
    print(f"speed-up {ratio:.2f}x; wrote {write_result('inference', result)}")


if __name__ == "__main__":
    main()
