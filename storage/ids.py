"""Integer ids that never repeat, even after a document is deleted or the index is rebuilt.

The last id handed out is itself a small document (truth, not cache), advanced under a file lock.
"""
from __future__ import annotations

from pathlib import Path

from . import documents


class Sequence:
    def __init__(self, data_dir: Path, name: str):
        folder = data_dir / "sequences"
        self._path = folder / f"{name}.json"
        self._lock = documents.lock(folder / f".{name}.lock")
        self._guard = documents.WriteGuard(data_dir)

    def next(self) -> int:
        with self._guard.writing(), self._lock:
            value = self._last() + 1
            documents.write_document(self._path, {"last": value})
        return value

    def claim(self, value: int) -> None:
        """Record that value is in use (a fixed id such as org 1), so next() never hands it out."""
        with self._guard.writing(), self._lock:
            if self._last() < value:
                documents.write_document(self._path, {"last": value})

    def _last(self) -> int:
        state = documents.read_document(self._path) or {"last": 0}
        return state["last"]
