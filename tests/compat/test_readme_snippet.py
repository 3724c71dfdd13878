"""The README's grafana-client example runs as written against a real server."""
from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def readme_example() -> str:
    section = README.split("## Using it with Grafana clients", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_saves_a_dashboard_and_snapshots_it(server, admin_key, grafana, monkeypatch, capsys):
    monkeypatch.setenv("GRAFANA_TOKEN", admin_key)
    namespace: dict = {}
    exec(compile(readme_example().replace("http://localhost:3000", server), "README.md", "exec"), namespace)
    namespace["grafana"].client.s.close()

    printed = capsys.readouterr().out.strip()
    key = printed.rsplit("/", 1)[1]
    assert printed == f"{server}/dashboard/snapshot/{key}"
    assert grafana.snapshots.get_snapshot_by_key(key)["dashboard"]["title"] == "Home lab"
    assert [hit["title"] for hit in grafana.search.search_dashboards(tag="lab")] == ["Home lab"]
