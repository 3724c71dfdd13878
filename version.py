"""Versions: dashsnap's own, and the Grafana API level it answers as (clients branch on the latter)."""

DASHSNAP_VERSION = "0.1.0"
GRAFANA_API_VERSION = "7.5.17"
