"""Offline-first collection: service worker, manifest, the offline interview pages, the outbox,
the supervisor's conflict list and the admin's import of exported outbox files."""

from flask import Blueprint

bp = Blueprint("offline", __name__)

from . import views  # noqa: E402, F401  (register routes on the blueprint)
