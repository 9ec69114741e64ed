"""Supervisor screens: review queue, approve/return/reject, corrections with a reason."""

from .views import bp

__all__ = ["bp"]
