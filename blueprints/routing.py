"""The Blueprint all of dashsnap's resources use."""
from __future__ import annotations

from flask import Blueprint


class ApiBlueprint(Blueprint):
    """Grafana serves every API path with and without a trailing slash, and clients use both forms (no
    redirect: a redirected POST may lose its body). OPTIONS is not answered automatically, so it reaches our
    catch-all and gets a JSON answer like every other request. `rules_outside_api` lists the rules outside /api/,
    which that catch-all does not cover."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules_outside_api: list[str] = []

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        if not rule.startswith("/api/"):
            self.rules_outside_api.append(rule)
        options.setdefault("strict_slashes", False)
        if provide_automatic_options is None:
            provide_automatic_options = False
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
