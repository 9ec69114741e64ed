"""Request limits: per-route body sizes applied before anything reads the body, checked JSON.

The app-wide ``MAX_CONTENT_LENGTH`` (2 MB) suits forms; a few routes take larger uploads. The
limit must be set before the CSRF check parses the form, or the global limit answers 413 first,
so this hook is installed ahead of CSRFProtect's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider

# endpoint → (config key, default bytes)
ROUTE_LIMITS: dict[str, tuple[str, int]] = {
    "results.upload": ("RESULTS_MAX_UPLOAD", 200 * 1024 * 1024),
    "admin.import_outbox": ("IMPORT_MAX_BYTES", 50 * 1024 * 1024),
    "api.submissions": ("API_MAX_SUBMISSION_BYTES", 1024 * 1024),
}


def apply_route_limit() -> None:
    """Set this request's body limit from ROUTE_LIMITS (the global limit otherwise)."""
    limit = ROUTE_LIMITS.get(request.endpoint or "")
    if limit is not None:
        key, default = limit
        request.max_content_length = int(current_app.config.get(key, default))


def install(app: Flask) -> None:
    """Register the hook (call before ``csrf.init_app`` so it runs first) and the checked JSON."""
    app.json = CheckedJSONProvider(app)
    app.before_request(apply_route_limit)


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading through the one input check.

    Every ``request.get_json()`` (Flask-WTF's forms read JSON bodies that way too) refuses
    deep nesting, NaN, NUL and broken Unicode as bad JSON (a 400), instead of failing deep in
    the parser with a RecursionError (a 500).
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse and check JSON text; InputRejected (a ValueError) names the problem."""
        from ..submissions.checks import load_json

        return load_json(s)
