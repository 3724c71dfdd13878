"""HTML pages as a browser's parser reads them, for the tests of the pages people see (the snapshot page, the
sign-in form)."""
from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """The elements of an HTML page as a browser's parser sees them: (tag, attributes), and the text of each
    <script> element (which ends at the first `</script`, whatever it is inside)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.texts: dict[str, str] = {}
        self._open: list[tuple[str, dict, list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag not in ("meta", "link", "br", "hr", "img", "input"):
            self._open.append((tag, attributes, []))

    def handle_endtag(self, tag):
        while self._open:
            open_tag, attributes, parts = self._open.pop()
            text = "".join(parts)
            if self._open:
                self._open[-1][2].append(text)
            if attributes.get("data-testid"):
                self.texts[attributes["data-testid"]] = text
            if open_tag == "script":
                self.scripts.append((attributes, text))
            if open_tag == tag:
                return

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)

    def attribute_values(self, name: str) -> list[str]:
        return [attributes[name] for _, attributes in self.elements if attributes.get(name) is not None]
