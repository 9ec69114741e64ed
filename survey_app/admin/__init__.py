"""Admin screens: users, areas, assignments, questionnaire versions, progress, audit, export."""
