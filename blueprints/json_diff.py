"""Grafana's `json` diff of two dashboards: both written out as indented JSON with sorted keys, and every line
of the result as one HTML paragraph, marked same, added or deleted, with its line numbers on either side."""
from __future__ import annotations

import difflib
import json
from html import escape

SYMBOLS = {"same": "", "added": "+", "deleted": "-"}


def _lines(model: object) -> list[str]:
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _line(number: int, change: str, left: int | None, right: int | None, text: str) -> str:
    return (f'<p id="l{number}" class="diff-line diff-json-{change}">'
            f'<span class="diff-line-number">{left or ""}</span>'
            f'<span class="diff-line-number">{right or ""}</span>'
            f'<pre class="diff-line-icon">{SYMBOLS[change]}</pre>'
            f'<pre class="diff-line-text"><span class="diff-line-text-{change}">{escape(text)}</span></pre></p>')


def json_diff_html(base: object, new: object) -> str:
    """The lines of base and new, in order, each shown once: kept, deleted from base or added in new."""
    old_lines, new_lines = _lines(base), _lines(new)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(old_end - old_start):
                out.append(_line(len(out) + 1, "same", old_start + offset + 1, new_start + offset + 1,
                                 old_lines[old_start + offset]))
            continue
        for number in range(old_start, old_end):
            out.append(_line(len(out) + 1, "deleted", number + 1, None, old_lines[number]))
        for number in range(new_start, new_end):
            out.append(_line(len(out) + 1, "added", None, number + 1, new_lines[number]))
    return "\n".join(out) + "\n"
