"""The data source types dashsnap knows, as Grafana's plugin list describes them."""
from __future__ import annotations

_TYPES = [("graphite", "Graphite"), ("prometheus", "Prometheus"), ("influxdb", "InfluxDB"),
          ("elasticsearch", "Elasticsearch"), ("loki", "Loki"), ("postgres", "PostgreSQL"), ("mysql", "MySQL"),
          ("mssql", "Microsoft SQL Server"), ("testdata", "TestData"), ("opentsdb", "OpenTSDB"),
          ("cloudwatch", "CloudWatch"), ("tempo", "Tempo"), ("jaeger", "Jaeger"), ("zipkin", "Zipkin")]

DATASOURCE_TYPES = {type_id: {"id": type_id, "name": name, "type": "datasource", "pluginType": "datasource",
                              "module": f"app/plugins/datasource/{type_id}/module"} for type_id, name in _TYPES}
