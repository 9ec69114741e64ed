"""The JSON sync API under /api/v1: questionnaires, assignments, exactly-once submissions."""
