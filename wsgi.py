"""WSGI entry point (the app factory arrives with the collection web app)."""
