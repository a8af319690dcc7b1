"""vaxis: real-time decoding of emotional valence from EEG on a language-model valence axis."""

__version__ = "0.1.0"
