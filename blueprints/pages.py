"""What dashsnap's HTML pages (the snapshot page, the sign-in form) share: our own templates, our own static files
at versioned urls, and the headers that let a page run only those files."""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .context import app_path
from .routing import ApiBlueprint

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
STATIC_FOLDER = PACKAGE_ROOT / "static"
STATIC_PATH = "public/dashsnap"

bp = ApiBlueprint("pages", __name__, static_folder=STATIC_FOLDER, static_url_path=f"/{STATIC_PATH}")


def security_headers(*, form_action: str = "'none'", referrer: str = "no-referrer") -> dict[str, str]:
    """Our own script and styles only (no inline code), nothing fetched from other origins, no framing, forms sent
    only where form_action allows (a CSP source list), and referrers as `referrer` says."""
    return {
        "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                   f"connect-src 'self'; base-uri 'none'; form-action {form_action}; "
                                   "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": referrer,
    }


PAGE_HEADERS = security_headers()  # a snapshot page's url is the key to it: no referrer leaves the page
# The sign-in form posts to us. Under no-referrer a browser sends that post with `Origin: null`, as a page of another
# site can too; same-origin sends our origin, and keeps the referrer (the form's url carries `next`) with us.
FORM_PAGE_HEADERS = security_headers(form_action="'self'", referrer="same-origin")


@bp.after_request
def add_security_headers(response: Response) -> Response:
    """The pages' headers on every answer of a blueprint (static files; a page's redirects and errors too)."""
    response.headers.update(PAGE_HEADERS)
    return response


@cache
def _templates() -> Environment:
    """Our own Jinja environment: a host app's templates and settings cannot shadow ours or turn escaping off.
    Templates and static files are part of the installed package, read once: they change only with it."""
    return Environment(loader=FileSystemLoader(PACKAGE_ROOT / "templates"), autoescape=True, auto_reload=False,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@cache
def _digest(filename: str) -> str:
    return hashlib.sha256((STATIC_FOLDER / filename).read_bytes()).hexdigest()[:16]


def asset_url(filename: str) -> str:
    """The url of a static file, versioned by its content so that browsers may keep it for a year."""
    return f"{app_path(f'{STATIC_PATH}/{filename}')}?v={_digest(filename)}"


# Where a page's own content goes in its template's output. Escaping turns every "<" of a context value into
# "&lt;", so no title or name can put this mark anywhere else in the page.
_CONTENT_SLOT = "<\x00content\x00>"
_FRAMES_KEPT = 1024
_frames: dict[tuple, tuple[bytes, bytes]] = {}


def _render(template: str, referrer: str, context: dict) -> str:
    return _templates().get_template(template).render(asset_url=asset_url, referrer=referrer, **context)


def _frame(template: str, referrer: str, context: dict) -> tuple[bytes, bytes]:
    """The page's bytes before and after its content, rendered once for each context and mount point: a snapshot
    page is the same frame around its snapshot's bytes on every visit."""
    key = (template, referrer, app_path(""), repr(sorted(context.items())))
    frame = _frames.get(key)
    if frame is None:
        before, _, after = _render(template, referrer, {**context, "content": Markup(_CONTENT_SLOT)}).encode() \
            .partition(_CONTENT_SLOT.encode())
        if len(_frames) >= _FRAMES_KEPT:
            _frames.clear()
        frame = _frames[key] = (before, after)
    return frame


def html_page(template: str, status: int, cache_control: str, *, headers: dict[str, str] = PAGE_HEADERS,
              content: bytes | None = None, **context: object) -> Response:
    """The template rendered as a page sent with headers (its <meta name="referrer"> says what they say). Content,
    bytes already safe where the template puts `content`, is spliced in as it is, never decoded."""
    referrer = headers["Referrer-Policy"]
    if content is None:
        html = _render(template, referrer, context).encode()
    else:
        before, after = _frame(template, referrer, context)
        html = before + content + after
    return Response(html, status=status, content_type="text/html; charset=utf-8",
                    headers={"Cache-Control": cache_control, **headers})
