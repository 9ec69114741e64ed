"""Offline-first collection: service worker, manifest, the offline interview pages, the outbox,
and reading an exported outbox file (imported from the admin area)."""

from flask import Blueprint

bp = Blueprint("offline", __name__)

from . import views  # noqa: E402, F401  (register routes on the blueprint)
