"""Pure computation shared by offline training and live decoding: a window in, a prediction out.

Never imports torch, transformers, :mod:`vaxis.offline` or :mod:`vaxis.stream`.
"""
