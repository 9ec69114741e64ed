"""Send pages light on a weak rural connection: compressed, and cached for as long as safe.

- **Compression**: static files (JS, CSS, SVG, the web manifest) and JSON are gzip-compressed
  when the browser accepts it (Python's own ``gzip``: no extra dependency, and at level 6 a
  form's JavaScript shrinks about four times). A static file is compressed once per version and
  kept in memory. HTML pages are sent as they are: they carry the CSRF token next to text a
  user typed, which is what the BREACH attack needs to read a secret through compression.
- **Versioned static files**: ``url_for('static', filename=...)`` adds ``?v=<content hash>``;
  a request with the current hash gets ``Cache-Control: public, max-age=31536000, immutable``,
  so the browser asks again only when the file changes (the URL changes with it). ES modules
  that import each other by relative path are fetched without the hash and revalidated by ETag
  (an import map would version them too, but the content policy forbids inline scripts).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

__all__ = ["init_app", "static_version"]

#: Worth compressing: the gzip header costs ~20 bytes, small bodies gain nothing.
_MIN_SIZE = 512
_COMPRESSIBLE = (
    "application/javascript",
    "text/javascript",
    "text/css",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
)
_IMMUTABLE = "public, max-age=31536000, immutable"

_VERSIONS: dict[tuple[str, float], str] = {}
_GZIPPED: dict[tuple[str, str], bytes] = {}


def static_version(filename: str) -> str | None:
    """A short hash of a static file's content (None when there is no such file)."""
    folder = current_app.static_folder
    if folder is None:
        return None
    path = Path(folder) / filename
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    key = (str(path), mtime)
    version = _VERSIONS.get(key)
    if version is None:
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        _VERSIONS[key] = version
    return version


def _add_static_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _after_request(response: Response) -> Response:
    if request.endpoint == "static":
        version = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if version and version == static_version(filename):
            response.headers["Cache-Control"] = _IMMUTABLE
    if (
        response.status_code != 200
        or response.mimetype not in _COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or request.method == "HEAD"
    ):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip() or response.is_streamed and request.endpoint != "static":
        return response
    etag, weak = response.get_etag()
    if etag and request.if_none_match.contains(f"{etag}-gzip"):
        # The browser holds the compressed copy (its ETag carries the suffix set below).
        response.direct_passthrough = False
        response.set_data(b"")
        response.status_code = 304
        response.set_etag(f"{etag}-gzip", weak=bool(weak))
        return response
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < _MIN_SIZE:
        return response
    cache_key = None
    if request.endpoint == "static":
        cache_key = (request.path, response.headers.get("ETag", ""))
    compressed = _GZIPPED.get(cache_key) if cache_key else None
    if compressed is None:
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
        if cache_key:
            _GZIPPED[cache_key] = compressed
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(f"{etag}-gzip", weak=bool(weak))
    return response


def init_app(app: Flask) -> None:
    """Version static URLs, compress what is worth it, and cache versioned files for good."""
    app.url_defaults(_add_static_version)
    app.after_request(_after_request)
