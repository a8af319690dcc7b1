"""Fixtures shared across the suite.

``tiny_bundle`` is a real bundle trained by ``vaxis.offline.train`` on a tiny SYNTHETIC
corpus (10 subjects x 8 s, a strong planted effect) in a few seconds, once per session.
Tests of the live path, replay and calibration can decode with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from vaxis.offline.train import TrainResult

#: Generative settings of the tiny corpus: the planted structure is strong and subjects'
#: idiosyncrasies weak, so a few epochs learn it, but not so strong that every model is at
#: ceiling (which would make the ensemble comparison meaningless).
TINY_CORPUS = {"n_subjects": 10, "seconds": 8, "seed": 0}
TINY_PARAMS = {"effect": 0.25, "idiosyncrasy": 0.5, "state": 0.2}


@dataclass(frozen=True)
class TinyTraining:
    """``train_bundle``'s result on the tiny SYNTHETIC corpus, and the corpus and axis it read."""

    result: TrainResult
    corpus: Path
    axis: Path


@pytest.fixture(scope="session")
def tiny_training(tmp_path_factory) -> TinyTraining:
    """The result of ``train_bundle`` on the tiny SYNTHETIC corpus, plus its inputs."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from vaxis.offline.axis import AxisFile, save_axis
    from vaxis.offline.corpus.synthetic import VALENCE, SynthParams, write_synthetic_faced
    from vaxis.offline.train import TrainConfig, train_bundle

    root = tmp_path_factory.mktemp("tiny_training")
    corpus = write_synthetic_faced(
        root / "corpus", fmt="processed", params=SynthParams(**TINY_PARAMS), **TINY_CORPUS
    )
    axis = save_axis(
        AxisFile(positions=dict(VALENCE), model="planted-synthetic", layer=0, pooling="mean",
                 sentences_sha256="none"),
        root / "axis.json",
    )  # fmt: skip
    result = train_bundle(corpus, axis, root / "bundle", TrainConfig.quick())
    return TinyTraining(result, corpus, axis)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_training):
    """Path of a real SYNTHETIC bundle directory (model.onnx + bundle.json + report/)."""
    return tiny_training.result.bundle
