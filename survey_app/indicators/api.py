"""``GET /api/v1/indicators``: read-only figures, the same ones the browse page shows the user.

It lives on the API blueprint (token or session authentication, JSON errors); filters are
``code``, ``area`` (area code), ``period`` and ``sex`` (T, F or M). Pages are in key order and
linked by an opaque ``cursor`` (keyset pagination: every page costs the same, however deep).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from ..api.views import bp
from ..models import TokenUser
from .services import api_page, figure_record, find_area, may_read

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _cursor(figure: Any) -> str:
    key = [figure.indicator_code, figure.area_id, figure.period, figure.sex, figure.cell]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[str, int, str, str, str] | None:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        code, area_id, period, sex, cell = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    if not isinstance(area_id, int):
        return None
    return str(code), area_id, str(period), str(sex), str(cell)


@bp.get("/indicators")
def indicators():  # noqa: ANN201
    """One page of indicator figures the user may see."""
    user = g.api_user
    if isinstance(user, TokenUser):
        user = user.row()  # the figures a user may see depend on the whole row
    if not may_read(user):
        return jsonify({"error": _("You may not see indicator figures.")}), 403
    args = request.args
    try:
        limit = int(args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return jsonify({"error": _("limit must be a whole number from 1 to 1000.")}), 400
    sex = args.get("sex") or None
    if sex is not None and sex not in ("T", "F", "M"):
        return jsonify({"error": _("sex must be T, F or M.")}), 400
    area = None
    if args.get("area"):
        area = find_area(args["area"])
        if area is None:
            return jsonify({"error": _("No area with this code.")}), 404
    after = None
    if args.get("cursor"):
        after = _after(args["cursor"])
        if after is None:
            return jsonify({"error": _("The cursor is not valid; start again without it.")}), 400
    figures = api_page(
        user, args.get("code") or None, area, args.get("period") or None, sex, after, limit + 1
    )
    more = len(figures) > limit
    figures = figures[:limit]
    following = None
    if more:
        query = {k: v for k, v in args.items() if k != "cursor"}
        following = url_for("api.indicators", cursor=_cursor(figures[-1]), **query)
    return jsonify({"items": [figure_record(f) for f in figures], "next": following})


FIGURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "area": {"type": "string"},
        "area_name": {"type": "string"},
        "level": {"type": "string"},
        "period": {"type": "string"},
        "sex": {"enum": ["T", "F", "M"]},
        "cell": {"type": "string"},
        "value": {"type": ["number", "null"]},
        "numerator": {"type": ["number", "null"]},
        "denominator": {"type": ["number", "null"]},
        "std_error": {"type": ["number", "null"]},
        "ci_low": {"type": ["number", "null"]},
        "ci_high": {"type": ["number", "null"]},
        "n": {"type": ["integer", "null"]},
        "flag": {"type": "string", "description": "'suppressed' (no numbers), 'parentheses'."},
        "status": {"enum": ["draft", "submitted", "approved"]},
        "source_kind": {"type": "string"},
        "source": {"type": "string"},
        "estimator": {"type": ["string", "null"], "description": "direct or model."},
        "comment": {"type": "string"},
    },
}


def openapi_paths(unauthorised: dict[str, Any], error: Any, as_json: Any) -> dict[str, Any]:
    """The OpenAPI description of the indicator endpoint."""

    def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema or {"type": "string"},
        }

    return {
        "/indicators": {
            "get": {
                "operationId": "listIndicatorFigures",
                "summary": "Indicator figures the user may see (approved ones, plus own entries).",
                "parameters": [
                    query("code", "Indicator code of the catalogue, e.g. I4.1."),
                    query("area", "Area code, e.g. 20 (province) or 178 (a district)."),
                    query("period", "Year or survey round, e.g. 2019."),
                    query("sex", "T (total), F (women) or M (men).", {"enum": ["T", "F", "M"]}),
                    query(
                        "limit",
                        "Figures per page (1–1000, default 100).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                    query("cursor", "The next page, as given in 'next'."),
                ],
                "responses": {
                    "200": as_json(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": FIGURE_SCHEMA},
                                "next": {"type": ["string", "null"]},
                            },
                        },
                        "One page of figures in key order.",
                    ),
                    "400": error("A filter or the cursor is not valid."),
                    "401": unauthorised,
                    "403": error("The user's role does not see indicator figures."),
                    "404": error("No area with this code."),
                },
            }
        }
    }
