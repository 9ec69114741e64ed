"""Logging in and out, and choosing the interface language."""

from .views import bp, init_login

__all__ = ["bp", "init_login"]
