"""Offline-first collection: service worker, manifest, the offline interview pages, the outbox,
the supervisor's conflict list and the admin's import of exported outbox files."""
