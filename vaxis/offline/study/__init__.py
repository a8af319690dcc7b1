"""The study: EEG <-> V-axis mapping, rediscovery by classifiers, alignment strategies and
the saturation regularity. Entry point: :func:`run_study`, which returns a
:class:`StudySummary`."""

from vaxis.offline.study.run import ANALYSES, StudyConfig, StudySummary, run_study
from vaxis.offline.study.training import FitConfig

__all__ = ["ANALYSES", "FitConfig", "StudyConfig", "StudySummary", "run_study"]
