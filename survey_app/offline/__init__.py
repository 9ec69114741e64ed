"""Offline-first collection: service worker, manifest, the offline interview pages, the outbox,
and reading an exported outbox file (imported from the admin area)."""
