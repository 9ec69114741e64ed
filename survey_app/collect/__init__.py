"""Enumerator screens: assignments, interviews, draft saves and submission."""

from .views import bp

__all__ = ["bp"]
