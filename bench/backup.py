"""Export and import of a data dir with 100,000 dashboards, as ratios to a plain tar.gz of the same folder.

    .venv/bin/python bench/backup.py [--dashboards 100000]

While the export runs, a writer thread keeps saving snapshots through the store; its slowest save is how
long the export held writers back (the hard-link step), next to its median save.
"""
from __future__ import annotations

import argparse
import statistics
import tarfile
import tempfile
import threading
import time
from pathlib import Path

from dashboards import generate
from dashsnap.storage import open_store
from dashsnap.storage.backup import export_archive, import_archive


def snapshot(number: int) -> dict:
    return {"key": f"bench-{number:08d}", "deleteKeyHash": f"hash-{number}", "name": "bench", "orgId": 1,
            "userId": 1, "external": False, "externalUrl": "", "externalDeleteUrl": "",
            "expires": "2099-01-01T00:00:00Z", "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z",
            "dashboard": {"title": "bench"}}


def seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=100_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        data_dir, work = Path(work) / "data", Path(work)
        print(f"writing {options.dashboards} dashboards ...", flush=True)
        generate(data_dir, options.dashboards)
        store = open_store(data_dir)

        def plain_tar() -> None:
            with tarfile.open(work / "plain.tar.gz", "w:gz") as archive:
                archive.add(data_dir / "orgs", "orgs")

        baseline = seconds(plain_tar)

        save_ms: list[float] = []
        stop = threading.Event()

        def keep_saving() -> None:
            number = 0
            while not stop.is_set():
                save_ms.append(seconds(lambda: store.snapshots.create(snapshot(number))) * 1000)
                number += 1

        writer = threading.Thread(target=keep_saving)
        writer.start()
        time.sleep(0.5)
        before = len(save_ms)
        export = seconds(lambda: export_archive(data_dir, work / "export.tar.gz"))
        stop.set()
        writer.join()
        during = save_ms[before:]
        restore = seconds(lambda: import_archive(work / "export.tar.gz", work / "restored"))
        reindex = seconds(lambda: open_store(work / "restored"))

    print(f"\n{'measurement':52} {'seconds':>9} {'/ plain tar.gz':>15}")
    for name, value in [("baseline: plain tar.gz of the dashboards folder", baseline), ("dashsnap export", export),
                        ("dashsnap import (unpack + move into place)", restore),
                        ("index built from the imported files", reindex)]:
        print(f"{name:52} {value:9.2f} {value / baseline:15.2f}")
    print(f"\nsnapshot saves during the export: {len(during)}, median {statistics.median(save_ms[:before]):.1f} ms "
          f"before it, slowest {max(during):.0f} ms during it (writers wait only for the hard links)")


if __name__ == "__main__":
    main()
