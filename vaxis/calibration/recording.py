"""Record a calibration session to FIF incrementally, so that a killed session loses at
most the last second.

The FIF file is started by MNE (file id, measurement info, the raw-data block) and then
grows by one ``FIFF_DATA_BUFFER`` tag per second of EEG, each written in one call, flushed
and synced. MNE reads such a file as it stands at any moment (it warns that the file ends
without closing tags). Annotations belong to the file's header in FIF, so while the session
runs they go to two append-only text files beside it, each line synced:

``<stem>_annot.txt``
    Complete segments (``baseline``, ``stim/<class>/<id>``) and other markers, in MNE's
    annotation text format (``mne.read_annotations`` reads it).
``<stem>_markers.tsv``
    Every marker as received: LSL time, seconds from the first sample, text.

When the session ends normally, :meth:`FifRecorder.close` rewrites the FIF in one piece with
the annotations inside (atomically: a temporary file, then a rename). ``vaxis replay`` and
:func:`vaxis.stream.recordings.read_recording` read either state.
"""

from __future__ import annotations

import os
import struct
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from vaxis.errors import DataError
from vaxis.stream.recordings import annot_path, markers_path, read_recording

FIFF_DATA_BUFFER = 300
FIFFT_FLOAT = 4
_TAG = struct.Struct(">iiii")


def _first_data_buffer(path: Path) -> int:
    """Byte offset of the first data buffer tag in a FIF file MNE just wrote."""
    with path.open("rb") as fh:
        pos = 0
        while header := fh.read(_TAG.size):
            kind, _, size, nxt = _TAG.unpack(header)
            if kind == FIFF_DATA_BUFFER:
                return pos
            if nxt not in (0, -1):
                raise DataError(f"{path}: unexpected FIF layout (tag at {pos} jumps)")
            pos += _TAG.size + size
            fh.seek(pos)
    raise DataError(f"{path}: MNE wrote no data buffer")


class FifRecorder:
    """Append EEG (microvolts) and markers to a FIF recording as they arrive.

    Parameters
    ----------
    path : path
        The FIF file to write (``*_raw.fif`` or ``*_eeg.fif`` by MNE's naming convention).
    ch_names : list of str
    sfreq : float
    flush_s : float
        Seconds of EEG buffered in memory before a write; the most a killed session loses.
    """

    def __init__(self, path: str | Path, ch_names: list[str], sfreq: float, flush_s: float = 1.0):
        import mne

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ch_names, self.sfreq = list(ch_names), float(sfreq)
        info = mne.create_info(self.ch_names, self.sfreq, "eeg")
        info.set_meas_date(datetime.now(timezone.utc))
        seed = mne.io.RawArray(np.zeros((len(ch_names), 1)), info, verbose=False)
        seed.save(self.path, overwrite=True, verbose=False)
        offset = _first_data_buffer(self.path)
        self.fh = self.path.open("r+b")
        self.fh.truncate(offset)
        self.fh.seek(offset)
        self.flush_every = max(1, int(round(flush_s * self.sfreq)))
        self.pending: list[np.ndarray] = []
        self.n_pending = 0
        self.n_written = 0
        self.annot = annot_path(self.path).open("w")
        self.annot.write("# MNE-Annotations\n# onset, duration, description\n")
        self.markers = markers_path(self.path).open("w")
        self.markers.write("lsl_time\tonset_s\tmarker\n")
        self._sync(self.annot)
        self._sync(self.markers)
        self.annotations: list[tuple[float, float, str]] = []
        self.closed = False

    @property
    def n_samples(self) -> int:
        return self.n_written + self.n_pending

    @staticmethod
    def _sync(fh) -> None:
        fh.flush()
        os.fsync(fh.fileno())

    def append(self, data_uv: np.ndarray) -> None:
        """Add samples (n_channels, n) in microvolts; NaN marks samples that never came."""
        if data_uv.shape[1]:
            self.pending.append(np.asarray(data_uv, dtype=np.float32))
            self.n_pending += data_uv.shape[1]
        if self.n_pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered as one data buffer tag, and sync it to disk."""
        if not self.n_pending:
            return
        block = np.concatenate(self.pending, axis=1) * 1e-6  # FIF holds volts
        payload = np.ascontiguousarray(block.T, dtype=">f4").tobytes()
        self.fh.write(_TAG.pack(FIFF_DATA_BUFFER, FIFFT_FLOAT, len(payload), 0) + payload)
        self._sync(self.fh)
        self.n_written += self.n_pending
        self.pending, self.n_pending = [], 0

    def marker(self, lsl_time: float, onset_s: float, text: str) -> None:
        """Log one marker as received."""
        self.markers.write(f"{lsl_time:.6f}\t{onset_s:.6f}\t{text}\n")
        self._sync(self.markers)

    def annotate(self, onset_s: float, duration_s: float, description: str) -> None:
        """Add one annotation (a complete segment, or a zero-length marker)."""
        self.annotations.append((onset_s, duration_s, description))
        self.annot.write(f"{onset_s:.6f},{duration_s:.6f},{description}\n")
        self._sync(self.annot)

    def close(self, rewrite: bool = True) -> Path:
        """Write the remaining samples, then (``rewrite``) rewrite the FIF whole with its
        annotations; without ``rewrite`` the file stays as a killed session leaves it,
        readable, with its annotations beside it."""
        if self.closed:
            return self.path
        self.flush()
        self.fh.close()
        self.annot.close()
        self.markers.close()
        self.closed = True
        if self.n_written and rewrite:
            raw = read_recording(self.path)
            tmp = self.path.with_name(f".{self.path.name.removesuffix('.fif')}-tmp_raw.fif")
            raw.save(tmp, overwrite=True, verbose=False)
            os.replace(tmp, self.path)
        return self.path
