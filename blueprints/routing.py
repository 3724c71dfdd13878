"""The Blueprint all of dashsnap's resources use."""
from __future__ import annotations

from pathlib import PurePath

from flask import Blueprint, Response, request, send_from_directory

from .decorators import annotate

ASSET_MAX_AGE = 365 * 24 * 3600  # for a url that names its content's version, which never changes
UNVERSIONED_MAX_AGE = 300
# Fixed here rather than guessed from the system's mime.types, which a box running the binary may lack.
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


class ApiBlueprint(Blueprint):
    """Grafana serves every API path with and without a trailing slash, and clients use both forms (no
    redirect: a redirected POST may lose its body). OPTIONS is not answered automatically, so it reaches our
    catch-all and gets a JSON answer like every other request. `rules_outside_api` lists the rules outside /api/,
    which that catch-all does not cover (a static folder's rule among them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules_outside_api: list[str] = []
        if self.has_static_folder:
            self.rules_outside_api.append(f"{self.static_url_path}/<path:filename>")

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        if not rule.startswith("/api/"):
            self.rules_outside_api.append(rule)
        options.setdefault("strict_slashes", False)
        if provide_automatic_options is None:
            provide_automatic_options = False
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    def send_static_file(self, filename: str) -> Response:
        """A file of the static folder: cached for a year when the url carries its version (`?v=`), which the
        pages that link it always add, else briefly."""
        max_age = ASSET_MAX_AGE if request.args.get("v") else UNVERSIONED_MAX_AGE
        return send_from_directory(self.static_folder, filename, max_age=max_age,
                                   mimetype=ASSET_TYPES.get(PurePath(filename).suffix))


annotate(ApiBlueprint.send_static_file, undocumented=True)  # files, not operations of the API
