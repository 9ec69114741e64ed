"""Placeholders in question texts, filled the same way on the server and in the browser.

``{name}`` or ``{dotted.name}`` (``{round.party_term}``) is replaced by ``values[name]`` when it
has a value; the roster markers ``[TÊN]`` and ``[NAME]`` stand for ``{member.name}``, the name of
the member a roster question is about. A placeholder without a value is left as written, so a
text never loses words. The browser's copy of this rule is ``fillPlaceholders`` in
``survey_app/static/js/form/util.js``; ``FORMAT.md`` (*Placeholders*) documents it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MEMBER_MARKERS = ("[TÊN]", "[NAME]")
MEMBER_NAME = "member.name"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}")


def _given(values: Mapping[str, Any], key: str) -> bool:
    return key in values and values[key] is not None and values[key] != ""


def fill_placeholders(text: str, values: Mapping[str, Any]) -> str:
    """The text with every placeholder that has a value filled in."""
    out = str(text)
    if _given(values, MEMBER_NAME):
        for marker in MEMBER_MARKERS:
            out = out.replace(marker, str(values[MEMBER_NAME]))
    return _PLACEHOLDER.sub(
        lambda match: (
            str(values[match.group(1)]) if _given(values, match.group(1)) else match.group(0)
        ),
        out,
    )
