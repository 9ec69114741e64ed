"""The session cookie, without work for requests that carry none (sync API tokens).

Flask's cookie session builds its signing serializer (a key derivation) when every request
starts and reads six cookie settings when it ends, even for a request with no session cookie
that leaves the session empty; on the sync API, whose clients authenticate with a token and
send no cookie, that was a few per cent of the worker's CPU. The cookies themselves, their
signing and their settings are Flask's, unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

if TYPE_CHECKING:
    from flask import Flask, Request, Response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; a request without the cookie gets an empty session
    without building the serializer, and an empty, unchanged session writes nothing."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when the request has no session cookie, else Flask's."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to write for an empty session left unchanged (Flask would write nothing
        either, after reading its settings); else Flask's."""
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
