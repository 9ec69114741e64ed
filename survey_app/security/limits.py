"""Per-route request size limits, applied before anything reads the body.

The app-wide ``MAX_CONTENT_LENGTH`` (2 MB) suits forms; a few routes take larger uploads. The
limit must be set before the CSRF check parses the form, or the global limit answers 413 first,
so this hook is installed ahead of CSRFProtect's.
"""

from __future__ import annotations

from flask import Flask, current_app, request

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
    """Register the hook; call before ``csrf.init_app`` so it runs first."""
    app.before_request(apply_route_limit)
