"""Admin screens: users, areas, assignments, questionnaire versions, progress, audit, export."""

from .views import bp

__all__ = ["bp"]
