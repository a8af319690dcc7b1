"""The named choices of the offline settings, each a ``Literal`` type defined once.

A configuration's field, its check and the command's help all read the same type: the
check's allowed values are ``typing.get_args`` of it, and so are the choices an option's help
lists. This module imports nothing but :mod:`typing`, so the command can declare its options
without loading the offline libraries.
"""

from __future__ import annotations

from typing import Literal

#: The evaluation presets of :mod:`vaxis.offline.protocols`.
ProtocolName = Literal["vaxis", "faced-cbramod", "seedv-cbramod"]

#: ``eeg`` leaves out FACED's mastoid references (A1, A2); ``all`` keeps every channel.
Channels = Literal["eeg", "all"]

#: How inputs are normalised (:mod:`vaxis.offline.train.normalise`).
Normalisation = Literal["causal", "subject", "population"]

#: How subjects (or trials) are split into train, validation and test.
SplitScheme = Literal["faced", "kfold", "session-trials"]

#: The combinations of the residual ensemble (:mod:`vaxis.offline.train.ensemble`).
Method = Literal["stacking", "caruana", "greedy", "mean"]

#: The combination a bundle ships: a method, or ``auto`` for the best on validation.
Combine = Literal["auto", Method]

#: Corpus layouts :func:`~vaxis.offline.corpus.open_corpus` reads; ``auto`` detects one.
CorpusFormat = Literal["auto", "faced-processed", "faced-de", "bids", "seed-v"]

#: Layouts a synthetic FACED corpus is written in: raw, per-second DE, or both.
SynthFormat = Literal["processed", "de", "both"]

#: Where a synthetic corpus's class information lives (:mod:`vaxis.offline.corpus.synthetic`).
Structure = Literal["power", "mixed"]

#: How a language model's hidden states are pooled over tokens.
Pooling = Literal["mean", "last"]

#: The study's analyses (:mod:`vaxis.offline.study`), in the order they run.
Analysis = Literal["mapping", "rediscovery", "alignment", "saturation"]
