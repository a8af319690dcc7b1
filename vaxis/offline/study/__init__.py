"""The study: EEG <-> V-axis mapping, rediscovery by classifiers, alignment strategies and
the saturation regularity. Entry point: :func:`run_study`."""

from vaxis.offline.study.run import ANALYSES, StudyConfig, run_study

__all__ = ["ANALYSES", "StudyConfig", "run_study"]
