"""Integer ids that never repeat, even after a document is deleted or the index is rebuilt.

The last id handed out is itself a small document (truth, not cache), advanced under a file lock.
"""
from __future__ import annotations

from pathlib import Path

from . import documents


class Sequence:
    def __init__(self, folder: Path, name: str):
        self._path = folder / f"{name}.json"
        self._lock = documents.lock(folder / f".{name}.lock")

    def next(self) -> int:
        with self._lock:
            state = documents.read_document(self._path) or {"last": 0}
            value = state["last"] + 1
            documents.write_document(self._path, {"last": value})
        return value
