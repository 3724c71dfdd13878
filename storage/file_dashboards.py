"""Read-only dashboards from a folder of JSON files (`[dashboards.json] path`), found by their base name.

The folder is the user's, not the data dir, and meant for a handful of files: each request lists it (names
and mtimes only), and a file is read only when asked for or when it changed, so a search never reads them all.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from . import documents

log = logging.getLogger(__name__)


class FileDashboards:
    def __init__(self, folder: str | Path | None):
        self._folder = Path(folder) if folder else None
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[Path, int]] = {}    # base name -> (path, mtime_ns)
        self._summaries: dict[str, dict] = {}           # base name -> {title, tags}

    def _files(self) -> dict[str, tuple[Path, int]]:
        if self._folder is None or not self._folder.is_dir():
            return {}
        found = {}
        for path in sorted(self._folder.rglob("*.json")):
            try:
                if path.is_file():
                    found.setdefault(path.name, (path, path.stat().st_mtime_ns))
            except OSError:
                continue
        return found

    def get(self, name: str) -> dict | None:
        """The dashboard JSON of the file with this base name, or None (no such file, or not a dashboard)."""
        entry = self._files().get(name)
        if entry is None:
            return None
        try:
            dashboard = documents.read_document(entry[0])
        except (OSError, ValueError) as error:
            log.warning("file dashboard %s is unreadable: %s", entry[0], error)
            return None
        return dashboard if isinstance(dashboard, dict) else None

    def summaries(self) -> dict[str, dict]:
        """{base name: {"title", "tags"}} of every readable file dashboard, refreshed for files that changed."""
        files = self._files()
        with self._lock:
            for name, entry in files.items():
                if self._seen.get(name) != entry:
                    dashboard = self.get(name)
                    if dashboard is None:  # not a dashboard: nothing to list, as GET finds nothing either
                        self._summaries.pop(name, None)
                        continue
                    tags = dashboard.get("tags") if isinstance(dashboard.get("tags"), list) else []
                    self._summaries[name] = {"title": str(dashboard.get("title", name)),
                                             "tags": sorted(str(tag) for tag in tags)}
            for name in set(self._summaries) - set(files):
                del self._summaries[name]
            self._seen = files
            return dict(self._summaries)
