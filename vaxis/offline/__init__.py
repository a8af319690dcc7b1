"""Offline work: the V-axis from language models, corpora, training and export, the study.

Each subpackage has one public face: :mod:`~vaxis.offline.axis`, :mod:`~vaxis.offline.corpus`,
:mod:`~vaxis.offline.train` (torch) and :mod:`~vaxis.offline.study` (torch). Nothing is
imported here, so that ``vaxis.offline.axis`` stays as light as it is.
"""

__all__ = ["axis", "corpus", "study", "train"]
