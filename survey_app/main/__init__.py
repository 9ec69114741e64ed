"""Home page: send each role to its own starting screen."""

from .views import bp

__all__ = ["bp"]
