"""The one input check for everything that carries answers into the server.

The sync API, the web form's draft save and submit, the outbox import and a results zip's
manifest all read JSON through :func:`load_json` (bytes) or :func:`check_value` (an already
parsed value). The check walks the value without recursion and refuses, naming the problem:
nesting deeper than ``MAX_DEPTH``, more than ``MAX_NODES`` values, a text longer than
``MAX_TEXT``, a NaN or infinite number, a NUL character and a lone UTF-16 surrogate (which
PostgreSQL, the JSON export and the browser's JSON.parse all refuse).
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _

from questionnaires.errors import GesurveyError

MAX_DEPTH = 16
MAX_NODES = 50_000
MAX_TEXT = 20_000


class InputRejected(GesurveyError, ValueError):
    """The input cannot be accepted; message names the problem in the user's language."""

    code = "input_rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_constant(name: str) -> Any:
    raise InputRejected(
        _("The number %(value)s is not allowed: send only finite numbers.", value=name)
    )


def load_json(data: bytes | str, what: str = "", max_nodes: int | None = MAX_NODES) -> Any:
    """Parse JSON text and check it; raise InputRejected naming the problem.

    ``what`` names the input in the message (a file name, "request body"); ``max_nodes`` None
    lifts the count limit for a file holding many interviews (each is checked again alone).
    """
    where = _Where(what)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRejected(_("%(what)s is not UTF-8 text.", what=where)) from None
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise InputRejected(
            _("%(what)s is nested more than %(n)s levels deep.", what=where, n=MAX_DEPTH)
        ) from None
    except InputRejected as rejected:
        raise InputRejected(f"{where}: {rejected.message}") from None
    except ValueError as error:
        raise InputRejected(
            _("%(what)s is not valid JSON (%(error)s).", what=where, error=str(error)[:120])
        ) from None
    check_value(value, where, max_nodes)
    return value


class _Where:
    """The input's name for messages, translated only when a message is made (the session
    cookie is read through the same JSON check before the interface language is known)."""

    def __init__(self, what: str | _Where = "") -> None:
        self.what: str = what.what if isinstance(what, _Where) else what

    def __str__(self) -> str:
        return self.what or _("the request body")


def check_value(value: Any, what: str | _Where = "", max_nodes: int | None = MAX_NODES) -> None:
    """Check a parsed JSON value (see the module docstring); raise InputRejected."""
    where = what if isinstance(what, _Where) else _Where(what)
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    nodes = 0
    while stack:
        item, depth, path = stack.pop()
        nodes += 1
        if max_nodes is not None and nodes > max_nodes:
            raise InputRejected(
                _("%(what)s holds more than %(n)s values.", what=where, n=max_nodes)
            )
        if depth > MAX_DEPTH:
            raise InputRejected(
                _("%(what)s is nested more than %(n)s levels deep.", what=where, n=MAX_DEPTH)
            )
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(str(key), where, path)
                stack.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((child, depth + 1, f"{path}[{index}]"))
        elif isinstance(item, str):
            _check_text(item, where, path)
        elif isinstance(item, float) and not (item == item and abs(item) != float("inf")):
            raise InputRejected(
                _(
                    "%(what)s, at %(path)s: NaN and infinite numbers are not allowed.",
                    what=where,
                    path=_shown_path(path),
                )
            )


def _shown_path(path: str) -> str:
    text = path or "/"
    return text if len(text) <= 80 else text[:77] + "..."


def _check_text(text: str, where: str | _Where, path: str) -> None:
    if len(text) > MAX_TEXT:
        raise InputRejected(
            _(
                "%(what)s, at %(path)s: a text is longer than %(n)s characters.",
                what=where,
                path=_shown_path(path),
                n=MAX_TEXT,
            )
        )
    if "\x00" in text:
        raise InputRejected(
            _(
                "%(what)s, at %(path)s: the NUL character cannot be stored.",
                what=where,
                path=_shown_path(path),
            )
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputRejected(
            _(
                "%(what)s, at %(path)s: broken Unicode (a lone surrogate) cannot be stored.",
                what=where,
                path=_shown_path(path),
            )
        ) from None
