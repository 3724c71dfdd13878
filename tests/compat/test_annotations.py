"""Annotations through grafana-client, as CI pipelines post deploy markers: created on a dashboard panel and on the
org, found by range, dashboard, panel and tags, updated, patched and deleted; Viewers read and do not write."""
from __future__ import annotations

import pytest
from grafana_client.client import GrafanaClientError

from .conftest import generated

HOUR = 3_600_000
START = 1_700_000_000_000  # epoch milliseconds


@pytest.fixture
def marked(grafana) -> dict:
    """A dashboard with a deploy (a range on panel 1), a release (a point, the org's) and a Graphite backup event;
    the ids by name, and the dashboard's uid."""
    uid = grafana.dashboard.update_dashboard({"dashboard": generated()})["uid"]
    deploy = grafana.annotations.add_annotation(dashboard_uid=uid, panel_id=1, time_from=START,
                                                time_to=START + HOUR, tags=["deploy", "service:api"], text="Deploy 1.2")
    release = grafana.annotations.add_annotation(time_from=START + 3 * HOUR, tags=["release"], text="Release 1.2")
    backup = grafana.annotations.add_annotation_graphite(what="backup", tags=["ops"], when=(START + 5 * HOUR) // 1000,
                                                         data="nightly")
    assert (deploy["message"], release["message"], backup["message"]) == (
        "Annotation added", "Annotation added", "Graphite annotation added")
    return {"uid": uid, "deploy": deploy["id"], "release": release["id"], "backup": backup["id"]}


def texts(found: list[dict]) -> list[str]:
    return [annotation["text"] for annotation in found]


def test_annotations_are_found_by_range_dashboard_panel_and_tags(grafana, marked):
    everything = grafana.annotations.find_annotations(time_from=START, time_to=START + 6 * HOUR)
    assert texts(everything) == ["backup\nnightly", "Release 1.2", "Deploy 1.2"]
    deploy = everything[2]
    assert (deploy["id"], deploy["dashboardUID"], deploy["panelId"], deploy["time"], deploy["timeEnd"],
            deploy["tags"], deploy["login"]) == (marked["deploy"], marked["uid"], 1, START, START + HOUR,
                                                 ["deploy", "service:api"], "admin")
    assert everything[1]["dashboardUID"] is None and everything[1]["timeEnd"] == START + 3 * HOUR

    assert texts(grafana.annotations.find_annotations(time_from=START + HOUR // 2, time_to=START + 2 * HOUR)) == [
        "Deploy 1.2"]
    assert texts(grafana.annotations.find_annotations(time_from=START + 2 * HOUR, time_to=START + 4 * HOUR)) == [
        "Release 1.2"]
    assert texts(grafana.annotations.find_annotations(dashboard_uid=marked["uid"])) == ["Deploy 1.2"]
    assert texts(grafana.annotations.find_annotations(dashboard_uid=marked["uid"], panel_id=2)) == []
    assert texts(grafana.annotations.find_annotations(tags=["service:api"])) == ["Deploy 1.2"]
    assert texts(grafana.annotations.find_annotations(tags=["service"])) == ["Deploy 1.2"]
    assert texts(grafana.annotations.find_annotations(tags=["deploy", "release"])) == []
    assert texts(grafana.annotations.find_annotations(ann_type="annotation", limit=2)) == [
        "backup\nnightly", "Release 1.2"]
    assert texts(grafana.annotations.find_annotations(ann_type="alert")) == []
    assert grafana.client.GET("/annotations/tags?tag=serv") == {"result": {"tags": [
        {"tag": "service:api", "count": 1}]}}


def test_an_annotation_is_updated_patched_and_deleted(grafana, marked):
    assert grafana.annotations.update_annotation(marked["release"], time_from=START + 4 * HOUR,
                                                 time_to=START + 5 * HOUR, tags=["release", "v1.3"],
                                                 text="Release 1.3") == {"message": "Annotation updated"}
    [release] = grafana.annotations.find_annotations(tags=["release"])
    assert (release["text"], release["tags"], release["time"], release["timeEnd"]) == (
        "Release 1.3", ["release", "v1.3"], START + 4 * HOUR, START + 5 * HOUR)

    # grafana-client's PATCH sends the tags it was given, [] when none: they go, the times stay.
    assert grafana.annotations.partial_update_annotation(marked["release"], text="Release 1.3.1") == {
        "message": "Annotation patched"}
    release = grafana.client.GET(f"/annotations/{marked['release']}")
    assert (release["text"], release["tags"], release["time"]) == ("Release 1.3.1", [], START + 4 * HOUR)

    assert grafana.annotations.delete_annotations_by_id(marked["deploy"]) == {"message": "Annotation deleted"}
    with pytest.raises(GrafanaClientError) as raised:
        grafana.client.GET(f"/annotations/{marked['deploy']}")
    assert raised.value.status_code == 404
    assert texts(grafana.annotations.find_annotations()) == ["backup\nnightly", "Release 1.3.1"]


def test_viewers_read_annotations_and_editors_write_them(grafana, connect, create_user, marked):
    create_user("viewer")
    create_user("editor")
    grafana.organization.update_user_current_organization(
        grafana.users.find_user("editor")["id"], {"role": "Editor"})
    viewer, editor = connect(("viewer", "secret")), connect(("editor", "secret"))

    assert len(viewer.annotations.find_annotations()) == 3
    for write in (lambda: viewer.annotations.add_annotation(text="nope"),
                  lambda: viewer.annotations.delete_annotations_by_id(marked["release"])):
        with pytest.raises(GrafanaClientError) as raised:
            write()
        assert raised.value.status_code == 403
    made = editor.annotations.add_annotation(dashboard_uid=marked["uid"], text="Editor's note")
    assert texts(viewer.annotations.find_annotations(dashboard_uid=marked["uid"])) == ["Editor's note", "Deploy 1.2"]
    assert editor.annotations.delete_annotations_by_id(made["id"]) == {"message": "Annotation deleted"}
