"""Routes of the indicator database (filled in below)."""

from . import bp  # noqa: F401
